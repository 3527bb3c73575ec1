"""Under mixed load the chat's slow work stays off the thread every socket shares for
database work (asgiref's thread-sensitive executor, behind ``database_sync_to_async``):
S3 reads for the model's context and tool runs go to pools of their own."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async

from chat import context as chat_context
from chat import tooling
from chat.models import ChatSession
from chat.tests.conftest import communicator, receive_until
from chatui.write_priority import writes_are_interactive
from files.models import StoredFile
from files.services import file_upload

pytestmark = [pytest.mark.anyio]


@database_sync_to_async
def _tagged_text_file(user: Any) -> StoredFile:
    stored = file_upload(owner=user, content=b"the notes\n", filename="notes.txt")
    StoredFile.objects.filter(pk=stored.pk).update(tagged=True)
    return stored


async def test_a_slow_context_read_never_holds_up_other_sockets_database_work(
    alice: tuple[Any, str], s3_moto: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a tagged text file (read for every message) and a storage read that hangs
    user, cookie = alice
    await _tagged_text_file(user)
    reading, release, threads = threading.Event(), threading.Event(), []
    real_read = chat_context.file_read_bytes

    def slow_read(**kwargs: Any) -> bytes:
        threads.append(threading.current_thread().name)
        reading.set()
        release.wait(10)
        return real_read(**kwargs)

    monkeypatch.setattr(chat_context, "file_read_bytes", slow_read)
    comm = communicator(cookie)
    assert (await comm.connect())[0]
    try:
        # when a message's context is being read
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "hi"})
        assert await asyncio.get_running_loop().run_in_executor(None, reading.wait, 10)
        # then another socket's query still runs at once
        started = time.monotonic()
        count = await asyncio.wait_for(database_sync_to_async(ChatSession.objects.count)(), 5)
        waited = time.monotonic() - started
        release.set()
        frames = await receive_until(comm, "response_complete")
    finally:
        release.set()
        await comm.disconnect()
    assert count == 1 and waited < 2, waited
    assert threads and all(name.startswith("chat-context") for name in threads), threads
    assert "notes.txt" in frames[-1]["content"]  # and the model still got the file


async def test_the_context_files_are_read_from_storage_at_the_same_time(
    alice: tuple[Any, str], s3_moto: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two tagged text files, and reads that each wait until the other one has begun
    user, cookie = alice
    for name in ("one.txt", "two.txt"):
        await database_sync_to_async(file_upload)(
            owner=user, content=f"{name} body\n".encode(), filename=name
        )
    await database_sync_to_async(StoredFile.objects.filter(owner=user).update)(tagged=True)
    both_reading = threading.Barrier(2, timeout=10)  # a read one after the other breaks it
    real_read = chat_context.file_read_bytes

    def read_together(**kwargs: Any) -> bytes:
        both_reading.wait()
        return real_read(**kwargs)

    monkeypatch.setattr(chat_context, "file_read_bytes", read_together)
    comm = communicator(cookie)
    assert (await comm.connect())[0]
    try:
        # when a message is answered
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "hi"})
        frames = await receive_until(comm, "response_complete")
    finally:
        both_reading.abort()
        await comm.disconnect()
    # then both files were read, concurrently, and reached the model
    assert "one.txt" in frames[-1]["content"] and "two.txt" in frames[-1]["content"]


async def test_a_tool_run_happens_on_the_tool_pool(
    alice: tuple[Any, str], s3_moto: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, cookie = alice
    threads: list[str] = []
    real_run = tooling.tool_run

    def recording_run(**kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real_run(**kwargs)

    settings.TOOLS = ["tools.builtin.csv_summary.CsvSummaryTool"]
    monkeypatch.setattr(tooling, "tool_run", recording_run)
    csv = await database_sync_to_async(file_upload)(
        owner=user, content=b"a,b\n1,2\n", filename="t.csv"
    )
    comm = communicator(cookie)
    assert (await comm.connect())[0]
    try:
        command = f'/csv_summary {{"file_id": "{csv.pk}"}}'
        await comm.send_json_to({"type": "chat", "session_id": None, "content": command})
        frames = await receive_until(comm, "response_complete")
    finally:
        await comm.disconnect()
    assert [f["type"] for f in frames].count("tool_complete") == 1
    assert threads and all(name.startswith("chat-tools") for name in threads), threads


async def test_the_chat_writes_on_its_own_database_pool_marked_interactive(
    alice: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # (marked, on SQLite its transactions take the write lock ahead of the uploads')
    from chat import reply, services

    threads: dict[str, list[str]] = {"message": [], "reply": []}
    marked: list[bool] = []
    real_post, real_finish = services.chat_start, reply.reply_finish  # a new chat's writes

    def post(**kwargs: Any) -> Any:
        threads["message"].append(threading.current_thread().name)
        marked.append(writes_are_interactive())
        return real_post(**kwargs)

    def finished(**kwargs: Any) -> Any:
        threads["reply"].append(threading.current_thread().name)
        marked.append(writes_are_interactive())
        return real_finish(**kwargs)

    monkeypatch.setattr(services, "chat_start", post)
    monkeypatch.setattr(reply, "reply_finish", finished)
    comm = communicator(alice[1])
    assert (await comm.connect())[0]
    try:
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "hi"})
        await receive_until(comm, "response_complete")
    finally:
        await comm.disconnect()
    names = threads["message"] + threads["reply"]
    assert len(names) == 2 and all(name.startswith("chat-db") for name in names), threads
    assert marked == [True, True]
    assert not writes_are_interactive()  # only inside the chat's database work
