"""Messages remember the versions they used: after v3 exists, an answer that read v2
still shows and opens v2 (websocket through the real ASGI stack, files on a live
S3 endpoint over HTTP); once retention purged that version, opening it is a typed
``version_not_found``."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from chat.models import Message
from chat.services import message_create, session_create
from chat.tests.conftest import communicator, receive_until
from files.services import file_upload
from files.versions import version_upload


@database_sync_to_async
def _report_at_v2(user: Any) -> Any:
    file = file_upload(owner=user, content=b"total: 1\n", filename="report.txt")
    return version_upload(file=file, content=b"total: 2\n")


@database_sync_to_async
def _messages(session_id: str) -> list[Message]:
    return list(Message.objects.filter(session_id=session_id).order_by("created_at"))


@database_sync_to_async
def _history(user: Any, session_id: str) -> tuple[dict[str, Any], bytes, bytes]:
    client = Client()
    client.force_login(user)
    history = client.get(f"/api/chats/{session_id}").json()
    [attached] = history["messages"][0]["files"]
    opened = b"".join(client.get(attached["download_url"]).streaming_content)
    current = b"".join(client.get(f"/api/files/{attached['id']}/download").streaming_content)
    used_in = client.get(f"/api/files/{attached['id']}/chats").json()
    return history, opened, current, used_in


@pytest.mark.anyio
async def test_an_answer_that_read_v2_still_opens_v2_after_v3(
    alice: tuple[Any, str], s3_backend: Any
) -> None:
    user, cookie = alice
    report = await _report_at_v2(user)
    comm = communicator(cookie)
    assert (await comm.connect())[0]
    try:
        await comm.send_json_to(
            {"type": "chat", "content": "sum it up", "file_ids": [str(report.pk)]}
        )
        frames = await receive_until(comm, "response_complete")
    finally:
        await comm.disconnect()
    session_id = next(f["session_id"] for f in frames if f.get("session_id"))
    await database_sync_to_async(version_upload)(file=report, content=b"total: 3\n")

    asked, answered = await _messages(session_id)
    used = [{"file_id": str(report.pk), "version": 2}]
    assert asked.file_versions == used and answered.file_versions == used
    history, opened, current, used_in = await _history(user, session_id)
    assert [(c["session_id"], c["versions"]) for c in used_in] == [(session_id, [2])]
    [attached] = history["messages"][0]["files"]
    assert (attached["version"], attached["current_version"]) == (2, 3)
    assert attached["download_url"].endswith("?version=2")
    assert history["messages"][1]["file_versions"] == used
    assert (opened, current) == (b"total: 2\n", b"total: 3\n")


@pytest.mark.django_db
def test_a_version_purged_by_retention_opens_as_version_not_found(
    user: Any, api_client: Any, s3_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a message that used v1 of a file now at v3
    chat = session_create(owner=user)
    report = file_upload(owner=user, content=b"total: 1\n", filename="report.txt")
    message_create(session=chat, role=Message.Role.USER, content="sum it up", files=[report])
    for total in (2, 3):
        version_upload(file=report, content=f"total: {total}\n".encode())

    # when retention keeps each file's newest version only (two days later)
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr("files.ops.retention.timezone.now", lambda: later)
    purge = ["files_purge", "--keep-versions=1", "--older-than=1d", "--apply"]
    call_command(*purge, stdout=StringIO())

    # then the message still says v1, and each way of opening v1 answers the typed 404
    history = api_client.get(f"/api/chats/{chat.id}")
    assert history.status_code == 200
    [used] = history.json()["messages"][0]["files"]
    assert (used["version"], used["current_version"]) == (1, 3)
    assert used["download_url"].endswith("?version=1")
    for url in (
        used["download_url"],
        f"{used['download_url']}&inline=1",
        f"/api/files/{report.pk}?version=1",
        f"/api/files/{report.pk}/text?version=1",
    ):
        response = api_client.get(url)
        assert (response.status_code, response.json()["code"]) == (404, "version_not_found"), url
    current = api_client.get(f"/api/files/{report.pk}/download")
    assert b"".join(current.streaming_content) == b"total: 3\n"
