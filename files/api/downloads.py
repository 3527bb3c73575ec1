"""The one way a file's bytes are answered over HTTP: :func:`download_response`.

Every door that serves a file's bytes (the owner's ``GET /api/files/{id}/download``
and the admin's staff download) calls :func:`download_response`, so each answer
carries the same headers: ``attachment`` unless the type is safe inline, ``nosniff``,
a sandboxing CSP, ``ETag`` and ``Cache-Control``. It answers 302 to a presigned URL
in redirect mode (``FILES_DOWNLOAD_REDIRECT``), 304 to a matching ``If-None-Match``,
206/416 to a ``Range``, else 200 with the body streamed from S3. Nothing here
touches S3 itself: the body comes from ``services.file_open`` as a
:class:`~files.storage.BlobStream`, the presigned URL from ``services.file_download_url``.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import unicodedata
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse

from chatui.executors import thread_pool

from .. import services
from ..content_types import is_inline_safe
from ..models import StoredFile
from ..storage import BlobStream

CHUNK_BYTES = 1024 * 1024
READ_AHEAD_CHUNKS = 4  # per response: at most this many MiB wait to be sent
READER_THREADS = 32  # downloads beyond this many at once wait for a reader
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    """The requested range lies outside the file (HTTP 416)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The single byte range a ``Range`` header asks for (inclusive), or None for all.

    Multi-range and malformed headers are ignored (RFC 9110 lets a server answer
    200 with the whole body); a well-formed range past the end is a 416.
    """
    if not header or size == 0:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable
    return start, end


def content_disposition(filename: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII ``filename`` fallback plus ``filename*`` for unicode names."""
    kind = "inline" if inline else "attachment"
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'[^\x20-\x7e]|["\\]', "_", ascii_name).strip() or "file"
    header = f'{kind}; filename="{ascii_name}"'
    if ascii_name != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def etag_header(file: StoredFile) -> str:
    return f'"{file.etag}"' if file.etag else ""


def safety_headers(file: StoredFile) -> dict[str, str]:
    """What every answer about a file's bytes carries (200, 206, 304, 416)."""
    headers = {
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-cache",
    }
    if file.etag:
        headers["ETag"] = etag_header(file)
    return headers


def download_headers(
    file: StoredFile, *, byte_range: tuple[int, int] | None, inline: bool
) -> dict[str, str]:
    """The headers of a 200 or 206 carrying the file's bytes (or ``byte_range`` of them).

    ``Content-Disposition`` is ``attachment`` unless ``inline`` was asked for *and*
    the type is safe to show (raster images, PDF, plain text whose bytes agree).
    """
    length = byte_range[1] - byte_range[0] + 1 if byte_range else file.size
    headers = {
        "Content-Type": file.content_type or "application/octet-stream",
        "Content-Length": str(length),
    }
    if byte_range:
        headers["Content-Range"] = f"bytes {byte_range[0]}-{byte_range[1]}/{file.size}"
    show_inline = inline and is_inline_safe(file.content_type, file.filename)
    headers["Content-Disposition"] = content_disposition(file.filename, inline=show_inline)
    return {**headers, **safety_headers(file)}


def download_response(request: HttpRequest, file: StoredFile, *, inline: bool) -> HttpResponse:
    """The answer to a GET of ``file``'s bytes; the caller has checked who may read it.

    Raises the storage seam's errors (``BlobMissing``, ``StorageUnavailable``) for
    the caller's error handler.
    """
    if settings.FILES_DOWNLOAD_REDIRECT:
        return _redirect(file, inline=inline)
    if file.etag and request.headers.get("If-None-Match") == etag_header(file):
        return _with_headers(HttpResponse(status=304), safety_headers(file))
    try:
        byte_range = parse_range(request.headers.get("Range"), file.size)
    except RangeNotSatisfiable:
        return _range_not_satisfiable(file)
    stream = services.file_open(file=file, byte_range=byte_range)
    response = StreamingHttpResponse(
        body_iterator(request, stream), status=206 if byte_range else 200
    )
    return _with_headers(response, download_headers(file, byte_range=byte_range, inline=inline))


def _redirect(file: StoredFile, *, inline: bool) -> HttpResponse:
    """302 to a presigned URL that makes S3 answer with our disposition and type.

    Cheap: presigning is local HMAC work, no request to S3.
    """
    headers = download_headers(file, byte_range=None, inline=inline)
    url = services.file_download_url(
        file=file,
        content_disposition=headers["Content-Disposition"],
        content_type=headers["Content-Type"],
    )
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "private, no-store"  # the URL is a short-lived credential
    return response


def _range_not_satisfiable(file: StoredFile) -> HttpResponse:
    body = {"code": "range_not_satisfiable", "message": "The requested range is not in the file."}
    response = HttpResponse(json.dumps(body), status=416, content_type="application/json")
    response["Content-Range"] = f"bytes */{file.size}"
    return _with_headers(response, safety_headers(file))


def _with_headers(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for name, value in headers.items():
        response[name] = value
    return response


def body_iterator(
    request: HttpRequest, stream: BlobStream
) -> Iterator[bytes] | AsyncIterator[bytes]:
    """Chunks of the body, async under ASGI.

    Django's ASGI handler turns a *sync* streaming iterator into a list before
    sending it (the whole file in memory); an async iterator is sent chunk by chunk.
    The test client (WSGI-style) wants a sync one. A body of one chunk is read here,
    in the view's thread; a longer one by a reader thread of its own (see
    :func:`read_ahead`).
    """
    if not isinstance(request, ASGIRequest):
        return _sync_chunks(stream)
    if 0 <= stream.length <= CHUNK_BYTES:  # a length below 0: not known ahead
        with stream:
            return _one_chunk(stream.read())
    return read_ahead(stream)


def _sync_chunks(stream: BlobStream) -> Iterator[bytes]:
    try:
        yield from stream.iter_chunks(CHUNK_BYTES)
    finally:
        stream.close()


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def read_ahead(stream: BlobStream) -> AsyncIterator[bytes]:
    """Chunks from a reader thread that stays up to ``READ_AHEAD_CHUNKS`` ahead.

    Reading S3 and writing to the client overlap, and the event loop is woken once
    per MiB; the old way (one executor trip per chunk, read then send, in turn)
    left both sockets idle half the time.
    """
    loop = asyncio.get_running_loop()
    chunks: asyncio.Queue[bytes | BaseException] = asyncio.Queue()
    free_slots = threading.Semaphore(READ_AHEAD_CHUNKS)
    stopped = threading.Event()

    def deliver(item: bytes | BaseException) -> None:
        try:
            loop.call_soon_threadsafe(chunks.put_nowait, item)
        except RuntimeError:  # the loop closed (server shutdown): nobody is listening
            stopped.set()

    def read() -> None:
        try:
            while free_slots.acquire() and not stopped.is_set():
                chunk = stream.read(CHUNK_BYTES)
                deliver(chunk)
                if not chunk:
                    return
        except BaseException as err:  # handed to the response, which re-raises it
            deliver(err)
        finally:
            stream.close()

    thread_pool("download", READER_THREADS).submit(read)
    try:
        while item := await chunks.get():
            if isinstance(item, BaseException):
                raise item
            free_slots.release()
            yield item
    finally:
        stopped.set()
        free_slots.release()  # wake the reader if it waits for room
