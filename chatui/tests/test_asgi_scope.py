"""The one reader of ASGI scope headers that the body-size and websocket-origin checks share."""

from __future__ import annotations

from chatui.asgi_scope import scope_header

SCOPE = {
    "type": "http",
    "headers": [(b"host", b"a.test"), (b"Content-Length", b"12"), (b"host", b"b.test")],
}


def test_the_first_value_of_a_header_in_any_case_and_none_when_absent() -> None:
    assert scope_header(SCOPE, b"host") == b"a.test"
    assert scope_header(SCOPE, b"content-length") == b"12"
    assert scope_header(SCOPE, b"origin") is None
    assert scope_header({"type": "websocket"}, b"origin") is None
