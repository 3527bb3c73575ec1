"""uvicorn's h11 protocol with slow-client timeouts.

Used as ``uvicorn --http chatui.server_protocol:TimedH11Protocol``.

Why this reaches into uvicorn: uvicorn has a keep-alive timeout but no header-read
timeout and no minimum body rate, so a client that opens a connection and sends
its headers (or an upload) a few bytes at a time holds a connection and a task for
as long as it likes (slowloris). uvicorn takes the HTTP protocol class as an import
string (``--http``), and this subclass adds one watchdog per connection, using only
what the protocol already keeps: the h11 connection's state, its unparsed buffer,
uvicorn's flow control and the transport. A test pins the behaviour against a real
uvicorn (``chatui/tests/test_live_hardening.py``), so a uvicorn change that breaks it
fails the suite.

* ``SERVER_HEADER_TIMEOUT_S`` (10): a connection waiting for a request's headers
  (new, or with a partial request) is closed after this long. A kept-alive connection
  with nothing of a next request is left to uvicorn's ``--timeout-keep-alive``;
* ``SERVER_BODY_MIN_RATE`` bytes/s (1024) over ``SERVER_BODY_WINDOW_S`` (20): a
  request body arriving slower than that is cut off. Windows in which the server
  itself paused reading (the app not consuming) do not count against the client.

nginx's ``client_header_timeout`` / ``client_body_timeout`` do the same in front.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import h11
from django.conf import settings
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)
TICK_S = 1.0
# uvicorn's ``--timeout-keep-alive``: an idle kept-alive connection is closed after this
# long. A client (or proxy) that reuses idle connections must drop them sooner, with a
# margin, or a request it sends as the server closes fails (see ``bench/soak.py``).
KEEP_ALIVE_S = 5


class TimedH11Protocol(H11Protocol):
    """H11Protocol plus a header deadline and a minimum request-body rate."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._idle_since: float | None = time.monotonic()
        self._seen_cycle: Any = None
        self._window_start = time.monotonic()
        self._window_bytes = 0
        self._watchdog: asyncio.TimerHandle | None = self.loop.call_later(TICK_S, self._tick)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._window_bytes += len(data)
        super().data_received(data)

    def _tick(self) -> None:
        self._watchdog = None
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return  # closed, or handed to the websocket protocol
        reason = self._too_slow(time.monotonic())
        if reason is not None:
            logger.warning("slow client closed reason=%s client=%s", reason, self.client)
            self.transport.close()
            return
        self._watchdog = self.loop.call_later(TICK_S, self._tick)

    def _too_slow(self, now: float) -> str | None:
        if self.cycle is not self._seen_cycle:  # a request came (and maybe went) since
            self._seen_cycle = self.cycle  # the last tick: the wait starts again
            self._idle_since = None
        state = self.conn.their_state
        waiting = state is h11.IDLE and (self.cycle is None or self.cycle.response_complete)
        if waiting:
            self._restart_window(now)
            if self.cycle is not None and not self.conn.trailing_data[0]:
                # kept alive, no byte of a next request yet: uvicorn's keep-alive timeout
                # is the one that closes it (the header deadline would cut it sooner, and
                # at a moment a client's pool cannot know)
                self._idle_since = None
                return None
            self._idle_since = self._idle_since or now
            if now - self._idle_since > settings.SERVER_HEADER_TIMEOUT_S:
                return "header_timeout"
            return None
        self._idle_since = None
        if state is not h11.SEND_BODY or self.flow.read_paused:
            self._restart_window(now)  # not the client's turn to send
            return None
        return self._body_too_slow(now)

    def _body_too_slow(self, now: float) -> str | None:
        window = settings.SERVER_BODY_WINDOW_S
        if now - self._window_start < window:
            return None
        too_slow = self._window_bytes < settings.SERVER_BODY_MIN_RATE * window
        self._restart_window(now)
        return "body_too_slow" if too_slow else None

    def _restart_window(self, now: float) -> None:
        self._window_start = now
        self._window_bytes = 0


def uvicorn_server_options() -> list[str]:
    """The uvicorn command-line options the README's deployment uses (and tests run)."""
    return [
        "--http",
        "chatui.server_protocol:TimedH11Protocol",
        "--timeout-keep-alive",
        str(KEEP_ALIVE_S),
        "--h11-max-incomplete-event-size",
        "16384",
    ]


# The process environment the README's deployment gives the server. glibc makes one malloc
# arena per thread that allocates at the same time (the request, chat-database and tool
# pools), and memory freed in one arena is not reused by another: a 600 s soak grew RSS by
# 68 MiB after warm-up without this, 8.6 MiB with it.
DEPLOYMENT_ENV = {"MALLOC_ARENA_MAX": "2"}


def server_env(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus the deployment's ``DEPLOYMENT_ENV`` for what ``base`` leaves unset.

    For the servers we start (rundev, the benchmarks, the scale-out tests), so they run
    as a deployment does; a value the caller sets wins.
    """
    return {**DEPLOYMENT_ENV, **base}
