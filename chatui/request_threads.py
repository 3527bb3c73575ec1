"""Long-lived threads for Django's synchronous request work under ASGI.

Django's ``ASGIHandler`` runs each request's sync code (middleware, views, the ORM)
in a ``ThreadSensitiveContext`` of its own, which asgiref backs with a brand-new
single-thread executor: one OS thread started and joined per request. Database
connections are per thread, so none outlives its request, and every request paid
for a new one (about 1 ms for SQLite with its pragmas here, ~7 ms for PostgreSQL on
loopback) whatever ``CONN_MAX_AGE`` said.

:class:`RequestThreads` keeps those single-thread executors and lends one to each
request (asgiref 3.10+ lets a ``ThreadSensitiveContext`` take an executor). Django's
own context then finds ours already entered and uses it, so a request still runs all
its sync work on one thread, as Django requires, but the thread and its database
connection are reused by the next request, and ``CONN_MAX_AGE`` means what it says
(Django's ``request_started``/``request_finished`` signals still close a connection
that is too old, broken, or left in a transaction).

Requests are never made to wait for a thread: when every kept thread is lent out a
new one is started, and on its return it is kept only while fewer than ``keep``
threads are idle; a thread that is let go closes its database connections first.

A reach into library behaviour (STYLE rule 12), kept because without it every
request paid for a new database connection: it relies on asgiref running a
``sync_to_async`` call inside ``ThreadSensitiveContext(executor=...)`` on that
executor's thread, and on Django's handler reusing an entered context.
``chatui/tests/test_request_threads.py`` pins both (one thread for consecutive
requests; ``CONN_MAX_AGE`` honoured under ASGI) and fails if either changes.

"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from asgiref.sync import AsyncToSync, ThreadSensitiveContext
from django.db import connections

DEFAULT_KEEP = 16


class RequestThreads:
    def __init__(self, keep: int = DEFAULT_KEEP) -> None:
        self.keep = keep
        self._idle: list[ThreadPoolExecutor] = []
        self.started = 0  # threads ever started (the tests read it)

    @asynccontextmanager
    async def lend(self) -> AsyncIterator[None]:
        """Run the enclosed request's thread-sensitive sync work on a kept thread."""
        if getattr(AsyncToSync.executors, "current", None) is not None:
            # Sync code called us through async_to_sync (a test driving the ASGI app,
            # say): asgiref runs thread-sensitive work on that calling thread, with
            # its connection and transaction. Keep it that way.
            yield
            return
        executor = self._idle.pop() if self._idle else self._start()
        try:
            async with ThreadSensitiveContext(executor=executor):
                yield
        except BaseException:
            self._give_back_once_done(executor)
            raise
        self._give_back(executor)

    def _give_back_once_done(self, executor: ThreadPoolExecutor) -> None:
        """After a cancellation or error: sync work may still be running on the
        thread, which an await cannot stop. Take the thread back only once it has
        finished, so no other request queues behind it."""
        loop = asyncio.get_running_loop()

        def give_back_from_thread(_: object) -> None:
            try:
                loop.call_soon_threadsafe(self._give_back, executor)
            except RuntimeError:  # the loop is closed (shutdown): nothing to reuse
                _let_go(executor)

        executor.submit(lambda: None).add_done_callback(give_back_from_thread)

    @property
    def idle(self) -> int:
        return len(self._idle)

    def _start(self) -> ThreadPoolExecutor:
        self.started += 1
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="django-request")

    def _give_back(self, executor: ThreadPoolExecutor) -> None:
        if len(self._idle) < self.keep:
            self._idle.append(executor)
        else:
            _let_go(executor)

    def close(self, *, wait: bool = False) -> None:
        """Close every kept thread's connections and let the threads end."""
        while self._idle:
            _let_go(self._idle.pop(), wait=wait)


def _let_go(executor: ThreadPoolExecutor, *, wait: bool = False) -> None:
    executor.submit(connections.close_all)  # in that thread: connections are per thread
    executor.shutdown(wait=wait)
