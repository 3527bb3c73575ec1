"""Replies belong to the chat: they outlive the socket that asked, a tab that opens the
chat mid-reply catches up, only Stop stops them, and every reply ends (a timeout, an
orphan marked interrupted). Through the real ASGI stack and the in-memory layer; the
scale-out test runs the same across two processes with Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async

from chat import consumers
from chat.llm import Done, LLMProvider, LLMRequest, TextDelta
from chat.models import ChatSession, Message
from chat.tests.conftest import (
    ScriptedProvider,
    chat_db_statements,
    communicator,
    receive_until,
)
from chat.tests.test_consumers import connected, messages_of, of_type
from chatui.asgi import application

pytestmark = [pytest.mark.anyio]

WORDS = [f"w{i} " for i in range(40)]


class GatedProvider(LLMProvider):
    """Streams ``before``, waits for ``gate`` (the test opens it), then streams ``after``:
    the reply is certainly still running while the test reloads."""

    def __init__(self, before: list[str], after: list[str]) -> None:
        self.before, self.after, self.gate = before, after, asyncio.Event()

    async def stream(self, request: LLMRequest) -> AsyncIterator[Any]:
        for chunk in self.before:
            yield TextDelta(chunk)
        await self.gate.wait()
        for chunk in self.after:
            await asyncio.sleep(0)
            yield TextDelta(chunk)
        yield Done()


async def test_a_reply_outlives_its_tab_and_a_new_tab_catches_up(
    alice: tuple[Any, str], use_provider: Any
) -> None:
    model = GatedProvider(WORDS[:5], WORDS[5:])
    use_provider(model)
    asking = communicator(alice[1])
    await asking.connect()
    try:
        await asking.send_json_to({"type": "chat", "session_id": None, "content": "go"})
        seen = await receive_until(asking, "token")
    finally:
        await asking.disconnect()  # the tab closes (or reloads) mid-answer
    session_id = seen[0]["session_id"]

    async with connected(alice[1]) as reloaded:
        await reloaded.send_json_to({"type": "load_session", "session_id": session_id})
        session = (await receive_until(reloaded, "session"))[-1]
        frames = await receive_until(reloaded, "reply_state")
        model.gate.set()  # the rest of the answer comes once the new tab has caught up
        frames += await receive_until(reloaded, "response_complete")

    shown = session["messages"][-1]
    assert (shown["role"], shown["status"]) == ("assistant", "streaming")
    state = of_type(frames, "reply_state")[0]
    assert state["message_id"] == shown["id"] and state["content"] == "".join(WORDS[:5])
    after = frames[frames.index(state) + 1 :]
    caught_up = state["content"] + "".join(f["content"] for f in of_type(after, "token"))
    assert caught_up == "".join(WORDS) == frames[-1]["content"]
    assert frames[-1]["status"] == "complete"
    assert (await messages_of(session_id))[-1] == ("assistant", "".join(WORDS), "complete")


async def test_a_tab_opening_a_chat_mid_reply_reads_it_once(
    alice: tuple[Any, str], use_provider: Any
) -> None:
    # every reload mid-answer pays for this (bench/chat_ws.py --disconnect)
    model = GatedProvider(WORDS[:5], WORDS[5:])
    use_provider(model)
    async with connected(alice[1]) as asking:
        await asking.send_json_to({"type": "chat", "session_id": None, "content": "go"})
        session_id = (await receive_until(asking, "token"))[0]["session_id"]
    async with connected(alice[1]) as reloaded:
        with chat_db_statements() as mid_reply:
            await reloaded.send_json_to({"type": "load_session", "session_id": session_id})
            await receive_until(reloaded, "reply_state")
        model.gate.set()
        await receive_until(reloaded, "response_complete")
    async with connected(alice[1]) as later:
        with chat_db_statements() as after_reply:
            await later.send_json_to({"type": "load_session", "session_id": session_id})
            assert (await receive_until(later, "session"))[-1]["messages"][-1]["status"] == (
                "complete"
            )
    # the same reads: the group is joined before the chat is read, so nothing that
    # happens to the reply meanwhile needs a second look
    assert len(mid_reply) == len(after_reply), (mid_reply, after_reply)


async def test_a_reply_that_ends_as_a_tab_joins_the_chat_is_read_complete_once(
    alice: tuple[Any, str], use_provider: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a tab reloaded at a reply's first frame often meets its end (--disconnect)
    model = GatedProvider(WORDS[:5], WORDS[5:])
    use_provider(model)
    async with connected(alice[1]) as asking:
        await asking.send_json_to({"type": "chat", "session_id": None, "content": "go"})
        session_id = (await receive_until(asking, "token"))[0]["session_id"]
        join = consumers.ChatConsumer._group_join

        async def join_as_the_reply_ends(self: Any, chat_id: Any) -> None:
            await join(self, chat_id)
            model.gate.set()
            await receive_until(asking, "response_complete")  # saved

        monkeypatch.setattr(consumers.ChatConsumer, "_group_join", join_as_the_reply_ends)
        async with connected(alice[1]) as reloaded:
            with chat_db_statements() as racing:
                await reloaded.send_json_to({"type": "load_session", "session_id": session_id})
                frames = await receive_until(reloaded, "session")
        monkeypatch.setattr(consumers.ChatConsumer, "_group_join", join)
    async with connected(alice[1]) as later:
        with chat_db_statements() as after_reply:
            await later.send_json_to({"type": "load_session", "session_id": session_id})
            expected = (await receive_until(later, "session"))[-1]

    assert frames[-1]["messages"] == expected["messages"]
    assert expected["messages"][-1]["content"] == "".join(WORDS)
    # the chat is read once, complete: no second look at the answer
    # (the reply's own save runs on the same pool meanwhile: reads are counted)
    reads = [sql for sql in racing if sql.startswith("SELECT")]
    assert len(reads) == len(after_reply), (reads, after_reply)


async def test_stop_from_a_tab_that_did_not_ask_stops_a_reply_whose_tab_closed(
    alice: tuple[Any, str], use_provider: Any
) -> None:
    use_provider(GatedProvider(WORDS[:3], WORDS[3:]))  # the gate stays shut: only Stop ends it
    asking = communicator(alice[1])
    await asking.connect()
    try:
        await asking.send_json_to({"type": "chat", "session_id": None, "content": "go"})
        session_id = (await receive_until(asking, "token"))[0]["session_id"]
    finally:
        await asking.disconnect()
    async with connected(alice[1]) as other:
        await other.send_json_to({"type": "load_session", "session_id": session_id})
        await receive_until(other, "reply_state")
        await other.send_json_to({"type": "stop", "session_id": session_id})
        done = (await receive_until(other, "response_complete"))[-1]
    assert done["status"] == "stopped"
    stored = (await messages_of(session_id))[-1]
    assert stored == ("assistant", done["content"], "stopped") and done["content"]


def client_leaving(gone: asyncio.Event, refused: list[dict[str, Any]]) -> Any:
    """The site behind a server that, as ASGI servers do (uvicorn's ``ClientDisconnected``),
    raises ``OSError`` from ``send`` once the client has gone (``gone`` set); its
    ``websocket.disconnect`` comes later (the communicator's ``disconnect``)."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        async def send_or_refuse(message: dict[str, Any]) -> None:
            if gone.is_set():
                refused.append(message)
                raise OSError("the client has gone")
            await send(message)

        await application(scope, receive, send_or_refuse)

    return app


async def test_a_tab_whose_client_left_mid_reply_still_leaves_the_chat(
    alice: tuple[Any, str], use_provider: Any
) -> None:
    """The server refuses the reply's next frame before it reports the close: the
    consumer must live on to its ``disconnect`` (which leaves the chat's group), not end
    on that error with its channel still in the group, where every later frame of the
    chat would pile up (bench/chat_ws.py --disconnect)."""
    model = GatedProvider(WORDS[:3], WORDS[3:])
    use_provider(model)
    gone, refused = asyncio.Event(), []
    asking = communicator(alice[1], app=client_leaving(gone, refused))
    await asking.connect()
    await asking.send_json_to({"type": "chat", "session_id": None, "content": "go"})
    session_id = (await receive_until(asking, "token"))[0]["session_id"]
    gone.set()  # the tab closed; the server has not told the consumer yet
    async with connected(alice[1]) as other:
        await other.send_json_to({"type": "load_session", "session_id": session_id})
        await receive_until(other, "reply_state")
        model.gate.set()
        done = (await receive_until(other, "response_complete"))[-1]
    await asking.disconnect()  # the consumer ends through ``disconnect``, not the error
    assert refused and refused[0]["type"] == "websocket.send"
    assert done["status"] == "complete" and done["content"] == "".join(WORDS)


class SilentProvider(LLMProvider):
    """A model that never answers (and never times out by itself)."""

    async def stream(self, request: LLMRequest) -> AsyncIterator[Any]:
        await asyncio.Event().wait()
        yield None


async def test_a_reply_that_runs_too_long_ends_as_an_error(
    alice: tuple[Any, str], use_provider: Any, settings: Any
) -> None:
    settings.CHAT_REPLY_TIMEOUT_S = 0.3
    use_provider(SilentProvider())
    async with connected(alice[1]) as comm:
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "hello?"})
        frames = await receive_until(comm, "response_complete")
        use_provider(ScriptedProvider(["here"], delay_s=0))
        await comm.send_json_to(
            {"type": "chat", "session_id": frames[0]["session_id"], "content": "again"}
        )
        again = await receive_until(comm, "response_complete")
    assert frames[-1]["status"] == "error"
    assert again[-1]["status"] == "complete", "the chat is free again"


