"""Upload request bodies that bypass Django's spooling, for ``POST /api/files`` multipart.

Django's ``ASGIHandler`` reads every request body whole into a temporary file before
any middleware or view runs, so an oversized upload was fully received before the
413, and a big one was written to disk, parsed into a second temporary file and
read a third time for S3. :class:`StreamingUploadASGIHandler` leaves the body of
the routes in ``STREAMED_ROUTES`` unread and hands the view a
:class:`RequestBodyStream` instead (``streamed_body(request)``). Everything else is
Django's own path: middleware, DRF authentication (session + CSRF header, or token),
permissions and the error handler run exactly as for any other request, so the view
can refuse by ``Content-Length`` before a byte of the body is read.

The view runs in a worker thread; :meth:`RequestBodyStream.read_sync` brings it the
body in batches of about a MiB (one trip to the event loop per batch, not per
64 KiB ASGI message).

This relies on Django's ``ASGIHandler.handle`` reading the body through
``self.read_body(receive)`` and building the request with
``self.create_request(scope, body_file)``;
``files/tests/test_asgi_upload.py::test_djangos_asgi_handler_still_reads_bodies_through_the_hooks_we_override``
fails if a Django upgrade changes that.
"""

from __future__ import annotations

import asyncio
import tempfile
from typing import Any

from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.http import HttpRequest, QueryDict
from django.urls import Resolver404, resolve
from django.utils.datastructures import MultiValueDict

from chatui.errors import InvalidInput

BODY_STREAM_KEY = "chatui.body_stream"
STREAMED_ROUTES = {("POST", "files:list"), ("POST", "files:versions")}  # uploads, new versions
CONNECTION_CLOSE = (b"connection", b"close")
RESPONSE_CHUNK_BYTES = 1024 * 1024  # Django's default of 64 KiB means 16 sends per MiB


class RequestBodyStream:
    """The unread body of one request, as the ASGI server delivers it."""

    def __init__(self, receive: Any) -> None:
        self._receive = receive
        self._finished = asyncio.Event()
        self._disconnected = False
        self.received = 0

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    async def read(self, size: int) -> bytes:
        """At least ``size`` bytes unless the body ends first; ``b""`` at the end."""
        parts: list[bytes] = []
        gathered = 0
        while gathered < size and not self._finished.is_set():
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._disconnected = True
                self._finished.set()
                raise InvalidInput("The client went away before the upload finished.")
            if not message.get("more_body", False):
                self._finished.set()
            chunk = message.get("body", b"")
            parts.append(chunk)
            gathered += len(chunk)
        self.received += gathered
        return b"".join(parts)

    def read_sync(self, size: int) -> bytes:
        """:meth:`read` from the view's worker thread (one event-loop trip per call,
        none once the body has ended)."""
        if self.finished:
            return b""
        return async_to_sync(self.read)(size)

    async def receive_after_body(self) -> dict[str, Any]:
        """What Django's disconnect listener gets: nothing until the view has the body."""
        await self._finished.wait()
        if self._disconnected:
            return {"type": "http.disconnect"}
        return await self._receive()


def request_body(request: HttpRequest) -> RequestBodyStream:
    """The unread ASGI body of a streamed route, to parse while it arrives. Every
    multipart POST to a streamed route is streamed (:func:`_is_streamed`); a request
    that reached the view another way (Django's test client, WSGI) is refused, not
    parsed on a second path: tests drive the ASGI application
    (``chatui.testing.asgi.asgi_post``)."""
    stream = request.scope.get(BODY_STREAM_KEY) if isinstance(request, ASGIRequest) else None
    if stream is None:
        raise InvalidInput("Uploads are accepted only through the ASGI application.")
    return stream


def _is_streamed(scope: dict[str, Any]) -> bool:
    if scope["type"] != "http":
        return False
    content_type = dict(scope.get("headers") or ()).get(b"content-type", b"")
    if not content_type.lower().startswith(b"multipart/form-data"):
        return False
    try:
        match = resolve(scope["path"])
    except Resolver404:
        return False
    return (scope["method"], match.view_name) in STREAMED_ROUTES


class _BodyAfterView:
    """The ``receive`` Django gets for a streamed request (marks it for read_body)."""

    def __init__(self, body: RequestBodyStream) -> None:
        self.body = body

    async def __call__(self) -> dict[str, Any]:
        return await self.body.receive_after_body()


class StreamingUploadASGIHandler(ASGIHandler):
    """Django's ASGI handler, except that streamed routes get their body unread."""

    chunk_size = RESPONSE_CHUNK_BYTES

    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not _is_streamed(scope):
            await super().handle(scope, receive, send)
            return
        body = RequestBodyStream(receive)

        async def send_closing_unread(message: dict[str, Any]) -> None:
            # An answer before the body ends (413, 400, 503) closes the connection:
            # otherwise the server would go on receiving the rest only to drop it.
            if message["type"] == "http.response.start" and not body.finished:
                message = {**message, "headers": [*message["headers"], CONNECTION_CLOSE]}
            await send(message)

        streamed_scope = {**scope, BODY_STREAM_KEY: body}
        await super().handle(streamed_scope, _BodyAfterView(body), send_closing_unread)

    async def read_body(self, receive: Any) -> Any:
        if isinstance(receive, _BodyAfterView):
            return tempfile.SpooledTemporaryFile(max_size=1, mode="w+b")  # left empty
        return await super().read_body(receive)

    def create_request(self, scope: dict[str, Any], body_file: Any) -> Any:
        request, error_response = super().create_request(scope, body_file)
        if request is not None and BODY_STREAM_KEY in scope:
            # Nothing may parse this body behind the view's back: CSRF checks read
            # request.POST (empty, so the X-CSRFToken header decides) and DRF sees a
            # request whose form data was already taken.
            request._post, request._files = QueryDict(), MultiValueDict()
            request._read_started = True
        return request, error_response
