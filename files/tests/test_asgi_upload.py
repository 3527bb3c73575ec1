"""Streamed uploads and downloads through the real ASGI stack (uvicorn on a socket).

The Django test client never goes through the ASGI handler, so these tests run
``chatui.asgi.application`` under uvicorn in a thread of the test process, against
live s3mock and SeaweedFS. They need committed rows (``transactional_db``): the
server's threads use their own database connections.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import httpx
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import OperationalError
from rest_framework.authtoken.models import Token

from chat.models import ChatSession
from files import services, storage
from files.asgi_upload import RequestBodyStream
from files.models import StoredFile

MIB = 1024 * 1024
BOUNDARY = "----chatui-test-boundary"


@pytest.fixture
def live_server_url(transactional_db: None, s3_backend: Any) -> Iterator[str]:
    import uvicorn

    from chatui.asgi import application

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture
def token(user: Any) -> str:
    return Token.objects.create(user=user).key


def _client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=60)


def _pending_multipart_uploads() -> list[Any]:
    response = storage.client().list_multipart_uploads(Bucket=storage.bucket_name())
    return response.get("Uploads", [])


def _raw_request(url: str, head: str, body: bytes = b"", timeout: float = 10.0) -> bytes:
    """Send ``head`` (and ``body``) on a socket; return what the server answers."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head.encode("latin-1") + body)
        return _read_response(sock)


