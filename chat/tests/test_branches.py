"""Message actions over the websocket: edit-and-resend, regenerate, continue, and
switching between the branches they leave, with the model's context following the
branch on show."""

from __future__ import annotations

from typing import Any

import pytest

from chat.reply import CONTINUE_ASK
from chat.tests.conftest import ScriptedProvider, receive_until
from chat.tests.test_consumers import chat, connected, messages_of, of_type
from chat.tests.test_reply_lifecycle import GatedProvider

pytestmark = [pytest.mark.anyio]


def contents(session_frame: dict[str, Any]) -> list[str]:
    return [m["content"] for m in session_frame["messages"]]


def turns(provider: ScriptedProvider) -> list[str]:
    """The conversation the model was last sent (its system prompt left out)."""
    return [m["content"] for m in provider.requests[-1].messages[1:]]


async def action(comm: Any, kind: str, session_id: str, message_id: str, **more: Any) -> list:
    await comm.send_json_to(
        {"type": kind, "session_id": session_id, "message_id": message_id, **more}
    )
    return await receive_until(comm, "response_complete")


async def load(comm: Any, session_id: str) -> dict[str, Any]:
    await comm.send_json_to({"type": "load_session", "session_id": session_id})
    return await comm.receive_json_from()


async def test_edit_and_resend_keeps_the_old_branch_reachable(
    alice: tuple[Any, str], use_provider: Any
) -> None:
    async with connected(alice[1]) as comm:
        use_provider(ScriptedProvider(["about cats"], delay_s=0))
        first = await chat(comm, "tell me about cats")
        session_id = first[0]["session_id"]
        asked_id = of_type(first, "message")[0]["message"]["id"]
        second = ScriptedProvider(["about dogs"], delay_s=0)
        use_provider(second)
        frames = await action(comm, "edit", session_id, asked_id, content="tell me about dogs")
        now = await load(comm, session_id)
        old_user = now["messages"][0]["siblings"][0]
        await comm.send_json_to(
            {"type": "switch_branch", "session_id": session_id, "message_id": old_user}
        )
        back = await comm.receive_json_from()

    shown = of_type(frames, "session")[0]["messages"]
    assert [(m["content"], m["status"]) for m in shown[-2:]] == [
        ("tell me about dogs", "complete"),
        ("", "streaming"),  # the answer being written, a bubble to stream into
    ]
    assert turns(second) == ["tell me about dogs"], "the model sees only the branch on show"
    assert contents(now) == ["tell me about dogs", "about dogs"]
    edited = now["messages"][0]
    assert (len(edited["siblings"]), edited["sibling_index"]) == (2, 1)
    assert old_user == asked_id
    assert back["type"] == "session" and contents(back) == ["tell me about cats", "about cats"]
    assert back["messages"][0]["sibling_index"] == 0
    assert len(await messages_of(session_id)) == 4, "nothing was deleted"


async def test_regenerate_adds_a_second_answer_shown_as_two_of_two(
    alice: tuple[Any, str], use_provider: Any
) -> None:
    async with connected(alice[1]) as comm:
        use_provider(ScriptedProvider(["first answer"], delay_s=0))
        first = await chat(comm, "a question")
        session_id = first[0]["session_id"]
        answer_id = first[-1]["message_id"]
        again = ScriptedProvider(["second answer"], delay_s=0)
        use_provider(again)
        frames = await action(comm, "regenerate", session_id, answer_id)
        now = await load(comm, session_id)
        await comm.send_json_to(
            {"type": "switch_branch", "session_id": session_id, "message_id": answer_id}
        )
        back = await comm.receive_json_from()

    assert contents(of_type(frames, "session")[0]) == ["a question", ""]
    assert frames[-1]["content"] == "second answer" and frames[-1]["message_id"] != answer_id
    assert turns(again) == ["a question"], "the old answer is not in the new one's context"
    shown = now["messages"][-1]
    assert (shown["content"], shown["sibling_index"], len(shown["siblings"])) == (
        "second answer",
        1,
        2,
    )
    assert contents(back) == ["a question", "first answer"]


async def test_continue_extends_a_stopped_answer_in_place(
    alice: tuple[Any, str], use_provider: Any
) -> None:
    async with connected(alice[1]) as comm:
        use_provider(GatedProvider(["w0 ", "w1 "], ["never"]))  # runs until stopped
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "count"})
        await receive_until(comm, "token")
        await comm.send_json_to({"type": "stop"})
        stopped = (await receive_until(comm, "response_complete"))[-1]
        session_id, answer_id = stopped["session_id"], stopped["message_id"]
        more = ScriptedProvider(["and the rest."], delay_s=0)
        use_provider(more)
        frames = await action(comm, "continue", session_id, answer_id)
        refused = await action_error(comm, "continue", session_id, answer_id)

    done = frames[-1]
    assert stopped["status"] == "stopped"
    assert done["message_id"] == answer_id and done["status"] == "complete"
    assert done["content"] == stopped["content"] + "and the rest."
    assert turns(more) == ["count", stopped["content"], CONTINUE_ASK]
    assert (await messages_of(session_id))[-1] == ("assistant", done["content"], "complete")
    assert refused["code"] == "invalid", "a complete answer is not continued"


async def action_error(comm: Any, kind: str, session_id: str, message_id: str) -> dict[str, Any]:
    await comm.send_json_to({"type": kind, "session_id": session_id, "message_id": message_id})
    return (await receive_until(comm, "error"))[-1]


async def test_actions_are_refused_mid_reply_and_on_another_users_chat(
    alice: tuple[Any, str], bob: tuple[Any, str], use_provider: Any
) -> None:
    async with connected(alice[1]) as comm, connected(bob[1]) as intruder:
        use_provider(ScriptedProvider(["done"], delay_s=0))
        first = await chat(comm, "mine")
        session_id, answer_id = first[0]["session_id"], first[-1]["message_id"]
        use_provider(GatedProvider(["w0 "], ["never"]))  # runs until stopped
        await comm.send_json_to({"type": "chat", "session_id": session_id, "content": "long"})
        await receive_until(comm, "token")
        busy = await action_error(comm, "regenerate", session_id, answer_id)
        await comm.send_json_to({"type": "stop", "session_id": session_id})
        await receive_until(comm, "response_complete")
        foreign = await action_error(intruder, "regenerate", session_id, answer_id)
        unknown = await action_error(comm, "regenerate", session_id, session_id)
    assert busy["code"] == "busy"
    assert foreign["code"] == "not_found"
    assert unknown["code"] == "not_found"
    assert len(await messages_of(session_id)) == 4
