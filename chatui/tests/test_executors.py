"""One pool per name, made once even when many threads ask at the same moment."""

from __future__ import annotations

import threading
import uuid

from chatui.executors import thread_pool
from chatui.ids import uuid_or_none


def test_a_pool_is_made_once_per_name_under_concurrent_first_use() -> None:
    name = f"test-{uuid.uuid4().hex[:8]}"
    start, got = threading.Barrier(16), []

    def ask() -> None:
        start.wait()
        got.append(thread_pool(name, 2))

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(pool) for pool in got}) == 1
    assert thread_pool(name, 99) is got[0]  # the first size wins
    assert got[0].submit(lambda: threading.current_thread().name).result().startswith(name)


def test_uuid_or_none_reads_ids_and_refuses_everything_else() -> None:
    value = uuid.uuid4()
    assert uuid_or_none(value) is value
    assert uuid_or_none(str(value)) == value == uuid_or_none(value.hex)
    for bad in ["nope", "", None, 7, b"x" * 16, ["a"], str(value) + "0"]:
        assert uuid_or_none(bad) is None


def test_the_s3_connection_pool_holds_every_pool_thread_that_calls_s3_at_once() -> None:
    from chat.context import CONTEXT_READER_THREADS
    from files.api.downloads import READER_THREADS
    from files.storage import get_storage
    from files.storage.multipart import IO_THREADS

    at_once = READER_THREADS + IO_THREADS + CONTEXT_READER_THREADS
    assert get_storage().client_config.max_pool_connections >= at_once