def _read_response(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received or not _body_complete(received):
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def _body_complete(received: bytes) -> bool:
    head, _, body = received.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _multipart_head(url: str, token: str, extra: str) -> str:
    host = url.removeprefix("http://")
    return (
        f"POST /api/files HTTP/1.1\r\nHost: {host}\r\nAuthorization: Token {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{extra}\r\n"
    )


def _file_part_head(name: str = "big.bin") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


# --- Streamed uploads ---------------------------------------------------------------


@pytest.mark.django_db
def test_djangos_asgi_handler_still_reads_bodies_through_the_hooks_we_override() -> None:
    """Pins the Django behaviour ``StreamingUploadASGIHandler`` relies on: ``handle``
    reads the body with ``self.read_body(receive)`` (given the ``receive`` it was
    called with) and builds the request with ``self.create_request(scope, body_file)``
    from that body file. If a Django upgrade reads the body elsewhere, streamed
    uploads would silently be spooled whole again; this test fails first."""
    from django.core.handlers.asgi import ASGIHandler

    from chatui.testing.asgi import call, http_scope

    seen: list[str] = []

    class Probe(ASGIHandler):
        async def read_body(self, receive: Any) -> Any:
            seen.append("read_body:" + getattr(receive, "marker", "?"))
            return await super().read_body(receive)

        def create_request(self, scope: dict[str, Any], body_file: Any) -> Any:
            body_file.seek(0)
            seen.append("create_request:" + body_file.read().decode())
            body_file.seek(0)
            return super().create_request(scope, body_file)

    class MarkedReceive:
        marker = "ours"

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def __call__(self) -> dict[str, Any]:
            return await self.inner()

    async def marked_call() -> Any:
        probe = Probe()

        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            await probe(scope, MarkedReceive(receive), send)

        scope = http_scope("/api/health", {}, method="POST")
        return await call(app, scope)

    asyncio.run(marked_call())
    assert seen == ["read_body:ours", "create_request:"]


def test_body_stream_asks_the_server_nothing_more_once_the_body_has_ended() -> None:
    """The view's last read_sync (the end of the body) costs no trip to the event loop."""
    messages = [{"type": "http.request", "body": b"x" * 100, "more_body": False}]

    async def receive() -> dict[str, object]:
        if not messages:
            raise AssertionError("receive() called after the body ended")
        return messages.pop()

    async def view_reads(body: RequestBodyStream) -> list[bytes]:
        trips = 0
        real = async_to_sync

        def counted(func):  # type: ignore[no-untyped-def]
            nonlocal trips
            trips += 1
            return real(func)

        with mock.patch("files.asgi_upload.async_to_sync", counted):
            reads = await sync_to_async(lambda: [body.read_sync(1024), body.read_sync(1024)])()
        assert trips == 1
        return reads

    assert asyncio.run(view_reads(RequestBodyStream(receive))) == [b"x" * 100, b""]


def test_streamed_upload_stores_exact_bytes_checksum_and_row(live_server_url, token, s3_backend):
    # given 20 MiB: three multipart parts
    data = os.urandom(20 * MIB + 12345)
    # when
    with _client(live_server_url, token) as client:
        response = client.post("/api/files", files={"file": ("big.bin", data)})
        downloaded = client.get(f"/api/files/{response.json()['id']}/download")
    # then
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["size"] == len(data) and body["filename"] == "big.bin"
    assert body["checksum"] == hashlib.sha256(data).hexdigest()
    row = StoredFile.objects.get(pk=body["id"])
    assert (row.size, row.etag) == (len(data), storage.head(row.key).etag)
    assert s3_backend.list_keys() == [row.key]
    assert downloaded.status_code == 200 and downloaded.content == data
    assert _pending_multipart_uploads() == []


def test_streamed_upload_takes_fields_after_the_file(live_server_url, token, user, s3_backend):
    session = ChatSession.objects.create(owner=user)
    content = b"a,b\n1,2\n"
    body = (
        _file_part_head("table.csv")
        + content
        + (
            f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="tags"\r\n\r\n'
            '{"project": "x"}'
            f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="session"\r\n\r\n'
            f"{session.pk}\r\n--{BOUNDARY}--\r\n"
        ).encode()
    )
    with _client(live_server_url, token) as client:
        response = client.post(
            "/api/files",
            content=body,
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["size"], result["content_type"], result["category"]) == (8, "text/csv", "data")
    assert result["tags"] == {"project": "x"} and result["session"] == str(session.pk)


def test_streamed_upload_with_bad_fields_after_the_file_leaves_nothing(
    live_server_url, token, s3_backend
) -> None:
    data = os.urandom(9 * MIB)  # multipart: parts reach S3 before the bad field
    body = (
        _file_part_head()
        + data
        + f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="tags"\r\n\r\n'
        f"not json\r\n--{BOUNDARY}--\r\n".encode()
    )
    with _client(live_server_url, token) as client:
        response = client.post(
            "/api/files",
            content=body,
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert s3_backend.list_keys() == [] and not StoredFile.objects.exists()
    assert _pending_multipart_uploads() == []


def test_json_base64_upload_still_works_under_asgi(live_server_url, token, s3_backend) -> None:
    payload = {"filename": "a.txt", "content_base64": "aGVsbG8K"}
    with _client(live_server_url, token) as client:
        response = client.post("/api/files", json=payload)
    assert response.status_code == 201 and response.json()["size"] == 6


def test_session_auth_needs_the_csrf_header(live_server_url, user, s3_backend) -> None:
    from conftest import TEST_PASSWORD

    with httpx.Client(base_url=live_server_url, timeout=30) as client:
        login_page = client.get("/accounts/login/")
        csrf = client.cookies.get("csrftoken") or ""
        client.post(
            "/accounts/login/",
            data={"username": user.email, "password": TEST_PASSWORD, "csrfmiddlewaretoken": csrf},
            headers={"Referer": str(login_page.url)},
        )
        assert client.cookies.get("sessionid"), "login failed"
        files = {"file": ("a.txt", b"hi\n")}
        refused = client.post("/api/files", files=files)
        csrf = client.cookies.get("csrftoken") or ""
        accepted = client.post("/api/files", files=files, headers={"X-CSRFToken": csrf})
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    assert accepted.status_code == 201, accepted.text


def test_anonymous_streamed_upload_is_refused_unread(live_server_url, s3_backend) -> None:
    host = live_server_url.removeprefix("http://")
    head = (
        f"POST /api/files HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {100 * MIB}\r\n\r\n"
    )
    answer = _raw_request(live_server_url, head)  # no body sent at all
    assert answer.split(b"\r\n")[0] in {b"HTTP/1.1 401 Unauthorized", b"HTTP/1.1 403 Forbidden"}


# --- The size limit ------------------------------------------------------------------


def test_oversized_content_length_is_413_before_the_body_is_sent(
    live_server_url, token, settings, s3_backend
) -> None:
    # given a 1 MB limit and a request that announces 50 MiB but sends no body
    settings.FILES_MAX_UPLOAD_MB = 1
    head = _multipart_head(live_server_url, token, f"Content-Length: {50 * MIB}\r\n")
    # when
    started = time.monotonic()
    answer = _raw_request(live_server_url, head, timeout=10)
    # then the answer came at once, without waiting for the body
    assert time.monotonic() - started < 5
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["code"] == "file_too_large"
    assert s3_backend.list_keys() == [] and not StoredFile.objects.exists()


def test_chunked_body_past_the_limit_is_aborted(live_server_url, token, settings, s3_backend):
    # given a 1 MB limit and a chunked body (no Content-Length) of up to 64 MiB
    settings.FILES_MAX_UPLOAD_MB = 1
    host, port = live_server_url.removeprefix("http://").split(":")
    head = _multipart_head(live_server_url, token, "Transfer-Encoding: chunked\r\n")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode() + _chunk(_file_part_head()))
        # when the client keeps sending
        try:
            for _ in range(64):
                sock.sendall(_chunk(b"x" * MIB))
                sent += MIB
        except OSError:
            pass  # the server answered and closed: it stopped reading
        try:
            answer = _read_response(sock)
        except ConnectionResetError:
            answer = b""  # the reset can overtake the 413 (the client sent on)
    # then it was cut off soon after the limit (what the socket buffers held aside),
    # with a 413 when the answer made it, and nothing stored
    assert sent < 32 * MIB
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"connection: close" in answer.lower() or not answer
    assert s3_backend.list_keys() == [] and not StoredFile.objects.exists()
    assert _pending_multipart_uploads() == []


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


# --- Faults ------------------------------------------------------------------------------


def test_s3_failure_mid_stream_leaves_no_row_no_blob_no_parts(
    live_server_url, token, s3_backend, monkeypatch
) -> None:
    # given S3 that fails on the second part
    from chatui.errors import StorageUnavailable

    real_upload_part = storage.MultipartWriter._upload_part

    def fail_second(self, number, part):
        if number == 2:
            raise StorageUnavailable(reason="test")
        return real_upload_part(self, number, part)

    monkeypatch.setattr(storage.MultipartWriter, "_upload_part", fail_second)
    # when
    with _client(live_server_url, token) as client:
        response = client.post("/api/files", files={"file": ("big.bin", os.urandom(30 * MIB))})
    # then
    assert response.status_code == 503 and response.json()["code"] == "storage_unavailable"
    assert not StoredFile.objects.exists() and s3_backend.list_keys() == []
    assert _pending_multipart_uploads() == []


def test_db_failure_after_the_blob_leaves_no_blob(
    live_server_url, token, s3_backend, monkeypatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(StoredFile, "save", fail)
    with _client(live_server_url, token) as client:
        response = client.post("/api/files", files={"file": ("big.bin", os.urandom(10 * MIB))})
    assert response.status_code == 503 and response.json()["code"] == "database_unavailable"
    assert s3_backend.list_keys() == [] and not StoredFile.objects.exists()
    assert _pending_multipart_uploads() == []


# --- Downloads under ASGI ----------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1000, MIB, 5 * MIB + 7])
def test_download_under_asgi_streams_every_byte(live_server_url, token, user, s3_backend, size):
    data = os.urandom(size)
    # Users can't upload empty files; a tool's empty result is stored and downloadable.
    source = {"source": "tool", "source_tool": "convert_table"} if size == 0 else {}
    file = services.file_upload(owner=user, content=data, filename="blob.bin", **source)
    with _client(live_server_url, token) as client:
        whole = client.get(f"/api/files/{file.pk}/download")
        ranged = client.get(f"/api/files/{file.pk}/download", headers={"Range": "bytes=3-"})
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["Content-Length"] == str(size)
    assert whole.headers["ETag"] == f'"{file.etag}"'
    assert whole.headers["X-Content-Type-Options"] == "nosniff"
    if size > 3:
        assert ranged.status_code == 206 and ranged.content == data[3:]
        assert ranged.headers["Content-Range"] == f"bytes 3-{size - 1}/{size}"


def test_download_stopped_by_the_client_frees_its_reader(live_server_url, token, user, s3_backend):
    file = services.file_upload(owner=user, content=os.urandom(20 * MIB), filename="blob.bin")
    with _client(live_server_url, token) as client:
        with client.stream("GET", f"/api/files/{file.pk}/download") as response:
            next(response.iter_raw(MIB))  # read a little, then hang up
        again = client.get(f"/api/files/{file.pk}/download", headers={"Range": "bytes=0-9"})
    assert again.status_code == 206 and len(again.content) == 10
