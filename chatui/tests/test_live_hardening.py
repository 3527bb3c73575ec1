"""Hardening findings that only a real server shows (uvicorn, as deployed; s3mock over HTTP).

Findings (issue #20): an absurd Content-Length answered 400, not 413; a non-ASCII or
CRLF content type on upload answered 503 and was logged as a credentials failure;
anonymous websockets got 403 at the handshake while the README promised 4401;
/api/health blocked as long as S3 hung; slow clients held connections open.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from chatui.server_protocol import uvicorn_server_options
from chatui.testing.live_app import LiveApp

EMAIL = "alice@example.com"
ANY_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def app(s3mock_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    live = LiveApp(
        tmp_path_factory.mktemp("live-hardening"),
        s3mock_server.endpoint,
        s3mock_server.access_key,
        s3mock_server.secret_key,
        bucket="live-hardening",
        extra_env={
            "FILES_MAX_UPLOAD_MB": "8",
            "LOG_LEVEL": "INFO",
            "SERVER_HEADER_TIMEOUT_S": "2",
            "SERVER_BODY_WINDOW_S": "3",
            "SERVER_BODY_MIN_RATE": "1000",
        },
        server_args=uvicorn_server_options(),  # as the README's deployment runs it
    )
    live.prepare([EMAIL])
    live.start()
    yield live
    live.stop()


def _api(app: LiveApp) -> httpx.Client:
    headers = {"Authorization": f"Token {app.tokens[EMAIL]}"}
    return httpx.Client(base_url=app.url, headers=headers, timeout=20)


def _raw(app: LiveApp, request: bytes, read_timeout: float = 20) -> bytes:
    """Send ``request`` as is; the status line and headers that come back."""
    with socket.create_connection(("127.0.0.1", app.port), timeout=read_timeout) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def _headers(app: LiveApp, method: str, path: str, content_type: str, length: int) -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{app.port}\r\n"
        f"Authorization: Token {app.tokens[EMAIL]}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/files", "multipart/form-data; boundary=xyz"),
        ("/api/files", "application/json"),
        ("/api/chats", "application/json"),
        ("/api/tools/csv_summary/run", "application/json"),
        # a new version's upload (#17): refused before routing, whoever's file it names
        (f"/api/files/{ANY_ID}/versions", "multipart/form-data; boundary=xyz"),
        (f"/api/files/{ANY_ID}/versions", "application/json"),
    ],
)
def test_an_absurd_content_length_is_413(app: LiveApp, path: str, content_type: str) -> None:
    answer = _raw(app, _headers(app, "POST", path, content_type, 10**12) + b'{"a')
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b"application/json" in answer


def _multipart(content_type: bytes) -> tuple[bytes, str]:
    boundary = "b0undary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        "Content-Type: "
    ).encode()
    body += content_type + b"\r\n\r\n\x00\x01binary\r\n" + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("bad", ["text/pläin".encode(), b"text/plain\x0bx", b"no-slash"])
def test_a_malformed_upload_content_type_is_400_not_503(app: LiveApp, bad: bytes) -> None:
    body, content_type = _multipart(bad)
    with _api(app) as api:
        response = api.post("/api/files", content=body, headers={"Content-Type": content_type})
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid"
        as_json = api.post(
            "/api/files",
            json={"filename": "a.bin", "content_base64": "AAE=", "content_type": "a/b\r\nX: y"},
        )
        assert as_json.status_code == 400 and as_json.json()["code"] == "invalid"
    assert "credentials" not in app.log.read_text()


def test_a_client_type_outside_the_safe_list_is_stored_as_octet_stream(app: LiveApp) -> None:
    body, content_type = _multipart(b"text/vnd.wap.wml")
    with _api(app) as api:
        response = api.post("/api/files", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 201
    assert response.json()["content_type"] == "application/octet-stream"


def test_an_anonymous_websocket_is_closed_with_4401(app: LiveApp) -> None:
    async def connect() -> Any:
        url = f"ws://127.0.0.1:{app.port}/ws/chat/"
        async with websockets.connect(url, origin=app.url, open_timeout=10) as ws:  # type: ignore[arg-type]
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            return closed.value.rcvd

    assert asyncio.run(connect()).code == 4401


def test_a_websocket_from_another_port_is_refused(app: LiveApp) -> None:
    async def connect() -> None:
        url = f"ws://127.0.0.1:{app.port}/ws/chat/"
        async with websockets.connect(url, origin="http://127.0.0.1:9999", open_timeout=10):  # type: ignore[arg-type]
            pass

    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(connect())
    assert refused.value.response.status_code == 403


def _hanging_endpoint() -> tuple[socket.socket, int]:
    """A TCP port that accepts connections and never answers (a hung S3)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    return server, server.getsockname()[1]


