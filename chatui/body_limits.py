"""Request bodies judged by their declared size before a byte of them is read.

Django's ASGI handler reads a whole request body (into a spooled temporary file)
before any view runs, so a request declaring a ``Content-Length`` of 10**12 held
its connection open waiting for bytes that never come, and the view's own size
checks came too late. This middleware answers such a request at once: 413
``body_too_large`` when the declared length is over what any view here accepts
(multipart: the upload limit, ``file_too_large``; any other body: the JSON limit),
400 ``invalid``
when the header is not a number; always JSON, with ``Connection: close`` so the
unread body is dropped with the connection.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from chatui.asgi_scope import scope_header

MULTIPART_SLACK_BYTES = 64 * 1024 + 10 * 1024 * 1024  # boundaries and the other form fields


def body_limit(content_type: bytes) -> int:
    """The largest body any view accepts for this content type."""
    if content_type.lower().startswith(b"multipart/"):
        return settings.FILES_MAX_UPLOAD_MB * 1024 * 1024 + MULTIPART_SLACK_BYTES
    return max(settings.API_JSON_MAX_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


async def _refuse(
    send: Any, status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> None:
    body = {"code": code, "message": message, **({"details": details} if details else {})}
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class DeclaredSizeLimit:
    """ASGI middleware: 413/400 by ``Content-Length`` alone, before the body is read."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "http":
            declared = scope_header(scope, b"content-length")
            if declared is not None:
                problem = self._problem(scope, declared)
                if problem is not None:
                    return await _refuse(send, *problem)
        return await self.application(scope, receive, send)

    def _problem(self, scope: dict[str, Any], declared: bytes) -> tuple | None:
        if not declared.strip().isdigit():
            return (400, "invalid", "Content-Length is not a number.")
        content_type = scope_header(scope, b"content-type") or b""
        limit = body_limit(content_type)
        if int(declared) > limit:
            # multipart is an upload: the upload API's own code for "too large"
            multipart = content_type.lower().startswith(b"multipart/")
            code = "file_too_large" if multipart else "body_too_large"
            message = f"The request body is larger than allowed ({limit:,} bytes at most)."
            return (413, code, message, {"max_bytes": limit})
        return None
