"""Where the chat's database work runs: a pool of its own, not the one shared thread.

``database_sync_to_async`` by default runs on the one thread every socket of the
process shares (asgiref's ``thread_sensitive`` mode). Under mixed load that thread
was the chat's bottleneck: a chat's write waited there for SQLite's write lock (or a
PostgreSQL round trip) behind the uploads, and every other chat waited behind it, in
single file (``bench/soak.py``: chat p50 about 2 s while uploads took 0.35 s).
Through :func:`chat_db` chats wait side by side on :func:`chat_db_threads` threads,
as HTTP requests do on theirs (``chatui.request_threads``). Each call is one short
piece of work, usually one transaction; Channels' wrapper still closes stale
connections around it, and each thread keeps its own connection
(``DB_CONN_MAX_AGE``), so PostgreSQL sees at most ``CHAT_DB_THREADS`` more per
process. On SQLite a write waits its turn for the one write lock on its thread
(``chatui.sqlite_fifo``), a wait of hundreds of milliseconds under the soak; with 8
threads, chats queued for a thread and then again for the lock, so SQLite, whose
connections are only open files, gets ``CHAT_DB_THREADS_SQLITE``. Not more: with 32,
a saturated process spent more CPU per reply on threads contending for the GIL
(``bench/chat_ws.py --disconnect`` at 200 clients: 27-29 ms per reply against 19.8
with 16 and 18.4 with 8), while the soak's chat gained nothing over 16.
Channels' own session lookup on connect stays on the shared thread. On SQLite the
chat's transactions (a message and its answer's row: two INSERTs) take the write lock
ahead of the uploads' (``chatui.write_priority``): under ``bench/soak.py`` a chat
waited 1.4 s at p50 for it, behind them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from channels.db import database_sync_to_async
from django.db import connections

from chatui.executors import thread_pool
from chatui.write_priority import interactive_writes

CHAT_DB_THREADS = 8
CHAT_DB_THREADS_SQLITE = 16

P = ParamSpec("P")
R = TypeVar("R")


def chat_db(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """``func`` as a coroutine function that runs on the chat's database pool, its
    writes marked as ones a person is watching (``chatui.write_priority``)."""
    pool = thread_pool("chat-db", chat_db_threads())

    @functools.wraps(func)
    def interactive(*args: P.args, **kwargs: P.kwargs) -> R:
        with interactive_writes():
            return func(*args, **kwargs)

    return database_sync_to_async(interactive, thread_sensitive=False, executor=pool)


def chat_db_threads() -> int:
    """The pool's size for this process's database."""
    sqlite = connections["default"].vendor == "sqlite"
    return CHAT_DB_THREADS_SQLITE if sqlite else CHAT_DB_THREADS
