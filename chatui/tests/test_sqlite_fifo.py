"""The SQLite writer queue (``chatui.sqlite_fifo``): writers of the process take turns
in the order they came, and Django still starts and ends its transactions the way the
backend relies on (through the execute wrappers, ``commit()`` and ``rollback()``)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection, connections, transaction

from chat.models import ChatSession
from chatui.sqlite_fifo.base import (
    INTERACTIVE,
    LINES,
    STATEMENT,
    TRANSACTION,
    WriterQueue,
    writers,
)
from chatui.write_priority import interactive_writes

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the writer queue is SQLite's backend"
)


def test_waiters_get_the_lock_in_the_order_they_asked() -> None:
    queue = WriterQueue()
    assert queue.acquire(timeout=1)
    order: list[int] = []

    def wait_then_note(number: int) -> None:
        assert queue.acquire(timeout=5)
        order.append(number)
        queue.release()

    threads = []
    for number in range(5):  # each one queued before the next starts
        thread = threading.Thread(target=wait_then_note, args=(number,))
        thread.start()
        threads.append(thread)
        while queue.waiting(TRANSACTION) < number + 1:
            time.sleep(0.001)
    queue.release()
    for thread in threads:
        thread.join(timeout=5)

    assert order == [0, 1, 2, 3, 4]
    assert not queue.held


def test_a_waiter_that_times_out_leaves_the_queue() -> None:
    queue = WriterQueue()
    assert queue.acquire(timeout=1)

    assert queue.acquire(timeout=0.01) is False

    queue.release()
    assert not queue.held  # nobody was left waiting to hand it to
    assert queue.acquire(timeout=0.01)


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_transaction_holds_the_queue_from_begin_to_commit(user: Any) -> None:
    assert connection.settings_dict["ENGINE"] == "chatui.sqlite_fifo"
    assert not writers.held
    with transaction.atomic():
        assert writers.held and connection.in_writer_queue  # BEGIN went through the wrapper
        ChatSession.objects.create(owner=user)
    assert not writers.held and not connection.in_writer_queue  # commit() let go

    with pytest.raises(RuntimeError), transaction.atomic():
        ChatSession.objects.create(owner=user)
        raise RuntimeError
    assert not writers.held  # rollback() let go
    assert ChatSession.objects.count() == 1


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_an_autocommit_write_holds_the_queue_for_its_statement(user: Any) -> None:
    seen: list[bool] = []

    def note(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(writers.held)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):  # runs inside the queue's wrapper
        ChatSession.objects.create(owner=user)
        ChatSession.objects.count()

    assert seen == [True, False]  # the INSERT queued, the SELECT did not
    assert not writers.held


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_writer_of_another_thread_waits_its_turn_then_times_out(
    user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome: list[str] = []
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.2)  # every thread's

    def write_elsewhere() -> None:
        other = connections["default"]
        try:
            with transaction.atomic():
                ChatSession.objects.create(owner=user)
            outcome.append("written")
        except OperationalError as exc:
            outcome.append(str(exc))
        finally:
            other.close()

    with transaction.atomic():
        ChatSession.objects.create(owner=user)
        thread = threading.Thread(target=write_elsewhere)
        thread.start()
        thread.join(timeout=5)

    assert outcome == ["database is locked"]  # waited in the queue, not in SQLite
    assert ChatSession.objects.count() == 1
    assert not writers.held


def _queue_in_order(queue: WriterQueue, waiters: list[tuple[str, int]]) -> list[str]:
    """Each named waiter (in its line) queued behind the held ``queue`` before the
    next starts; then the lock let go. The order they got it in."""
    order: list[str] = []

    def wait_then_note(name: str, line: int) -> None:
        assert queue.acquire(timeout=5, line=line)
        order.append(name)
        queue.release()

    threads = []
    for number, (name, line) in enumerate(waiters):
        thread = threading.Thread(target=wait_then_note, args=(name, line))
        thread.start()
        threads.append(thread)
        while sum(queue.waiting(line) for line in LINES) < number + 1:
            time.sleep(0.001)
    queue.release()
    for thread in threads:
        thread.join(timeout=5)
    return order


def test_a_lone_statement_goes_ahead_of_waiting_transactions() -> None:
    queue = WriterQueue()
    assert queue.acquire(timeout=1)

    order = _queue_in_order(
        queue,
        [("tx0", TRANSACTION), ("tx1", TRANSACTION), ("stmt0", STATEMENT), ("stmt1", STATEMENT)],
    )

    assert order == ["stmt0", "stmt1", "tx0", "tx1"]
    assert not queue.held


def test_statements_go_ahead_of_a_transaction_only_so_many_in_a_row() -> None:
    queue = WriterQueue(ahead_in_a_row=2)
    assert queue.acquire(timeout=1)

    waiters = [("tx0", TRANSACTION), *((f"stmt{n}", STATEMENT) for n in range(5))]
    order = _queue_in_order(queue, waiters)

    assert order == ["stmt0", "stmt1", "tx0", "stmt2", "stmt3", "stmt4"]
    assert not queue.held


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_an_autocommit_write_is_served_before_a_queued_transaction(user: Any) -> None:
    chat = ChatSession.objects.create(owner=user, title="before")

    def transaction_write() -> None:
        with transaction.atomic():
            ChatSession.objects.create(owner=user)

    def statement_write() -> None:
        ChatSession.objects.filter(pk=chat.pk).update(title="after")

    order = _served_order(
        [
            ("transaction", transaction_write, lambda: writers.waiting(TRANSACTION)),
            ("statement", statement_write, lambda: writers.waiting(STATEMENT)),
        ]
    )

    assert order == ["statement", "transaction"]
    assert not writers.held


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_an_interactive_transaction_is_served_before_a_queued_one(user: Any) -> None:
    def transaction_write(interactive: bool) -> None:
        mark = interactive_writes() if interactive else contextlib.nullcontext()
        with mark, transaction.atomic():
            ChatSession.objects.create(owner=user)

    order = _served_order(
        [
            ("upload", lambda: transaction_write(False), lambda: writers.waiting(TRANSACTION)),
            ("chat", lambda: transaction_write(True), lambda: writers.waiting(INTERACTIVE)),
        ]
    )

    assert order == ["chat", "upload"]
    assert not writers.held
    assert ChatSession.objects.count() == 2


def _served_order(writes: list[tuple[str, Callable[[], None], Callable[[], Any]]]) -> list[str]:
    """Each write on a thread of its own while another writer of the process holds the
    queue, started once the one before is queued (its condition); the order they ran."""
    order: list[str] = []

    def run(name: str, write: Callable[[], None]) -> None:
        try:
            write()
            order.append(name)
        finally:
            connections["default"].close()

    threads = []
    assert writers.acquire(timeout=1)
    try:
        for name, write, queued in writes:
            threads.append(threading.Thread(target=run, args=(name, write)))
            threads[-1].start()
            deadline = time.monotonic() + 5
            while not queued():
                assert time.monotonic() < deadline, f"{name} never queued"
                time.sleep(0.001)
    finally:
        writers.release()
    for thread in threads:
        thread.join(timeout=5)
    return order


def test_the_lines_go_statements_then_interactive_then_transactions() -> None:
    queue = WriterQueue()
    assert queue.acquire(timeout=1)

    order = _queue_in_order(
        queue,
        [("tx", TRANSACTION), ("chat", INTERACTIVE), ("stmt", STATEMENT), ("chat2", INTERACTIVE)],
    )

    # an answer's final UPDATE never waits behind new chats' messages
    assert order == ["stmt", "chat", "chat2", "tx"]
    assert not queue.held


def test_no_line_waits_more_than_so_many_turns_behind_higher_ones() -> None:
    queue = WriterQueue(ahead_in_a_row=2)
    assert queue.acquire(timeout=1)

    statements = [(f"s{n}", STATEMENT) for n in range(4)]
    waiters = [("tx", TRANSACTION), ("chat", INTERACTIVE), *statements]
    order = _queue_in_order(queue, waiters)

    assert order == ["s0", "s1", "tx", "s2", "s3", "chat"]
    assert not queue.held
