"""The request type shared by the S3 and JSON handlers.

The server speaks raw ASGI rather than going through Django's request stack: an
S3 endpoint needs the exact bytes of the path and query (SigV4 signs them) and
streams bodies of any size, and skipping the middleware keeps small-object
latency low enough to match SeaweedFS (see bench/s3_endpoints.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from .errors import S3Error

Receive = Callable[[], Awaitable[dict[str, Any]]]


@dataclass
class S3Request:
    method: str
    raw_path: str  # as sent, still percent-encoded: "/bucket/a%20b"
    query_string: str  # as sent, still percent-encoded
    headers: dict[str, str]  # lower-case names; repeated headers joined with ","
    receive: Receive
    query: dict[str, str] = field(default_factory=dict)  # decoded, first value wins
    _body_consumed: bool = False

    @classmethod
    def from_scope(cls, scope: dict[str, Any], receive: Receive) -> S3Request:
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]},{text}" if key in headers else text
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        raw_path = raw_path.split("?", 1)[0]
        query_string = scope.get("query_string", b"").decode("latin-1")
        query: dict[str, str] = {}
        for name, value in parse_qsl(query_string, keep_blank_values=True):
            query.setdefault(name, value)
        return cls(scope["method"], raw_path, query_string, headers, receive, query)

    @property
    def path(self) -> str:
        """The decoded path (UTF-8), e.g. ``/bucket/a b``."""
        return unquote(self.raw_path, encoding="utf-8", errors="strict")

    def bucket_and_key(self) -> tuple[str, str]:
        """Split a path-style URL into (bucket, key); either may be empty."""
        rest = self.path[1:] if self.path.startswith("/") else self.path
        bucket, _, key = rest.partition("/")
        return bucket, key

    async def raw_body(self) -> AsyncIterator[bytes]:
        """The body as it arrives on the wire (no aws-chunked decoding)."""
        if self._body_consumed:
            raise S3Error("InternalError", "request body read twice")
        self._body_consumed = True
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise S3Error("IncompleteBody", "the client disconnected mid-body")
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


Body = bytes | AsyncIterator[bytes]


@dataclass
class Response:
    """What a handler returns; the ASGI app sends it (streaming an async iterator)."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: Body = b""
