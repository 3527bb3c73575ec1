"""How many tool runs one user has in flight, across every server process.

Each run takes a slot for its duration: an atomic counter per user in Django's
cache (Redis with ``REDIS_URL``, shared by every process; the process's own
memory otherwise). Past ``TOOLS_MAX_CONCURRENT_PER_USER`` the run is refused at
once with ``too_many_tool_runs`` (429), so one user cannot occupy every worker
with slow or hostile runs. The counter expires after the longest a run can take,
so a process killed mid-run frees its slots.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import cache

from chatui.errors import RateLimited

RETRY_AFTER_S = 5


class TooManyToolRuns(RateLimited):
    code = "too_many_tool_runs"
    default_message = "You already have the most tool runs allowed in progress; wait for one."


def _key(user_id: Any) -> str:
    return f"tools:running:{user_id}"


@contextmanager
def run_slot(user_id: Any) -> Iterator[None]:
    """Hold one of the user's run slots, or raise TooManyToolRuns."""
    key = _key(user_id)
    cache.add(key, 0, timeout=int(settings.TOOLS_TIMEOUT_S) + 60)
    try:
        running = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=int(settings.TOOLS_TIMEOUT_S) + 60)
        running = 1
    try:
        limit = settings.TOOLS_MAX_CONCURRENT_PER_USER
        if running > limit:
            raise TooManyToolRuns(
                f"You have {limit} tool run{'s' if limit != 1 else ''} in progress already; "
                "wait for one to finish.",
                retry_after=RETRY_AFTER_S,
                limit=limit,
            )
        yield
    finally:
        _release(key)


def _release(key: str) -> None:
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing left to release
        cache.decr(key)