def test_health_answers_degraded_within_seconds_when_s3_hangs(
    s3mock_server: Any, tmp_path: Path
) -> None:
    hung, port = _hanging_endpoint()
    live = LiveApp(
        tmp_path / "hung",
        s3mock_server.endpoint,
        s3mock_server.access_key,
        s3mock_server.secret_key,
        bucket="live-hung",
        # S3 hangs far longer than the probe waits; 1 s keeps each answer within the
        # 2 s that LiveApp.start() allows a health request
        extra_env={"S3_TIMEOUT": "20", "HEALTH_STORAGE_TIMEOUT_S": "1"},
    )
    live.prepare([EMAIL])
    live.extra_env["S3_ENDPOINT"] = f"http://127.0.0.1:{port}"
    live.start(timeout=90)
    try:
        started = time.monotonic()
        response = httpx.get(f"{live.url}/api/health", timeout=30)
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.json()["status"] == "degraded"
        assert response.json()["storage"] == {"ok": False, "error": "timeout"}
        assert elapsed < 3, elapsed
    finally:
        live.stop()
        hung.close()


def _closed_after(sock: socket.socket, limit_s: float) -> float:
    """Seconds until the server closed ``sock`` (reading whatever it sent first)."""
    started = time.monotonic()
    sock.settimeout(limit_s)
    while sock.recv(65536):
        pass
    return time.monotonic() - started


def test_a_connection_that_never_finishes_its_headers_is_closed(app: LiveApp) -> None:
    with socket.create_connection(("127.0.0.1", app.port)) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert _closed_after(sock, 15) < 6
    with socket.create_connection(("127.0.0.1", app.port)) as silent:
        assert _closed_after(silent, 15) < 6


def test_an_upload_trickling_10_bytes_a_second_is_cut_off(app: LiveApp) -> None:
    body, content_type = _multipart(b"application/octet-stream")
    head = _headers(app, "POST", "/api/files", content_type, len(body) + 100_000)
    with socket.create_connection(("127.0.0.1", app.port)) as sock:
        sock.sendall(head)
        started = time.monotonic()
        with pytest.raises(OSError):  # reset or broken pipe once the server gives up
            while time.monotonic() - started < 20:
                sock.sendall(b"x" * 10)
                time.sleep(1)
        assert time.monotonic() - started < 12
    assert "slow client closed reason=body_too_slow" in app.log.read_text()


def test_honest_requests_pass_the_timeouts(app: LiveApp) -> None:
    with _api(app) as api:
        uploaded = api.post("/api/files", files={"file": ("ok.txt", b"x" * 200_000)})
        assert uploaded.status_code == 201
        time.sleep(3)  # idle on a kept-alive connection, under the keep-alive timeout
        assert api.get("/api/files").status_code == 200


def _login_page(sock: socket.socket, port: int) -> bytes:
    sock.sendall(f"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    answer = b""
    while b"</html>" not in answer:
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    return answer


def test_an_idle_kept_alive_connection_is_left_to_the_keep_alive_timeout(app: LiveApp) -> None:
    # past the header deadline (2 s here), within the keep-alive timeout (5 s): the
    # connection still serves, so a client's pool may reuse it as long as it expects to
    with socket.create_connection(("127.0.0.1", app.port), timeout=10) as sock:
        assert _login_page(sock, app.port).startswith(b"HTTP/1.1 200")
        time.sleep(3.5)
        assert _login_page(sock, app.port).startswith(b"HTTP/1.1 200")
    # and one that then starts a request and never finishes its headers is still cut off
    with socket.create_connection(("127.0.0.1", app.port), timeout=10) as sock:
        assert _login_page(sock, app.port).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert _closed_after(sock, 15) < 5


def test_a_busy_kept_alive_connection_is_not_taken_for_a_slow_one(app: LiveApp) -> None:
    # requests every 0.4 s on one connection for longer than the header timeout (2 s)
    request = f"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1:{app.port}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", app.port), timeout=10) as sock:
        started = time.monotonic()
        while time.monotonic() - started < 5:
            sock.sendall(request)
            answer = b""
            while b"</html>" not in answer:
                chunk = sock.recv(65536)
                assert chunk, f"closed after {time.monotonic() - started:.1f} s"
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200")
            time.sleep(0.4)
