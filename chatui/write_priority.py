"""Writes a person is watching: ``interactive_writes()`` marks them.

On SQLite the process's writers take the one write lock in turns
(``chatui.sqlite_fifo``). A transaction begun inside ``interactive_writes()`` waits in
a line of its own: after the lone statements, ahead of the other transactions, within
the bound that keeps every line from starving (``AHEAD_IN_A_ROW`` in a row).

The chat socket's database work is marked (``chat.db.chat_db``). A sent message shows
nothing until its row is saved, and that write is two INSERTs. An upload's
transaction is three and comes after a transfer whose progress the page already
shows. The lock is the soak's bottleneck on SQLite (``bench/soak.py``), so what the
chat gains the uploads pay: chat p50 went from 1.4 s to 0.25-0.3 s and upload p50
from 1.3 s to 2.0 s. On PostgreSQL, with no single write lock, the mark changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_interactive: ContextVar[bool] = ContextVar("interactive_writes", default=False)


@contextlib.contextmanager
def interactive_writes() -> Iterator[None]:
    """The transactions begun in this block are short and someone waits on them."""
    token = _interactive.set(True)
    try:
        yield
    finally:
        _interactive.reset(token)


def writes_are_interactive() -> bool:
    return _interactive.get()
