"""Django's SQLite backend with the process's writers served first come, first served.

SQLite has one write lock per database file. A writer that finds it taken waits in
SQLite's busy handler (Python's ``timeout=``), which sleeps rather than queues: 1, 2,
5, 10 ... then 100 ms between tries. Under load a writer that has waited a while tries
every 100 ms while a newcomer tries every millisecond, so old waiters lose to new ones
and the lock often sits free while every waiter sleeps. A request that writes twice
(a chat: its message, then its answer) pays that twice.

Here the writers of one process queue in order on :class:`WriterQueue` before they
ask SQLite: a transaction joins the queue before its ``BEGIN`` and leaves it when it
commits, rolls back or its connection closes; a write outside a transaction (an
autocommit ``INSERT``/``UPDATE``/``DELETE``) holds it for its one statement. The lock
is then free whenever the queue hands over, and at most one thread of the process is
in SQLite's busy handler, waiting only for other processes (the task worker), which
still meet the busy timeout. Waiting in the queue is bounded by the same timeout and
ends, as SQLite's would, in ``OperationalError("database is locked")``.

A lone statement goes ahead of waiting transactions (at most ``AHEAD_IN_A_ROW``
of them, so a transaction is never starved). It holds the lock for one trip into SQLite
(an ``UPDATE`` of one row: a fraction of a millisecond), while a transaction holds it
from its ``BEGIN`` through every statement and the Python between them, and in a busy
process through every wait for the GIL after each statement: 10 ms and more each
under ``bench/soak.py``. Shortest first cuts the statement's wait from the whole
queue's length to about one transaction's and costs the transactions little. A chat
writes its answer so, once, when the reply ends, and its ``response_complete`` waits
for that write. A transaction a person is watching (``chatui.write_priority``: a
chat's message and its answer's row, two INSERTs) goes next, ahead of the other
transactions and within the same bound, but behind the statements: in a chat-only
load the answers' final UPDATEs would otherwise wait behind new messages.

Built only on documented extension points: a subclass of the built-in backend
(``ENGINE`` names this package), an execute wrapper (``connection.execute_wrapper``)
and the connection's public ``commit``, ``rollback`` and ``close``. It relies on
Django sending a transaction's ``BEGIN`` through the connection's execute wrappers and
ending it through ``commit()``/``rollback()``; ``chatui/tests/test_sqlite_fifo.py``
fails if either changes.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from chatui.write_priority import writes_are_interactive

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
AHEAD_IN_A_ROW = 8  # waiters of a line let ahead of a waiting lower line, in a row
STATEMENT, INTERACTIVE, TRANSACTION = LINES = (0, 1, 2)  # WriterQueue's lines, served in turn


class WriterQueue:
    """A lock handed to its waiters in the order they asked for it, within three lines
    served in turn: lone statements (``STATEMENT``), then transactions a person is
    watching (``INTERACTIVE``), then the other transactions (``TRANSACTION``). At most
    ``ahead_in_a_row`` waiters of a line go in a row ahead of a waiting lower line,
    so none starves."""

    def __init__(self, ahead_in_a_row: int = AHEAD_IN_A_ROW) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._lines: tuple[deque[threading.Event], ...] = tuple(deque() for _ in LINES)
        self._ahead_in_a_row = ahead_in_a_row
        self._passed = 0  # handed the lock in a row ahead of a waiting lower line

    def acquire(self, timeout: float, *, line: int = TRANSACTION) -> bool:
        """Wait for the lock up to ``timeout`` seconds; False if it did not come."""
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Event()
            waiters = self._lines[line]
            waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait ended: ours after all
                return True
            waiters.remove(turn)
            return False

    def release(self) -> None:
        """Hand the lock to the next waiter (see the class), or free it."""
        with self._mutex:
            waiting = [line for line in LINES if self._lines[line]]
            if not waiting:
                self._held = False
                return
            first, last = waiting[0], waiting[-1]
            served = last if self._passed >= self._ahead_in_a_row else first
            self._passed = self._passed + 1 if served != last else 0
            self._lines[served].popleft().set()  # stays held: the next owner has it now

    def waiting(self, line: int) -> int:
        """How many wait in ``line``."""
        return len(self._lines[line])

    @property
    def held(self) -> bool:
        return self._held


writers = WriterQueue()  # one per process: every connection of it writes to one file


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_writer_queue = False
        # Installed for the connection's lifetime; the context manager is kept so it is
        # never finalized (which would remove the wrapper).
        self._writer_wrapper = self.execute_wrapper(self._queued)
        self._writer_wrapper.__enter__()

    def _queue_timeout(self) -> float:
        return float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))

    def _queue_join(self, line: int) -> None:
        if not writers.acquire(self._queue_timeout(), line=line):
            raise OperationalError("database is locked")
        self.in_writer_queue = True

    def _queue_leave(self) -> None:
        if self.in_writer_queue:
            self.in_writer_queue = False
            writers.release()

    def _queued(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        statement = sql.lstrip()[:7].upper()
        if self.in_writer_queue or not statement.startswith(("BEGIN", *WRITES)):
            return execute(sql, params, many, context)
        if statement.startswith("BEGIN"):  # held until commit(), rollback() or close()
            self._queue_join(INTERACTIVE if writes_are_interactive() else TRANSACTION)
            try:
                return execute(sql, params, many, context)
            except BaseException:
                self._queue_leave()
                raise
        if self.in_atomic_block or not self.get_autocommit():
            return execute(sql, params, many, context)  # a transaction SQLite opened itself
        self._queue_join(STATEMENT)  # one autocommit statement
        try:
            return execute(sql, params, many, context)
        finally:
            self._queue_leave()

    def commit(self) -> None:
        super().commit()  # a failed commit leaves the transaction open: rollback() follows
        self._queue_leave()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._queue_leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._queue_leave()
