"""The chat websocket protocol, through the real ASGI stack (session cookie, origin
check) and the in-memory channel layer, with the offline provider unless a test
scripts another. Every communicator is disconnected, even when a test fails."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chat.llm import LLMProvider, LLMRequest
from chat.models import ChatSession, Message
from chat.reply_lock import REPLY_LOCK_SETTLE_S, reply_lock_acquire
from chat.tests.conftest import (
    ScriptedProvider,
    chat_db_statements,
    communicator,
    receive_until,
)
from chatui.asgi import application
from chatui.errors import LLMUnavailable
from files.models import StoredFile

pytestmark = [pytest.mark.anyio]


@contextlib.asynccontextmanager
async def connected(cookie: str | None) -> AsyncIterator[WebsocketCommunicator]:
    comm = communicator(cookie)
    connected, _code = await comm.connect()
    assert connected
    try:
        yield comm
    finally:
        await comm.disconnect()


async def chat(
    comm: WebsocketCommunicator, content: str, session_id: str | None = None
) -> list[dict[str, Any]]:
    await comm.send_json_to(
        {"type": "chat", "session_id": session_id, "content": content, "file_ids": []}
    )
    return await receive_until(comm, "response_complete")


def of_type(frames: list[dict[str, Any]], frame_type: str) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == frame_type]


@database_sync_to_async
def messages_of(session_id: str) -> list[tuple[str, str, str]]:
    return list(
        Message.objects.filter(session_id=session_id)
        .order_by("created_at")
        .values_list("role", "content", "status")
    )


async def test_anonymous_socket_is_closed_with_4401(transactional_db: None) -> None:
    comm = communicator(cookie=None)
    assert await comm.connect() == (True, None)  # accepted, so the browser sees the code
    assert await comm.receive_output() == {"type": "websocket.close", "code": 4401}
    await comm.disconnect()


async def test_a_foreign_origin_is_refused(alice: tuple[Any, str]) -> None:
    comm = WebsocketCommunicator(
        application,
        "/ws/chat/",
        headers=[
            (b"origin", b"http://evil.example"),
            (b"cookie", f"sessionid={alice[1]}".encode()),
        ],
    )
    connected, _ = await comm.connect()
    assert not connected
    await comm.disconnect()


async def test_chat_creates_a_session_streams_tokens_and_saves_both_messages(
    alice: tuple[Any, str],
) -> None:
    async with connected(alice[1]) as comm:
        frames = await chat(comm, "hello there")

    session_frame, message_frame = frames[0], frames[1]
    assert session_frame["type"] == "session" and session_frame["messages"] == []
    assert (
        message_frame["type"] == "message" and message_frame["message"]["content"] == "hello there"
    )
    tokens = of_type(frames, "token")
    done = frames[-1]
    assert len(tokens) == 1, "the offline text is ready at once: one batch, one token frame"
    assert "".join(t["content"] for t in tokens) == done["content"]
    assert 'You wrote: "hello there"' in done["content"]
    assert {t["message_id"] for t in tokens} == {done["message_id"]}
    assert all(f["session_id"] == session_frame["session_id"] for f in frames)
    assert done["status"] == "complete"
    assert await messages_of(session_frame["session_id"]) == [
        ("user", "hello there", "complete"),
        ("assistant", done["content"], "complete"),
    ]


async def test_load_session_returns_the_history(alice: tuple[Any, str]) -> None:
    async with connected(alice[1]) as comm:
        first = await chat(comm, "one")
    session_id = first[0]["session_id"]
    async with connected(alice[1]) as comm:
        await comm.send_json_to({"type": "load_session", "session_id": session_id})
        frame = await comm.receive_json_from()
    assert frame["type"] == "session" and frame["session_id"] == session_id
    assert [m["role"] for m in frame["messages"]] == ["user", "assistant"]
    assert frame["title"] == "one"


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2]",
        '{"no": "type"}',
        '{"type": "dance"}',
        '{"type": "chat", "session_id": null, "content": 5}',
        '{"type": "chat", "session_id": 7, "content": "x"}',
        '{"type": "chat", "content": "x", "file_ids": "abc"}',
        '{"type": "load_session"}',
        '{"type": "attach_file", "session_id": "x", "file_id": null}',
    ],
)
async def test_a_bad_frame_gets_a_typed_error_and_the_socket_keeps_working(
    alice: tuple[Any, str], raw: str
) -> None:
    async with connected(alice[1]) as comm:
        await comm.send_to(text_data=raw)
        error = await comm.receive_json_from()
        frames = await chat(comm, "still here?")
    assert error["type"] == "error" and error["code"] == "invalid_frame"
    assert error["message"]
    assert frames[-1]["type"] == "response_complete"


async def test_an_empty_message_is_refused(alice: tuple[Any, str]) -> None:
    async with connected(alice[1]) as comm:
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "  "})
        error = await comm.receive_json_from()
        assert await comm.receive_nothing(timeout=0.2)
    assert (error["type"], error["code"]) == ("error", "invalid")
    assert not await database_sync_to_async(ChatSession.objects.exists)()


@pytest.mark.parametrize("content", ["hi\x00", "hi \ud800"])
async def test_a_chat_message_with_unstorable_text_gets_an_error_frame(
    alice: tuple[Any, str], content: str
) -> None:
    async with connected(alice[1]) as comm:
        await comm.send_json_to({"type": "chat", "session_id": None, "content": content})
        error = await comm.receive_json_from()
        assert await comm.receive_nothing(timeout=0.2)
    assert (error["type"], error["code"]) == ("error", "invalid_text")
    assert error["details"] == {"field": "content"}
    assert not await database_sync_to_async(ChatSession.objects.exists)()


async def test_a_new_chat_whose_first_message_cannot_be_saved_is_not_left_behind(
    alice: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the chat and its first message are one transaction: both or neither
    from django.db import OperationalError

    from chat import services

    def database_gone(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    # the message's and its answer's rows
    monkeypatch.setattr(services, "_message_and_answer_rows", database_gone)
    async with connected(alice[1]) as comm:
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "hello"})
        error = await comm.receive_json_from()
    # a locked database is named as such (retryable), as the HTTP API names it
    assert (error["type"], error["code"]) == ("error", "database_unavailable")
    assert not await database_sync_to_async(ChatSession.objects.exists)()


async def test_another_users_session_is_not_found_and_never_joined(
    alice: tuple[Any, str], bob: tuple[Any, str]
) -> None:
    async with connected(alice[1]) as owner:
        session_id = (await chat(owner, "private"))[0]["session_id"]
        async with connected(bob[1]) as intruder:
            for frame in (
                {"type": "load_session", "session_id": session_id},
                {"type": "chat", "session_id": session_id, "content": "let me in"},
                {"type": "attach_file", "session_id": session_id, "file_id": session_id},
                {"type": "stop", "session_id": session_id},
            ):
                await intruder.send_json_to(frame)
                error = await intruder.receive_json_from()
                assert (error["type"], error["code"]) == ("error", "not_found"), frame
            await chat(owner, "still private", session_id)
            assert await intruder.receive_nothing(timeout=0.3)
    assert [m[1] for m in await messages_of(session_id) if m[0] == "user"] == [
        "private",
        "still private",
    ]


TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK")


async def test_a_message_costs_the_same_few_queries_however_long_the_chat(
    alice: tuple[Any, str],
) -> None:
    """Every message sent: the chat's ownership read, the message and its answer's
    ``streaming`` row saved with one update of the chat (one write transaction), the
    context's files and history read, the answer saved in place. The CPU per reply
    doubled when this grew to three transactions and a savepoint (issue #16)."""
    async with connected(alice[1]) as comm:
        session_id = (await chat(comm, "first"))[0]["session_id"]
        with chat_db_statements() as short_chat:
            await chat(comm, "second", session_id)
        for number in range(10):
            await chat(comm, f"more {number}", session_id)
        with chat_db_statements() as long_chat:
            frames = await chat(comm, "the thirteenth", session_id)
    assert frames[-1]["status"] == "complete"
    assert len(long_chat) == len(short_chat), (short_chat, long_chat)
    control = [sql for sql in long_chat if sql.upper().startswith(TRANSACTION_CONTROL)]
    data = [sql for sql in long_chat if sql not in control]
    assert len(data) <= 7, data
    # SQLite names its one write transaction (BEGIN IMMEDIATE); PostgreSQL's is implicit
    assert [sql.split()[0].upper() for sql in control] in ([], ["BEGIN"]), control
    assert [(m[0], m[2]) for m in await messages_of(session_id)][-2:] == [
        ("user", "complete"),
        ("assistant", "complete"),
    ]


async def test_a_new_chat_reads_nothing_of_the_users_files_it_does_not_use(
    alice: tuple[Any, str],
) -> None:
    """A chat made for this message has no history and no files yet: its ``session``
    frame costs no query. Reading its files scanned every file the user owns (with the
    shares asked first) on each new chat, and a soak chat is always a new chat."""
    await database_sync_to_async(_files_for)(alice[0], 40)
    async with connected(alice[1]) as comm:
        with chat_db_statements() as statements:
            frames = await chat(comm, "hello, what do you see?")
    assert frames[0]["type"] == "session"
    assert (frames[0]["messages"], frames[0]["files"]) == ([], [])
    assert frames[-1]["status"] == "complete"
    data = [sql for sql in statements if not sql.upper().startswith(TRANSACTION_CONTROL)]
    assert not [sql for sql in data if "files_usershare" in sql], data
    # one write transaction before the reply, of the chat's row and one INSERT of the
    # message's and the answer's rows (no savepoint, no read-back, no update of the
    # chat: each statement in it holds SQLite's one write lock); then the context's
    # files and history read, and the answer saved
    control = [sql.split()[0].upper() for sql in statements if sql not in data]
    assert control in ([], ["BEGIN"]), control
    writes = [sql.split()[0].upper() for sql in data if not sql.upper().startswith("SELECT")]
    assert writes == ["INSERT", "INSERT", "UPDATE"], data
    assert len(data) <= 5, data


async def test_a_new_chat_is_saved_titled_and_ending_with_its_answer(
    alice: tuple[Any, str],
) -> None:
    async with connected(alice[1]) as comm:
        frames = await chat(comm, "  what is   in my files?  ")
    session = await database_sync_to_async(ChatSession.objects.get)(pk=frames[0]["session_id"])
    assert session.title == frames[0]["title"] == "what is in my files?"
    assert str(session.leaf_id) == frames[-1]["message_id"]  # the answer ends the branch


async def test_a_new_chat_whose_file_is_refused_is_opened_empty_and_untitled(
    alice: tuple[Any, str],
) -> None:
    async with connected(alice[1]) as comm:
        await comm.send_json_to(
            {"type": "chat", "session_id": None, "content": "see", "file_ids": [str(uuid.uuid4())]}
        )
        opened, error = await comm.receive_json_from(), await comm.receive_json_from()
    assert (opened["type"], error["type"], error["code"]) == ("session", "error", "not_found")
    session = await database_sync_to_async(ChatSession.objects.get)(pk=opened["session_id"])
    assert (session.title, session.leaf_id) == ("", None)
    assert await messages_of(opened["session_id"]) == []


def _files_for(owner: Any, count: int) -> None:
    for number in range(count):
        StoredFile.objects.create(
            owner=owner,
            key=f"users/{owner.email}/uploads/20261206_{number:08x}_note-{number}.txt",
            filename=f"note-{number}.txt",
            content_type="text/plain",
            size=10,
        )


async def test_two_tabs_of_one_user_see_the_same_reply(alice: tuple[Any, str]) -> None:
    async with connected(alice[1]) as tab_a, connected(alice[1]) as tab_b:
        session_id = (await chat(tab_a, "first"))[0]["session_id"]
        await tab_b.send_json_to({"type": "load_session", "session_id": session_id})
        assert (await tab_b.receive_json_from())["type"] == "session"

        frames_a = await chat(tab_a, "second", session_id)
        frames_b = await receive_until(tab_b, "response_complete")

    assert of_type(frames_b, "message")[0]["message"]["content"] == "second"
    tokens_a = [f["content"] for f in of_type(frames_a, "token")]
    tokens_b = [f["content"] for f in of_type(frames_b, "token")]
    assert tokens_a == tokens_b and tokens_a
    assert frames_a[-1] == frames_b[-1]


async def test_stop_cancels_the_reply_and_saves_what_was_streamed(
    alice: tuple[Any, str], use_provider: Any
) -> None:
    use_provider(ScriptedProvider([f"word{i} " for i in range(50)], delay_s=0.05))
    async with connected(alice[1]) as comm:
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "talk a lot"})
        frames = await receive_until(comm, "token")
        frames += await receive_until(comm, "token")
        await comm.send_json_to({"type": "stop"})
        frames += await receive_until(comm, "response_complete")
        again = await chat(comm, "are you there?", frames[0]["session_id"])

    done = frames[-1]
    streamed = "".join(f["content"] for f in of_type(frames, "token"))
    assert done["status"] == "stopped"
    assert done["content"] == streamed
    assert 2 <= len(of_type(frames, "token")) < 50
    assert again[-1]["status"] == "complete", "the socket takes a new message after a stop"
    stored = await messages_of(frames[0]["session_id"])
    assert stored[1] == ("assistant", streamed, "stopped")


