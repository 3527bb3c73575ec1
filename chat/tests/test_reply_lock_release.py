"""A reply releases its chat's lock as soon as it is saved, and again when it is
cleaned up: the second release must not free the lock the chat's next reply took."""

from __future__ import annotations

import uuid

import pytest

from chat.reply_lock import reply_lock_acquire, reply_lock_held

pytestmark = [pytest.mark.anyio]


async def test_a_second_release_leaves_the_next_replys_lock_alone(settings: object) -> None:
    settings.REDIS_URL = ""  # type: ignore[attr-defined]  (the one-process lock)
    chat = uuid.uuid4()
    first = await reply_lock_acquire(chat)
    assert first is not None
    await first.release()
    second = await reply_lock_acquire(chat)
    assert second is not None
    await first.release()  # the first reply's cleanup, late
    assert await reply_lock_held(chat)
    assert await reply_lock_acquire(chat) is None
    await second.release()
    assert not await reply_lock_held(chat)
