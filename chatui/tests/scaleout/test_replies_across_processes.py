"""Replies belong to the chat across processes: two ``uvicorn`` processes of their own
(sharing the site's PostgreSQL, Redis and SeaweedFS) answered by a slow loopback
OpenAI-compatible model, so a reply is still being written while tabs come and go."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from chat.reply_lock import REPLY_LOCK_PREFIX
from chat.tests.fake_llm import FakeLLM, Reply
from chatui.testing import scaleout

from .conftest import CHAT_USER, Site
from .test_processes import send, tab, until

WORDS = [f"w{i} " for i in range(60)]


@dataclass
class SlowSite:
    a: scaleout.Server
    b: scaleout.Server
    llm: FakeLLM
    account: scaleout.Account


@pytest.fixture(scope="module")
def slow(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlowSite]:
    llm = FakeLLM().start()
    env = {**site.env, "LLM_BASE_URL": llm.base_url, "LLM_MODEL": "fake", "LLM_API_KEY": "x"}
    logs = tmp_path_factory.mktemp("slow")
    try:
        with (
            scaleout.running_server(env, Path(logs) / "a.log") as a,
            scaleout.running_server(env, Path(logs) / "b.log") as b,
        ):
            yield SlowSite(a, b, llm, site.accounts[CHAT_USER])
    finally:
        llm.stop()


def slow_reply(llm: FakeLLM) -> None:
    llm.script.append(Reply(text_chunks=WORDS, chunk_delay_s=0.05))


def test_a_reply_outlives_its_tab_and_a_tab_on_the_other_process_catches_up(
    slow: SlowSite,
) -> None:
    asyncio.run(_outlives(slow))


async def _outlives(slow: SlowSite) -> None:
    slow_reply(slow.llm)
    async with tab(slow.a, slow.account) as asking:
        await send(asking, {"type": "chat", "session_id": None, "content": "count slowly"})
        session_id = (await until(asking, "token"))[0]["session_id"]
    # the asking tab (on A) is closed; a tab on B opens the chat mid-reply
    async with tab(slow.b, slow.account) as reloaded:
        await send(reloaded, {"type": "load_session", "session_id": session_id})
        session = (await until(reloaded, "session"))[-1]
        frames = await until(reloaded, "response_complete", timeout=30)
    assert session["messages"][-1]["status"] == "streaming"
    state = next(f for f in frames if f["type"] == "reply_state")
    after = frames[frames.index(state) + 1 :]
    caught_up = state["content"] + "".join(f["content"] for f in after if f["type"] == "token")
    assert caught_up == "".join(WORDS) == frames[-1]["content"]
    assert frames[-1]["status"] == "complete"


def test_stop_from_a_tab_on_the_other_process_stops_a_reply_whose_tab_closed(
    slow: SlowSite,
) -> None:
    asyncio.run(_stop_elsewhere(slow))


async def _stop_elsewhere(slow: SlowSite) -> None:
    # A reply far longer than the test's own steps (close a tab, open one on the other
    # process, catch up, stop) take on a loaded CI machine: it can only complete if the
    # stop is lost, never because the stop came late.
    long = [f"w{i} " for i in range(400)]
    slow.llm.script.append(Reply(text_chunks=long, chunk_delay_s=0.05))
    async with tab(slow.b, slow.account) as asking:
        await send(asking, {"type": "chat", "session_id": None, "content": "count"})
        session_id = (await until(asking, "token"))[0]["session_id"]
    async with tab(slow.a, slow.account) as other:
        await send(other, {"type": "load_session", "session_id": session_id})
        await until(other, "reply_state")
        await send(other, {"type": "stop", "session_id": session_id})
        done = (await until(other, "response_complete", timeout=40))[-1]
        # and the chat takes a new message at once
        slow.llm.script.append(Reply(text_chunks=["again"]))
        await send(other, {"type": "chat", "session_id": session_id, "content": "more"})
        again = (await until(other, "response_complete"))[-1]
    assert done["status"] == "stopped" and 0 < len(done["content"]) < len("".join(long))
    assert again["status"] == "complete"


def test_a_process_killed_mid_reply_leaves_the_answer_interrupted(
    slow: SlowSite, site: Site, tmp_path: Path
) -> None:
    env = {**site.env, "LLM_BASE_URL": slow.llm.base_url, "LLM_MODEL": "fake", "LLM_API_KEY": "x"}
    with scaleout.running_server(env, tmp_path / "doomed.log") as doomed:
        asyncio.run(_kill_mid_reply(slow, doomed))


async def _kill_mid_reply(slow: SlowSite, doomed: scaleout.Server) -> None:
    slow_reply(slow.llm)
    async with tab(doomed, slow.account) as asking:
        await send(asking, {"type": "chat", "session_id": None, "content": "count"})
        session_id = (await until(asking, "token"))[0]["session_id"]
        doomed.process.kill()  # the process dies mid-reply, holding the chat's lock
        doomed.process.wait(10)
    # its lock expires (REPLY_LOCK_TTL_S after its last renewal): moved forward here
    key = f"{REPLY_LOCK_PREFIX}{session_id}"
    client: Any = redis.Redis.from_url(scaleout.redis_url())
    assert client.exists(key)
    client.delete(key)
    async with tab(slow.a, slow.account) as later:
        await send(later, {"type": "load_session", "session_id": session_id})
        session = (await until(later, "session"))[-1]
        slow.llm.script.append(Reply(text_chunks=["fresh"]))
        await send(later, {"type": "chat", "session_id": session_id, "content": "again"})
        again = (await until(later, "response_complete"))[-1]
    answer = session["messages"][-1]
    assert (answer["role"], answer["status"]) == ("assistant", "interrupted")
    assert again["status"] == "complete" and again["content"] == "fresh"
