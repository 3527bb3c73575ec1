"""The websocket's Origin is compared as Django's CSRF compares it: scheme, host and port.

Finding (issue #20, low): the websocket accepted ``http://localhost:9999``, which HTTP
CSRF rejects.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from chatui.asgi import application
from chatui.ws_origin import origin_allowed


def _scope(origin: str | None, host: str = "localhost", **extra: Any) -> dict[str, Any]:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers += [(k.encode(), v.encode()) for k, v in extra.pop("headers", {}).items()]
    return {"type": "websocket", "scheme": "ws", "headers": headers, **extra}


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://localhost", "localhost", True),
        ("http://localhost:8000", "localhost:8000", True),
        ("http://localhost:9999", "localhost", False),  # the finding: another port
        ("http://localhost:9999", "localhost:8000", False),
        ("https://localhost", "localhost", False),  # another scheme
        ("http://evil.example", "localhost", False),
        ("http://evil.example", "evil.example", False),  # a Host not in ALLOWED_HOSTS
        ("null", "localhost", False),
        (None, "localhost", False),
    ],
)
def test_origin_must_be_the_sites_own(origin: str | None, host: str, allowed: bool) -> None:
    assert origin_allowed(_scope(origin, host)) is allowed


def test_wss_and_a_trusted_proxy_make_the_origin_https(settings: Any) -> None:
    assert origin_allowed({**_scope("https://localhost"), "scheme": "wss"})
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = _scope("https://localhost", headers={"x-forwarded-proto": "https"})
    assert origin_allowed(proxied)
    assert not origin_allowed(_scope("http://localhost", headers={"x-forwarded-proto": "https"}))


def test_csrf_trusted_origins_count_wildcards_included(settings: Any) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.com", "https://*.corp.example"]
    assert origin_allowed(_scope("https://chat.example.com", "10.0.0.5"))
    assert origin_allowed(_scope("https://team.corp.example", "10.0.0.5"))
    assert not origin_allowed(_scope("http://team.corp.example", "10.0.0.5"))
    assert not origin_allowed(_scope("https://chat.example.com:8443", "10.0.0.5"))


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_the_asgi_app_refuses_another_port_at_the_handshake() -> None:
    comm = WebsocketCommunicator(
        application,
        "/ws/chat/",
        headers=[(b"host", b"localhost"), (b"origin", b"http://localhost:9999")],
    )
    connected, _ = await comm.connect()
    assert not connected
    await comm.disconnect()
