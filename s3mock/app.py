"""The ASGI application: one S3 endpoint plus the original mock's JSON API.

Paths whose first segment is ``files``, ``users`` or ``health`` belong to the
JSON API (those names are refused as bucket names); everything else is S3 and
is authenticated first. Errors become S3 ``<Error>`` documents; an unexpected
exception is logged with its traceback and answered 500 InternalError, so one
bad request never takes the server down.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from . import jsonapi, s3api, s3cors, s3post, xmlio
from .auth import authenticate
from .errors import S3Error
from .hosts import host_allowed
from .http import Response, S3Request
from .store import Store

log = logging.getLogger("s3mock")

JSON_API_SEGMENTS = frozenset({"files", "users", "health"})
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
NO_BODY_STATUSES = (204, 304)


def create_app(
    *,
    data_dir: Path,
    credentials: dict[str, str],
    region: str,
    json_bucket: str,
    allowed_hosts: Iterable[str] = (),
) -> ASGIApp:
    """Open (or create) the store under ``data_dir`` and return the ASGI callable.

    ``credentials`` maps access key to secret; each key is an account, and the
    first one owns ``json_bucket``, which exists from the start so the product
    (and the JSON API) can use it without creating it. Requests are served only
    for loopback ``Host`` names and addresses and those in ``allowed_hosts``.
    """
    if not credentials:
        raise ValueError("s3mock needs at least one ACCESS:SECRET credential pair")
    store = Store(Path(data_dir))
    default_owner = next(iter(credentials))
    store.ensure_bucket(json_bucket, default_owner)
    router = _Router(store, credentials, region, json_bucket, default_owner)
    router.allowed_hosts = frozenset(host.lower() for host in allowed_hosts)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await router.serve(scope, receive, send)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)

    app.store = store  # type: ignore[attr-defined]  # for tests and the command
    return app


class _Router:
    def __init__(
        self,
        store: Store,
        credentials: dict[str, str],
        region: str,
        json_bucket: str,
        default_owner: str,
    ):
        self.store = store
        self.credentials = credentials
        self.region = region
        self.json_bucket = json_bucket
        self.default_owner = default_owner
        self.allowed_hosts: frozenset[str] = frozenset()

    async def serve(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = S3Request.from_scope(scope, receive)
        request_id = os.urandom(8).hex().upper()
        try:
            response = await self.handle(request)
        except S3Error as error:
            response = error_response(error, request, request_id)
        except Exception:  # the one catch-all: log it, answer 500, keep serving
            log.exception("s3mock: unhandled error in %s %s", request.method, request.raw_path)
            error = S3Error("InternalError", "We encountered an internal error. Please try again.")
            response = error_response(error, request, request_id)
        if "origin" in request.headers and request.method != "OPTIONS":
            bucket = _bucket_of(request)
            response.headers += s3cors.actual_request_headers(request, self.store, bucket)
        if _body_may_be_left(request, response):
            response.headers.append(("Connection", "close"))
        await send_response(send, response, request_id, head=request.method == "HEAD")

    async def handle(self, request: S3Request) -> Response:
        first = request.raw_path.lstrip("/").split("/", 1)[0]
        if not host_allowed(request.headers.get("host"), self.allowed_hosts):
            return _foreign_host(request, json_api=first in JSON_API_SEGMENTS)
        if first in JSON_API_SEGMENTS:
            return await self._json_api(request)
        if request.method == "OPTIONS":  # a CORS preflight carries no signature
            return s3cors.preflight(request, self.store, _bucket_of(request))
        if s3post.is_post_object(request) and "/" not in request.path.strip("/"):
            bucket = _bucket_of(request)  # the form's policy signature authorises it
            return await s3post.post_object(
                request, self.store, self.credentials, self.region, bucket
            )
        auth = authenticate(request, self.credentials, region=self.region)
        if inspect.isawaitable(auth):
            auth = await auth
        return await s3api.dispatch(request, self.store, auth, region=self.region)

    async def _json_api(self, request: S3Request) -> Response:
        return await jsonapi.handle(
            request, self.store, bucket=self.json_bucket, default_owner=self.default_owner
        )


def _bucket_of(request: S3Request) -> str:
    try:
        return request.bucket_and_key()[0]
    except UnicodeDecodeError:
        return ""


def _foreign_host(request: S3Request, *, json_api: bool) -> Response:
    """400 for a Host that is neither loopback nor allowed (DNS rebinding), before auth."""
    shown = request.headers.get("host", "")[:200]
    message = (
        f"Host {shown!r} is not served: s3mock answers loopback names and addresses only. "
        "Add the name to S3MOCK_ALLOWED_HOSTS to serve it."
    )
    if json_api:
        return jsonapi.error_response(400, "invalid_host", message)
    raise S3Error("InvalidRequest", message)


def _body_may_be_left(request: S3Request, response: Response) -> bool:
    """Whether unread request bytes could remain on the connection after this response.

    uvicorn does not skip an unread body, so its bytes would be parsed as the next
    request on a kept-alive connection. Closing the connection is always safe; it
    happens only for refused uploads, where a reconnect costs nothing that matters.
    """
    headers = request.headers
    has_body = headers.get("content-length", "0") not in ("", "0") or "transfer-encoding" in headers
    if not has_body:
        return False
    return response.status >= 400 or not request._body_consumed


def error_response(error: S3Error, request: S3Request, request_id: str) -> Response:
    fields = [("Code", error.code), ("Message", error.message)]
    fields.extend(error.extra.items())
    fields.append(("Resource", error.resource or _safe_path(request)))
    fields.append(("RequestId", request_id))
    body = f"{xmlio.DECLARATION}<Error>{xmlio.elements(fields)}</Error>".encode()
    headers = [("Content-Type", "application/xml"), *error.headers]
    if error.code == "InvalidRange" and "ActualObjectSize" in error.extra:
        headers.append(("Content-Range", f"bytes */{error.extra['ActualObjectSize']}"))
    return Response(error.status, headers, body)


def _safe_path(request: S3Request) -> str:
    try:
        return request.path
    except UnicodeDecodeError:
        return request.raw_path


async def send_response(send: Any, response: Response, request_id: str, *, head: bool) -> None:
    """Send status, headers and body; an iterator body is streamed chunk by chunk."""
    headers = [
        (b"x-amz-request-id", request_id.encode()),
        (b"x-amz-id-2", request_id.encode()),
    ]
    headers.extend(
        (name.lower().encode("latin-1"), _header_value(v)) for name, v in response.headers
    )
    body = response.body
    if isinstance(body, bytes):
        if response.status not in NO_BODY_STATUSES and not _has(headers, b"content-length"):
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})
        return
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if head:
        await _close(body)
        await send({"type": "http.response.body", "body": b""})
        return
    await _stream_body(send, body)


async def _stream_body(send: Any, body: Any) -> None:
    try:
        async for chunk in body:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except Exception:  # headers are gone: all we can do is log and cut the response short
        log.exception("s3mock: error while streaming a response body")
        return
    finally:
        await _close(body)
    await send({"type": "http.response.body", "body": b""})


async def _close(body: Any) -> None:
    """Close an async generator body so its ``finally`` (closing the file) runs now."""
    close = getattr(body, "aclose", None)
    if close is not None:
        await close()


def _header_value(value: str) -> bytes:
    """Header values are latin-1 on the wire; anything else goes out as UTF-8 bytes."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _has(headers: list[tuple[bytes, bytes]], name: bytes) -> bool:
    return any(n == name for n, _ in headers)


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
