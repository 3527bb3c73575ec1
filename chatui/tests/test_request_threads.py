"""Long-lived request threads (chatui/request_threads.py) and the connections they keep."""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.db.backends.signals import connection_created

from chatui.request_threads import RequestThreads
from chatui.testing.asgi import call, http_scope


def _thread_of_sync_work() -> int:
    return threading.get_ident()


async def _request(threads: RequestThreads, hold: asyncio.Event | None = None) -> int:
    """What Django does for one request: thread-sensitive sync work inside the lend."""
    async with threads.lend():
        ident = await sync_to_async(_thread_of_sync_work)()
        if hold is not None:
            await hold.wait()
        assert await sync_to_async(_thread_of_sync_work)() == ident  # one thread per request
        return ident


def test_requests_one_after_another_share_one_thread() -> None:
    threads = RequestThreads(keep=4)

    async def run() -> list[int]:
        return [await _request(threads) for _ in range(5)]

    idents = asyncio.run(run())
    assert len(set(idents)) == 1
    assert threads.started == 1
    assert threads.idle == 1
    threads.close()


def test_overlapping_requests_get_threads_of_their_own_and_only_keep_are_kept() -> None:
    threads = RequestThreads(keep=2)

    async def run() -> list[int]:
        hold = asyncio.Event()
        tasks = [asyncio.create_task(_request(threads, hold)) for _ in range(4)]
        await asyncio.sleep(0.2)
        hold.set()
        return await asyncio.gather(*tasks)

    idents = asyncio.run(run())
    assert len(set(idents)) == 4  # nobody waited for a thread
    assert threads.started == 4
    assert threads.idle == 2
    threads.close()
    assert threads.idle == 0


def _connections_made(app: Any, requests: int, headers: dict[str, str]) -> int:
    made: list[object] = []

    def note(**kwargs: Any) -> None:
        made.append(kwargs["connection"])

    async def run() -> list[int]:
        scope = http_scope("/api/files", headers)
        return [(await call(app, scope)).status for _ in range(requests)]

    connection_created.connect(note)
    try:
        statuses = asyncio.run(run())
    finally:
        connection_created.disconnect(note)
    assert statuses == [200] * requests
    return len(made)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("max_age", "expected"), [(60, 1), (0, 5)])
def test_conn_max_age_is_honoured_under_asgi(user, max_age, expected) -> None:
    """Five requests, one connection with CONN_MAX_AGE=60; one each with 0."""
    from rest_framework.authtoken.models import Token

    from chatui.asgi import ChatuiASGIHandler

    token = Token.objects.create(user=user).key
    handler = ChatuiASGIHandler()
    handler.threads = RequestThreads(keep=4)
    # Django never closes a connection to an in-memory SQLite database (the test
    # database): let the request threads' connections close as a file's would. The
    # shared in-memory database lives on in this thread's connection.
    in_memory = "django.db.backends.sqlite3.base.DatabaseWrapper.is_in_memory_db"
    configured = connection.settings_dict["CONN_MAX_AGE"]  # shared by every thread
    connection.settings_dict["CONN_MAX_AGE"] = max_age
    try:
        with mock.patch(in_memory, return_value=False):
            made = _connections_made(handler, 5, {"Authorization": f"Token {token}"})
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = configured
        handler.threads.close()
    assert made == expected


def test_sync_callers_keep_their_own_thread() -> None:
    """Under async_to_sync (tests, commands) the request's sync work stays on the
    calling thread, with its connection and open transaction, as asgiref does."""
    from asgiref.sync import async_to_sync

    threads = RequestThreads(keep=2)
    assert async_to_sync(_request)(threads) == threading.get_ident()
    assert threads.started == 0


def test_a_cancelled_requests_thread_is_not_lent_while_its_work_still_runs() -> None:
    threads = RequestThreads(keep=2)
    release = threading.Event()

    def slow_view() -> int:
        release.wait(5)
        return threading.get_ident()

    async def cancelled_request() -> None:
        async with threads.lend():
            await sync_to_async(slow_view)()

    async def run() -> tuple[int, int]:
        first = asyncio.create_task(cancelled_request())
        await asyncio.sleep(0.1)
        first.cancel()  # the client left; slow_view goes on in its thread
        await asyncio.gather(first, return_exceptions=True)
        busy_thread_free = threads.idle
        second = await _request(threads)
        release.set()
        for _ in range(100):  # the first thread comes back once slow_view returns
            if threads.idle == 2:
                break
            await asyncio.sleep(0.02)
        return busy_thread_free, second

    busy_thread_free, _second = asyncio.run(run())
    assert busy_thread_free == 0  # not handed back while slow_view ran
    assert threads.started == 2
    assert threads.idle == 2
    threads.close()
