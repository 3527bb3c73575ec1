"""Faults: the S3 endpoint goes away and comes back, the database fails after a blob was
written, the server is SIGKILLed mid-upload. Each time the user gets a clear, typed
error, no half-made file is left, and ``files_reconcile`` has nothing to repair beyond
aborting the multipart upload a killed server leaves open.

Every test runs against a live s3mock of its own (``s3mock.testing``), so stopping it
cannot disturb other tests. (A hanging model endpoint: ``chat/tests/test_end_to_end.py::
test_a_hanging_model_is_llm_unavailable_and_the_message_is_kept``.)
"""

from __future__ import annotations

import base64
import socket
import time
import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import boto3
import pytest
from django.core.management import call_command
from django.db import IntegrityError, OperationalError

from files import storage
from files.models import StoredFile
from s3mock.testing import S3MockProcess
from tools.models import ToolRun

pytestmark = [pytest.mark.django_db]

CREDENTIALS = "faults:faults-secret"
CSV = b"month,total\n1,10\n2,20\n"


@pytest.fixture
def dedicated_s3(tmp_path: Path, settings: Any) -> Iterator[S3MockProcess]:
    """A live s3mock only this test stops and restarts (same port, same data)."""
    server = S3MockProcess(tmp_path / "s3", credentials=CREDENTIALS).start()
    settings.S3_ENDPOINT = server.endpoint_url
    settings.S3_ACCESS_KEY, settings.S3_SECRET_KEY = server.accounts[0]
    settings.S3_BUCKET = "faults"
    settings.S3_AUTO_CREATE_BUCKET = True
    settings.S3_TIMEOUT = 3.0
    storage.ensure_bucket()
    try:
        yield server
    finally:
        server.stop()
        storage.reset_storage()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _reconcile_is_clean() -> str:
    out = StringIO()
    call_command("files_reconcile", "--min-age", "0s", stdout=out)  # CommandError if problems
    return out.getvalue()


# --- S3 down, then back ------------------------------------------------------------------------


def test_s3_down_gives_storage_unavailable_everywhere_then_everything_works_again(
    dedicated_s3: S3MockProcess, api_client: Any
) -> None:
    # given a file stored while S3 is up
    kept = api_client.post(
        "/api/files", {"filename": "keep.csv", "content_base64": _b64(CSV)}, format="json"
    ).json()
    file_url = f"/api/files/{kept['id']}"

    # when S3 goes away
    dedicated_s3.stop()
    attempts = {
        "upload": api_client.post(
            "/api/files", {"filename": "new.txt", "content_base64": _b64(b"x")}, format="json"
        ),
        "download": api_client.get(f"{file_url}/download"),
        "content": api_client.get(f"{file_url}?include=content"),
        "tool run": api_client.post(
            "/api/tools/csv_summary/run", {"file_id": kept["id"]}, format="json"
        ),
        "delete": api_client.delete(f"{file_url}?permanent=true"),  # to the trash needs no S3
        "health": api_client.get("/api/health"),
    }

    # then every door answers a clear 503, and nothing was half-made or lost
    for action, response in attempts.items():
        assert response.status_code == 503, (action, response.status_code)
        if action != "health":
            assert response.json()["code"] == "storage_unavailable", action
    assert list(StoredFile.objects.values_list("filename", flat=True)) == ["keep.csv"]
    assert ToolRun.objects.get().error_code == "storage_unavailable"
    assert api_client.get("/api/files").json()["count"] == 1  # listing needs no S3

    # when S3 is back, everything works again, with the same bytes
    dedicated_s3.start()
    assert b"".join(api_client.get(f"{file_url}/download").streaming_content) == CSV
    rerun = api_client.post("/api/tools/csv_summary/run", {"file_id": kept["id"]}, format="json")
    assert rerun.status_code == 200
    again = api_client.post(
        "/api/files", {"filename": "new.txt", "content_base64": _b64(b"x")}, format="json"
    )
    assert again.status_code == 201
    assert "Missing blobs: 0, orphan blobs: 0" in _reconcile_is_clean()


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_chat_with_s3_down_reports_the_tool_failure_keeps_the_message_and_recovers(
    dedicated_s3: S3MockProcess,
) -> None:
    from channels.db import database_sync_to_async

    from chat.models import Message
    from chat.tests.conftest import communicator, receive_until, session_cookie
    from chatui.models import User
    from files.services import file_upload

    @database_sync_to_async
    def setup() -> tuple[str, str]:
        user = User.objects.create_user(email="alice@example.com", password="pw-for-tests-1")
        file = file_upload(owner=user, content=CSV, filename="sales.csv")
        return session_cookie(user), str(file.pk)

    cookie, file_id = await setup()
    command = f'/tool csv_summary {{"file_id": "{file_id}"}}'

    async def chat() -> list[dict[str, Any]]:
        comm = communicator(cookie)
        assert (await comm.connect())[0]
        try:
            await comm.send_json_to({"type": "chat", "session_id": None, "content": command})
            return await receive_until(comm, "response_complete", timeout=20)
        finally:
            await comm.disconnect()

    # when S3 is down, the tool's failure is a typed error in the reply
    dedicated_s3.stop()
    frames = await chat()
    done = next(f for f in frames if f["type"] == "tool_complete")
    assert done["error"]["code"] == "storage_unavailable" and done["files"] == []
    assert frames[-1]["status"] == "complete"

    # and when it is back, the same message works
    dedicated_s3.start()
    frames = await chat()
    done = next(f for f in frames if f["type"] == "tool_complete")
    assert done["error"] is None

    contents = await database_sync_to_async(
        lambda: list(Message.objects.filter(role="user").values_list("content", flat=True))
    )()
    assert contents == [command, command]  # the user's messages were kept both times


