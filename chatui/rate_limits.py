"""Per-user rate limits on the expensive doors, counted with the ``limits`` library.

Kinds and their settings (``RATE_LIMITS`` in settings, from ``RATE_LIMIT_*``):
``uploads`` (``POST /api/files``), ``tool_runs`` (``POST /api/tools/{name}/run``),
``search`` (``GET /api/files?q=``, ``GET /api/search``, ``GET /api/chats?q=``) and
``chat`` (websocket ``chat`` frames), and ``share_tokens`` (failed share-link openings,
per client address: :func:`rate_limit_peek` before, :func:`rate_limit_hit` on failure).
A moving window per user and kind, kept in Redis when ``REDIS_URL`` is set (so
every process counts together) and in the process otherwise.

HTTP routes are throttled through DRF's documented throttle hook
(``DEFAULT_THROTTLE_CLASSES``): :class:`RouteThrottle` picks the kind from the
route's name and method, and DRF answers 429 with ``Retry-After``; the error
handler gives it the code ``rate_limited``. The websocket calls
:func:`rate_limit_hit`, which raises ``RateLimited`` (an ``error`` frame).
"""

from __future__ import annotations

import math
import time
from functools import cache
from typing import Any

from django.conf import settings
from limits import RateLimitItem, parse, storage, strategies
from rest_framework.throttling import BaseThrottle

from .errors import RateLimited

WORDS = {
    "uploads": "uploads",
    "tool_runs": "tool runs",
    "search": "searches",
    "chat": "chat messages",
    "share_tokens": "failed share-link openings from this address",
}
# (view name, method) -> kind; a query parameter named after "?" must be non-empty too.
ROUTES: dict[tuple[str, str], str] = {
    ("files:list", "POST"): "uploads",
    ("files:versions", "POST"): "uploads",
    ("tools:run", "POST"): "tool_runs",
    ("files:list", "GET?q"): "search",
    ("files:search", "GET"): "search",
    ("chat:list", "GET?q"): "search",
}


@cache
def _limiter() -> strategies.MovingWindowRateLimiter:
    url = settings.REDIS_URL or "memory://"
    return strategies.MovingWindowRateLimiter(storage.storage_from_string(url))


def rate_limits_reset() -> None:
    """Forget every count (tests; an operator after changing limits)."""
    _limiter().storage.reset()


def _rule(kind: str) -> RateLimitItem | None:
    text = settings.RATE_LIMITS.get(kind, "")
    return parse(text) if text else None


def retry_after(kind: str, user_id: Any) -> int | None:
    """None if one more ``kind`` is allowed for the user now (and counts it), else the
    seconds until it will be."""
    rule = _rule(kind)
    if rule is None:
        return None
    limiter = _limiter()
    if limiter.hit(rule, kind, str(user_id)):
        return None
    reset_at = limiter.get_window_stats(rule, kind, str(user_id)).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def rate_limit_hit(kind: str, user_id: Any) -> None:
    """Count one ``kind`` for the user; RateLimited (429, ``retry_after``) past the limit."""
    wait = retry_after(kind, user_id)
    if wait is not None:
        raise RateLimited(
            f"Too many {WORDS.get(kind, kind)}: at most {settings.RATE_LIMITS[kind]}. "
            f"Try again in {wait} s.",
            retry_after=wait,
            limit=settings.RATE_LIMITS[kind],
        )


def route_kind(view_name: str, method: str, query: Any) -> str | None:
    """The kind of limit a request to ``view_name`` counts toward, if any."""
    for (name, rule), kind in ROUTES.items():
        verb, _, param = rule.partition("?")
        if name == view_name and verb == method and (not param or query.get(param)):
            return kind
    return None


class RouteThrottle(BaseThrottle):
    """DRF throttle for the routes in ROUTES, per authenticated user."""

    def allow_request(self, request: Any, view: Any) -> bool:
        self.wait_s: int | None = None
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if user is None or not user.is_authenticated or match is None:
            return True
        kind = route_kind(match.view_name, request.method, request.query_params)
        if kind is None:
            return True
        self.wait_s = retry_after(kind, user.pk)
        return self.wait_s is None

    def wait(self) -> float | None:
        return self.wait_s


def rate_limit_peek(kind: str, key: Any) -> None:
    """RateLimited if ``key`` has used up ``kind`` already, without counting this one
    (for limits on failures: the caller counts with :func:`rate_limit_hit` on failure)."""
    rule = _rule(kind)
    if rule is None or _limiter().test(rule, kind, str(key)):
        return
    reset_at = _limiter().get_window_stats(rule, kind, str(key)).reset_time
    wait = max(1, math.ceil(reset_at - time.time()))
    raise RateLimited(f"Too many {WORDS.get(kind, kind)}. Try again in {wait} s.", retry_after=wait)