async def test_stop_from_another_tab_stops_the_reply(
    alice: tuple[Any, str], use_provider: Any
) -> None:
    async with connected(alice[1]) as tab_a, connected(alice[1]) as tab_b:
        session_id = (await chat(tab_a, "first"))[0]["session_id"]
        await tab_b.send_json_to({"type": "load_session", "session_id": session_id})
        await tab_b.receive_json_from()
        use_provider(ScriptedProvider([f"w{i} " for i in range(100)], delay_s=0.05))
        await tab_a.send_json_to({"type": "chat", "session_id": session_id, "content": "long"})
        await receive_until(tab_b, "token")
        await tab_b.send_json_to({"type": "stop", "session_id": session_id})
        done_b = (await receive_until(tab_b, "response_complete"))[-1]
        done_a = (await receive_until(tab_a, "response_complete"))[-1]
    assert done_a["status"] == done_b["status"] == "stopped"


async def test_a_second_message_while_replying_is_busy(
    alice: tuple[Any, str], use_provider: Any
) -> None:
    use_provider(ScriptedProvider(["a ", "b ", "c "], delay_s=0.4))  # 0.8 s after the first
    async with connected(alice[1]) as comm:
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "one"})
        session_id = (await receive_until(comm, "token"))[0]["session_id"]
        await comm.send_json_to({"type": "chat", "session_id": session_id, "content": "two"})
        frames = await receive_until(comm, "response_complete")
    errors = of_type(frames, "error")
    assert [e["code"] for e in errors] == ["busy"]
    assert frames[-1]["content"] == "a b c "


