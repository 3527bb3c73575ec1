"""One reply at a time per chat, whichever server process each tab is connected to.

With ``REDIS_URL`` (several processes behind a load balancer) the lock is a Redis key
owned by a random token (redis-py's ``Lock``: ``SET NX PX``, owner-checked release and
renewal). It expires ``REPLY_LOCK_TTL_S`` after its last renewal, and the holder renews
it while the reply runs, so a process that crashes mid-reply frees the chat within
that time instead of leaving it busy forever.

Without Redis the channel layer is in memory, which already confines the site to one
process, so a set in this process is the whole truth.

Redis is reached through its own asyncio client rather than Django's cache: the
cache's async methods are ``sync_to_async(thread_sensitive=True)``, a trip to the one
thread every socket shares for database work, which the consumer avoids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from typing import Protocol

from django.conf import settings
from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)

REPLY_LOCK_TTL_S = 30.0
REPLY_LOCK_PREFIX = "chatui:chat:replying:"
# A reply's answer is saved a moment before its lock is released (longer on a loaded
# server); a message sent in that moment, when no answer of the chat is still streaming
# (a reloaded tab already shows it complete), waits up to this long for the lock instead
# of being refused as busy.
REPLY_LOCK_SETTLE_S = 3.0
REPLY_LOCK_POLL_S = 0.02


class ReplyLock(Protocol):
    async def release(self) -> None: ...


async def reply_lock_held(session_id: uuid.UUID) -> bool:
    """Is a reply being written for this chat, in this or another process?"""
    if not settings.REDIS_URL:
        return session_id in _local
    return bool(await _redis().exists(_key(session_id)))


async def reply_lock_acquire(session_id: uuid.UUID) -> ReplyLock | None:
    """The chat's reply lock, or None when another reply holds it. Release it."""
    if not settings.REDIS_URL:
        if session_id in _local:
            return None
        _local.add(session_id)
        return _LocalLock(session_id)
    key = _key(session_id)
    lock = Lock(_redis(), key, timeout=REPLY_LOCK_TTL_S, blocking=False, thread_local=False)
    if not await lock.acquire(blocking=False):
        return None
    return _RedisLock(lock)


async def reply_lock_wait(session_id: uuid.UUID) -> ReplyLock | None:
    """The chat's reply lock, waiting up to ``REPLY_LOCK_SETTLE_S`` for a reply that has
    saved its answer and is letting go; None when it is still held after that."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REPLY_LOCK_SETTLE_S
    while (lock := await reply_lock_acquire(session_id)) is None and loop.time() < deadline:
        await asyncio.sleep(REPLY_LOCK_POLL_S)
    return lock


# --- One process ---------------------------------------------------------------------

_local: set[uuid.UUID] = set()  # one event loop per process: no lock needed


class _LocalLock:
    def __init__(self, session_id: uuid.UUID) -> None:
        self._session_id = session_id
        self._held = True

    async def release(self) -> None:
        """Idempotent: a second release never frees a lock the chat's next reply took."""
        if self._held:
            self._held = False
            _local.discard(self._session_id)


# --- Redis -----------------------------------------------------------------------------

# redis.asyncio connections belong to the event loop that opened them: one client per loop.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Redis] = weakref.WeakKeyDictionary()


def _redis() -> Redis:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
        _clients[loop] = client
    return client


def _key(session_id: uuid.UUID) -> str:
    return f"{REPLY_LOCK_PREFIX}{session_id}"


class _RedisLock:
    def __init__(self, lock: Lock) -> None:
        self._lock = lock
        self._renewal = asyncio.create_task(self._renew())

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(REPLY_LOCK_TTL_S / 3)
            try:
                await self._lock.reacquire()
            except LockError:
                logger.warning("chat reply lock lost key=%s", self._lock.name)
                return
            except RedisError as err:
                logger.warning("chat reply lock not renewed key=%s error=%r", self._lock.name, err)

    async def release(self) -> None:
        """Idempotent: redis-py releases only the token this lock holds."""
        self._renewal.cancel()
        with contextlib.suppress(LockError, RedisError):  # expired or Redis gone: nothing held
            await self._lock.release()