# --- The database fails after the blob was written -----------------------------------------------


@pytest.mark.parametrize("error", [OperationalError("database is locked"), IntegrityError("x")])
def test_a_database_error_after_the_blob_removes_the_blob(
    dedicated_s3: S3MockProcess, api_client: Any, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise error

    monkeypatch.setattr(StoredFile, "save", fail)
    api_client.raise_request_exception = False

    response = api_client.post(
        "/api/files", {"filename": "a.txt", "content_base64": _b64(b"abc")}, format="json"
    )

    if isinstance(error, OperationalError):  # transient: a typed, retryable answer
        assert response.status_code == 503
        assert response.json()["code"] == "database_unavailable"
    else:  # a bug: a 500, but still nothing left behind
        assert response.status_code == 500
    assert storage.list_keys() == []
    assert not StoredFile.objects.exists()


def test_a_database_error_recording_a_tool_run_removes_the_generated_files(
    dedicated_s3: S3MockProcess, api_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = api_client.post(
        "/api/files", {"filename": "t.csv", "content_base64": _b64(CSV)}, format="json"
    ).json()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr("tools.executor.ToolRun.objects.create", fail)
    response = api_client.post(
        "/api/tools/convert_table/run", {"file_id": source["id"], "to": "json"}, format="json"
    )

    assert response.status_code == 503 and response.json()["code"] == "database_unavailable"
    assert storage.list_keys() == [source["key"]]  # the generated JSON is gone again
    assert list(StoredFile.objects.values_list("id", flat=True)) == [uuid.UUID(source["id"])]


# --- The server is SIGKILLed in the middle of a large upload ------------------------------------


def _open_multipart_uploads(server: S3MockProcess, bucket: str) -> list[str]:
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=server.accounts[0][0],
        aws_secret_access_key=server.accounts[0][1],
        region_name="us-east-1",
    )
    listing = client.list_multipart_uploads(Bucket=bucket)
    return [upload["Key"] for upload in listing.get("Uploads", [])]


def _start_upload(url: str, token: str, total: int) -> socket.socket:
    """Headers and the start of a multipart body; the rest is never sent."""
    boundary = "killme"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    request = (
        f"POST /api/files HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Token {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(head) + total + len(tail)}\r\n\r\n"
    ).encode()
    sock.sendall(request + head)
    return sock


def test_a_server_killed_mid_upload_leaves_no_file_and_reconcile_aborts_its_upload(
    dedicated_s3: S3MockProcess, tmp_path: Path
) -> None:
    from chatui.testing.live_app import LiveApp

    app = LiveApp(
        tmp_path / "app",
        dedicated_s3.endpoint_url,
        *dedicated_s3.accounts[0],
        bucket="killed",
        extra_env={"FILES_MAX_UPLOAD_MB": "64"},
    )
    token = app.prepare(["alice@example.com"])["alice@example.com"]
    app.start()
    try:
        # given a 32 MiB upload of which 12 MiB have arrived (a part already in S3)
        sock = _start_upload(app.url, token, total=32 * 1024 * 1024)
        chunk = bytes(range(256)) * 4096  # 1 MiB
        for _ in range(12):
            sock.sendall(chunk)
        deadline = time.monotonic() + 20
        while not _open_multipart_uploads(dedicated_s3, "killed"):
            assert time.monotonic() < deadline, "no multipart upload started"
            time.sleep(0.1)

        # when the server dies on the spot
        app.kill()
        sock.close()

        # then there is no row and no object, only the parts of an open upload
        assert app.rows("select count(*) from files_storedfile") == [(0,)]
        objects = boto3.client(
            "s3",
            endpoint_url=dedicated_s3.endpoint_url,
            aws_access_key_id=dedicated_s3.accounts[0][0],
            aws_secret_access_key=dedicated_s3.accounts[0][1],
            region_name="us-east-1",
        ).list_objects_v2(Bucket="killed", Prefix="users/")
        assert objects.get("KeyCount", 0) == 0
        assert len(_open_multipart_uploads(dedicated_s3, "killed")) == 1
        # and files_reconcile aborts the upload the dead server left open
        report = app.manage("files_reconcile", "--apply", "--min-age", "0s")
        assert "Missing blobs: 0, orphan blobs: 0" in report
        assert "stale multipart uploads: 1; repaired: 1." in report
        assert _open_multipart_uploads(dedicated_s3, "killed") == []

    finally:
        app.stop()
