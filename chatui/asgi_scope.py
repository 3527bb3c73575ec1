"""Reading an ASGI connection scope, for the middleware that judges a connection
before Django builds a request from it (``body_limits``, ``ws_origin``)."""

from __future__ import annotations

from typing import Any


def scope_header(scope: dict[str, Any], name: bytes) -> bytes | None:
    """The first value of header ``name`` (lower-case bytes) in ``scope``; None if absent.

    Servers should lower-case header names (the ASGI spec); a name in another case is
    matched too."""
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value
    return None
