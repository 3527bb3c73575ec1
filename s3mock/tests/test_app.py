"""The ASGI app's own duties (error rendering, HEAD, routing) and the runs3mock command."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from s3mock import app as app_module
from s3mock.app import create_app
from s3mock.management.commands.runs3mock import is_loopback


def call(app, method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None):
    """Drive the ASGI app once and collect (status, headers, body)."""
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8003"), *(headers or [])],
    }
    asyncio.run(app(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), body


@pytest.fixture
def app(tmp_path: Path):
    return create_app(
        data_dir=tmp_path, credentials={"key": "secret"}, region="us-east-1", json_bucket="chatui"
    )


def test_an_unexpected_exception_is_a_logged_500_not_a_crash(app, monkeypatch, caplog):
    async def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(app_module, "authenticate", lambda *a, **k: object())
    monkeypatch.setattr(app_module.s3api, "dispatch", explode)

    with caplog.at_level(logging.ERROR, logger="s3mock"):
        status, headers, body = call(app, "GET", "/chatui/key")

    assert status == 500
    assert b"<Code>InternalError</Code>" in body and b"boom" not in body
    assert headers[b"x-amz-request-id"].decode() in body.decode()
    assert "boom" in caplog.text


def test_errors_on_head_carry_no_body(app):
    status, headers, body = call(app, "HEAD", "/chatui/key")

    assert status == 403  # unsigned
    assert body == b""
    assert headers[b"content-length"] != b"0"  # the length of the document GET would get


def test_the_json_bucket_exists_at_start_owned_by_the_first_key(app):
    assert app.store.bucket_owner("chatui") == "key"


def test_invalid_utf8_in_the_path_is_a_400(app, monkeypatch):
    monkeypatch.setattr(app_module, "authenticate", lambda *a, **k: type("A", (), {})())

    status, _, body = call(app, "GET", "/chatui/%ff%fe")

    assert status == 400 and b"<Code>InvalidURI</Code>" in body


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104 (the address under test, never bound)
        ("192.168.1.10", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_runs3mock_refuses_a_remote_host_without_allow_remote(tmp_path: Path):
    with pytest.raises(CommandError, match="--allow-remote"):
        call_command("runs3mock", host="0.0.0.0", data_dir=tmp_path)  # noqa: S104


def test_runs3mock_rejects_malformed_credentials(tmp_path: Path):
    with pytest.raises(CommandError, match="ACCESS_KEY:SECRET_KEY"):
        call_command("runs3mock", credentials="no-colon", data_dir=tmp_path, port=0)