async def test_a_message_sent_as_the_reply_finishes_waits_for_it_instead_of_busy(
    alice: tuple[Any, str],
) -> None:
    """The answer row is saved a moment before the reply's lock is released: a tab that
    reloaded in that moment shows the answer complete, and its next message must go."""
    async with connected(alice[1]) as comm:
        session_id = (await chat(comm, "one"))[0]["session_id"]
        held = await reply_lock_acquire(uuid.UUID(session_id))  # the reply, finishing
        assert held is not None
        asyncio.get_running_loop().call_later(
            REPLY_LOCK_SETTLE_S / 4, asyncio.ensure_future, held.release()
        )
        frames = await chat(comm, "two", session_id)
    assert of_type(frames, "error") == []
    assert 'You wrote: "two"' in frames[-1]["content"]


class FailingProvider(LLMProvider):
    async def stream(self, request: LLMRequest) -> AsyncIterator[Any]:
        raise LLMUnavailable()
        yield  # an async generator that fails on first use


async def test_a_failing_model_sends_llm_unavailable_and_keeps_the_message(
    alice: tuple[Any, str], use_provider: Any
) -> None:
    use_provider(FailingProvider())
    async with connected(alice[1]) as comm:
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "anyone?"})
        frames = await receive_until(comm, "error")
        use_provider(ScriptedProvider(["back"], delay_s=0))
        again = await chat(comm, "retry", frames[0]["session_id"])
    assert frames[-1]["code"] == "llm_unavailable"
    assert frames[-1]["session_id"] == frames[0]["session_id"]
    assert again[-1]["content"] == "back"
    assert await messages_of(frames[0]["session_id"]) == [
        ("user", "anyone?", "complete"),
        ("assistant", "", "error"),  # shown as unfinished, to regenerate
        ("user", "retry", "complete"),
        ("assistant", "back", "complete"),
    ]


async def test_help_lists_the_tools(alice: tuple[Any, str], settings: Any) -> None:
    settings.TOOLS = ["tools.builtin.csv_summary.CsvSummaryTool"]
    async with connected(alice[1]) as comm:
        frames = await chat(comm, "/help")
    assert "csv_summary" in frames[-1]["content"]
