"""The process's thread pools: each made once, under a lock, by name.

Channels runs every ``database_sync_to_async`` call on one thread shared by all
sockets of the process (asgiref's ``thread_sensitive`` executor). Work that waits on
something else than the database (S3 reads for the model's context, a tool running
in its child process) must not queue there: it would hold every other chat's
queries behind it. Such work runs on a named pool from here instead.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

_pools: dict[str, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def thread_pool(name: str, max_workers: int) -> ThreadPoolExecutor:
    """The pool called ``name``, made on first use with ``max_workers`` threads
    (the first caller's size wins; threads are named after the pool)."""
    with _lock:
        pool = _pools.get(name)
        if pool is None:
            pool = _pools[name] = ThreadPoolExecutor(
                max_workers=max_workers, thread_name_prefix=name
            )
        return pool
