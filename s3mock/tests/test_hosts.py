"""The Host allowlist: loopback and S3MOCK_ALLOWED_HOSTS only, 400 before auth (DNS rebinding)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from s3mock.hosts import host_allowed, parse_allowed_hosts
from s3mock.testing import S3MockProcess


def raw_request(server: S3MockProcess, method: str, path: str, headers: dict[str, str]):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.putrequest(method, path, skip_host=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8003", True),
        ("127.9.9.9", True),
        ("[::1]:8003", True),
        ("localhost:8003", True),
        ("LOCALHOST", True),
        ("app.localhost:8003", True),
        ("attacker.example", False),
        ("attacker.example:8003", False),
        ("127.0.0.1.attacker.example", False),
        ("localhost.attacker.example", False),
        ("10.0.0.5:8003", False),
        ("0.0.0.0", False),  # noqa: S104 (a Host value under test)
        ("[::]", False),
        ("", False),
        (None, False),
    ],
)
def test_only_loopback_hosts_by_default(host, allowed):
    assert host_allowed(host) is allowed


def test_allowed_hosts_setting_adds_names_and_subdomains():
    extra = parse_allowed_hosts(" s3mock , .internal.test ,")

    assert host_allowed("s3mock:8003", extra)
    assert host_allowed("a.internal.test", extra) and host_allowed("internal.test", extra)
    assert not host_allowed("s3mock.attacker.example", extra)
    assert not host_allowed("attacker.example", extra)


def test_dns_rebinding_host_is_refused_on_the_json_api(s3mock_server: S3MockProcess):
    bearer = {"Authorization": "Bearer victim@example.com"}

    own = raw_request(s3mock_server, "GET", "/files", {"Host": "127.0.0.1", **bearer})
    foreign = raw_request(s3mock_server, "GET", "/files", {"Host": "attacker.example", **bearer})

    assert own[0] == 200
    assert foreign[0] == 400
    assert json.loads(foreign[1])["error"]["code"] == "invalid_host"


def test_dns_rebinding_host_is_refused_on_s3_before_authentication(
    s3mock_server: S3MockProcess,
):
    path = f"/{s3mock_server.bucket}?list-type=2"

    own = raw_request(s3mock_server, "GET", path, {"Host": f"localhost:{s3mock_server.port}"})
    foreign = raw_request(s3mock_server, "GET", path, {"Host": "attacker.example"})
    missing = raw_request(s3mock_server, "GET", path, {})

    assert own[0] == 403  # reaches authentication: unsigned
    assert foreign[0] == 400 and b"<Code>InvalidRequest</Code>" in foreign[1]
    assert b"S3MOCK_ALLOWED_HOSTS" in foreign[1]
    assert missing[0] == 400


@pytest.fixture
def server_with_allowed_host(tmp_path: Path) -> Iterator[S3MockProcess]:
    with S3MockProcess(tmp_path, allowed_hosts="s3mock.internal") as server:
        yield server


def test_a_listed_host_is_served(server_with_allowed_host: S3MockProcess):
    server = server_with_allowed_host

    listed = raw_request(server, "GET", "/health", {"Host": "s3mock.internal:8003"})
    other = raw_request(server, "GET", "/health", {"Host": "attacker.example"})

    assert listed[0] == 200 and other[0] == 400