@database_sync_to_async
def orphan_make(user: Any) -> tuple[str, str]:
    session = ChatSession.objects.create(owner=user, title="orphan")
    question = Message.objects.create(session=session, role="user", content="q")
    answer = Message.objects.create(
        session=session, role="assistant", content="half", status="streaming", parent=question
    )
    session.leaf = answer
    session.save()
    return str(session.id), str(answer.id)


async def test_an_answer_whose_writer_died_is_marked_interrupted(alice: tuple[Any, str]) -> None:
    session_id, answer_id = await orphan_make(alice[0])  # no reply lock: its process is gone
    async with connected(alice[1]) as comm:
        await comm.send_json_to({"type": "load_session", "session_id": session_id})
        session = await comm.receive_json_from()
    assert [(m["id"], m["status"]) for m in session["messages"]][-1] == (answer_id, "interrupted")
    assert (await messages_of(session_id))[-1] == ("assistant", "half", "interrupted")


async def test_every_reply_of_a_busy_chat_reaches_the_tab_to_its_last_frame(
    alice: tuple[Any, str],
) -> None:
    """Each reply's end stops its control listener; stopping it must not drop the
    frames in flight to this process's sockets (with Redis, a receive cancelled mid-pop
    loses what the pop took: the ``response_complete`` the tab waits for). 28 turns:
    enough to hit that window every run, inside the chat rate limit (30/minute)."""
    async with connected(alice[1]) as comm:
        session_id = None
        for turn in range(28):
            frames = await receive_until_complete(comm, f"turn {turn}", session_id)
            session_id = frames[0]["session_id"]
            assert frames[-1]["type"] == "response_complete"
            assert f'You wrote: "turn {turn}"' in frames[-1]["content"]
    assert [row[2] for row in await messages_of(session_id)] == ["complete"] * 56


async def receive_until_complete(
    comm: Any, content: str, session_id: str | None
) -> list[dict[str, Any]]:
    await comm.send_json_to({"type": "chat", "session_id": session_id, "content": content})
    return await receive_until(comm, "response_complete")
