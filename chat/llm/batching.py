"""Text deltas merged into fewer, larger ones before they become ``token`` frames.

Every ``token`` frame is a ``group_send`` through the channel layer and a websocket
write per tab, so a model that streams a word at a time costs a frame per word.
``text_batched`` passes a provider's events through unchanged except that the text
arriving within ``window_s`` of a batch's first piece (or up to ``max_chars``) goes
out as one delta: at most ~40 frames a second per reply, never more than
``window_s`` late, and the text joins back exactly. Text is always flushed before
a tool call, the end of the round, or a provider failure, so nothing is lost or
reordered.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from .base import LLMEvent, TextDelta

FLUSH_WINDOW_S = 0.025
FLUSH_MAX_CHARS = 4096


@dataclass(frozen=True)
class _Failed:
    error: Exception


class _Marker:
    pass


_END = _Marker()  # the provider's stream is exhausted
_DUE = _Marker()  # the pending text's window is over

_Item = LLMEvent | _Failed | _Marker


async def text_batched(
    events: AsyncIterator[LLMEvent],
    *,
    window_s: float = FLUSH_WINDOW_S,
    max_chars: int = FLUSH_MAX_CHARS,
) -> AsyncIterator[LLMEvent]:
    """``events`` with consecutive text deltas merged (see the module docstring).

    The provider is read by a task of its own, so a batch goes out when its window
    ends even if the model has gone quiet; closing this generator cancels that task,
    which closes the provider's stream.
    """
    queue: asyncio.Queue[_Item] = asyncio.Queue()
    pump = asyncio.create_task(_pump(events, queue))
    batch = _Batch(window_s, max_chars)
    try:
        while True:
            item = await _next(queue, batch.deadline)
            if isinstance(item, TextDelta) and batch.add(item.text):
                continue
            if batch.parts:
                yield TextDelta(batch.take())
            if isinstance(item, _Failed):
                raise item.error
            if item is _END:
                return
            if not isinstance(item, (TextDelta, _Marker)):
                yield item
    finally:
        pump.cancel()
        # waited for, not awaited: its CancelledError is not ours to swallow (a Stop
        # that lands meanwhile must still stop the reply)
        await asyncio.wait({pump})


class _Batch:
    """The text waiting to go out and when it must."""

    def __init__(self, window_s: float, max_chars: int) -> None:
        self.window_s, self.max_chars = window_s, max_chars
        self.parts: list[str] = []
        self.size = 0
        self.deadline: float | None = None

    def add(self, text: str) -> bool:
        """Keep ``text``; True while the batch may wait for more."""
        if not text:
            return True
        if not self.parts:
            self.deadline = asyncio.get_running_loop().time() + self.window_s
        self.parts.append(text)
        self.size += len(text)
        return self.size < self.max_chars

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts, self.size, self.deadline = [], 0, None
        return text


async def _pump(events: AsyncIterator[LLMEvent], queue: asyncio.Queue[_Item]) -> None:
    try:
        async for event in events:
            queue.put_nowait(event)
    except Exception as exc:  # handed to the reader, which raises it after the text
        queue.put_nowait(_Failed(exc))
    else:
        queue.put_nowait(_END)


async def _next(queue: asyncio.Queue[_Item], deadline: float | None) -> _Item:
    """The next item, or ``_DUE`` once ``deadline`` (of the pending text) has passed."""
    if deadline is not None and asyncio.get_running_loop().time() >= deadline:
        return _DUE
    if not queue.empty():
        return queue.get_nowait()
    if deadline is None:
        return await queue.get()
    # ``asyncio.timeout_at``, not ``wait_for``: on Python 3.11, ``wait_for`` returns the
    # item and drops a cancel (a Stop) that lands in the same turn of the loop as it
    try:
        async with asyncio.timeout_at(deadline):
            return await queue.get()
    except TimeoutError:
        return _DUE
