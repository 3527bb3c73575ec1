"""Text deltas batched into fewer token frames: same text, same order, bounded delay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.llm import Done, LLMEvent, TextDelta, ToolCall
from chat.llm.batching import text_batched
from chatui.errors import LLMUnavailable

pytestmark = [pytest.mark.anyio]

CALL = ToolCall(id="c1", name="plot_csv", arguments="{}")


async def scripted(items: list[Any], pause_s: float = 0.0) -> AsyncIterator[LLMEvent]:
    """Yields the items, sleeping ``pause_s`` before each; an exception item is raised."""
    for item in items:
        if pause_s:
            await asyncio.sleep(pause_s)
        if isinstance(item, Exception):
            raise item
        yield item


async def collected(events: AsyncIterator[LLMEvent], **kwargs: Any) -> list[LLMEvent]:
    return [event async for event in text_batched(events, **kwargs)]


async def test_text_ready_at_once_goes_out_as_one_delta() -> None:
    # given a provider whose whole answer is ready (the offline assistant)
    words = [TextDelta(f"word{i} ") for i in range(20)]

    # when
    out = await collected(scripted([*words, Done("stop")]))

    # then
    assert out == [TextDelta("".join(w.text for w in words)), Done("stop")]


async def test_a_slow_model_is_not_held_back_beyond_the_window() -> None:
    out = await collected(scripted([TextDelta("a"), TextDelta("b"), Done()], pause_s=0.05))
    assert out == [TextDelta("a"), TextDelta("b"), Done()], "each piece went out on its own"


async def test_pending_text_goes_out_when_the_window_ends_even_if_the_model_is_silent() -> None:
    # given a model that sends a word, then stays silent for a long while
    gate = asyncio.Event()

    async def stalls() -> AsyncIterator[LLMEvent]:
        yield TextDelta("hello ")
        await gate.wait()
        yield Done()

    batched = text_batched(stalls(), window_s=0.02)

    # when / then: the word arrives long before the model speaks again
    first = await asyncio.wait_for(batched.__anext__(), timeout=1)
    assert first == TextDelta("hello ")
    gate.set()
    assert [event async for event in batched] == [Done()]


async def test_text_before_a_tool_call_goes_out_first_in_order() -> None:
    items = [TextDelta("Let "), TextDelta("me "), CALL, TextDelta("Done."), Done("tool_calls")]
    out = await collected(scripted(items))
    assert out == [TextDelta("Let me "), CALL, TextDelta("Done."), Done("tool_calls")]


async def test_a_failing_model_delivers_its_text_then_the_error() -> None:
    items = [TextDelta("partial "), TextDelta("answer"), LLMUnavailable()]
    batched = text_batched(scripted(items))
    assert await batched.__anext__() == TextDelta("partial answer")
    with pytest.raises(LLMUnavailable):
        await batched.__anext__()


async def test_a_batch_is_cut_at_max_chars() -> None:
    out = await collected(scripted([TextDelta("abc")] * 4 + [Done()]), max_chars=6)
    assert out == [TextDelta("abcabc"), TextDelta("abcabc"), Done()]


async def test_closing_the_batches_closes_the_providers_stream() -> None:
    closed = asyncio.Event()

    async def endless() -> AsyncIterator[LLMEvent]:
        try:
            while True:
                yield TextDelta("x")
                await asyncio.sleep(0.001)
        finally:
            closed.set()

    batched = text_batched(endless(), window_s=0.005)
    await batched.__anext__()
    await batched.aclose()
    assert closed.is_set(), "a stopped reply stops reading the model"


@given(st.lists(st.text(max_size=12), max_size=40))
def test_the_batches_join_back_to_the_exact_text(pieces: list[str]) -> None:
    async def run() -> list[LLMEvent]:
        return await collected(scripted([*map(TextDelta, pieces), Done()]), max_chars=16)

    out = asyncio.run(run())
    assert "".join(e.text for e in out if isinstance(e, TextDelta)) == "".join(pieces)
    assert out[-1] == Done() and all(e.text for e in out if isinstance(e, TextDelta))


async def test_a_stop_that_lands_as_the_next_piece_arrives_still_stops_the_reply() -> None:
    # given a reply with text waiting in its window, and a Stop (the task's cancel) that
    # lands in the same turn of the event loop as the model's next piece - on a busy
    # server that is common; Python 3.11's ``asyncio.wait_for`` then returned the piece
    # and dropped the cancel, so the reply ran on to its end
    loop = asyncio.get_running_loop()
    go_on = asyncio.Event()
    reply: asyncio.Task[None] | None = None

    async def model() -> AsyncIterator[LLMEvent]:
        yield TextDelta("a")
        await go_on.wait()
        assert reply is not None
        loop.call_soon(reply.cancel)  # the Stop, queued just before the piece's wake-up
        yield TextDelta("b")
        await asyncio.sleep(3600)  # a model that would go on for a long time
        yield Done()

    async def answer() -> None:
        async for _ in text_batched(model(), window_s=60):
            pass

    reply = asyncio.create_task(answer())
    await asyncio.sleep(0.01)  # "a" waits in its 60 s window

    # when
    go_on.set()

    # then the reply is stopped, not left waiting for more of the model
    done, _ = await asyncio.wait({reply}, timeout=5)
    assert reply in done and reply.cancelled()
