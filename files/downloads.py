"""HTTP pieces of a download: Range parsing, Content-Disposition, the streamed body.

Kept apart from the API views so each stays a screenful. Nothing here touches S3:
the body comes from ``services.file_open`` as a :class:`~files.storage.BlobStream`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest

from .storage import BlobStream

CHUNK_BYTES = 1024 * 1024  # one thread hop per MiB; memory stays flat
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


def body_iterator(
    request: HttpRequest, stream: BlobStream
) -> Iterator[bytes] | AsyncIterator[bytes]:
    """Chunks of the body, async under ASGI.

    Django's ASGI handler turns a *sync* streaming iterator into a list before
    sending it (the whole file in memory); an async iterator is sent chunk by chunk.
    The test client (WSGI-style) wants a sync one.
    """
    if isinstance(request, ASGIRequest):
        return _async_chunks(stream)
    return _sync_chunks(stream)


def _sync_chunks(stream: BlobStream) -> Iterator[bytes]:
    try:
        yield from stream.iter_chunks(CHUNK_BYTES)
    finally:
        stream.close()


async def _async_chunks(stream: BlobStream) -> AsyncIterator[bytes]:
    read = sync_to_async(stream.read, thread_sensitive=False)
    try:
        while chunk := await read(CHUNK_BYTES):
            yield chunk
    finally:
        await sync_to_async(stream.close, thread_sensitive=False)()
