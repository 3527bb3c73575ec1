"""Object I/O: read, stat, presign and delete one object, and the single PutObject.

Reads stream the ``GetObject`` body (:class:`BlobStream`) instead of using
django-storages' ``S3File``, which downloads the whole object into a temporary
file before the first ``read()``. Writes are not made here: every write goes
through :class:`files.storage.multipart.BlobWriter`, which calls
:func:`put_object` for a small body and a multipart upload for a large one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chatui.errors import StorageUnavailable

from .backend import PRESIGN_SECONDS, BlobMissing, bucket_name, client, get_storage, translated

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BlobInfo:
    """What S3 stored: size, ETag (without quotes), type, and the sha256 we computed
    while writing (empty when the object was only looked at, not written)."""

    key: str
    size: int
    etag: str
    content_type: str = ""
    sha256: str = ""


def put_object(key: str, data: bytes, *, content_type: str) -> BlobInfo:
    """One PutObject for a body in memory (``BlobWriter`` calls it for small bodies).

    ``If-None-Match: *`` keeps the never-overwrite guarantee atomically where the
    endpoint supports conditional writes.
    """
    with translated(key):
        response = client().put_object(
            Bucket=bucket_name(), Key=key, Body=data, ContentType=content_type, IfNoneMatch="*"
        )
    etag = str(response.get("ETag", "")).strip('"')
    return BlobInfo(key=key, size=len(data), etag=etag, content_type=content_type)


def delete(key: str) -> None:
    """Remove the object; a missing object is already deleted, which is fine."""
    with translated(key):
        client().delete_object(Bucket=bucket_name(), Key=key)


def delete_quietly(key: str) -> bool:
    """Best-effort cleanup on an error path; returns False (and logs) when it failed."""
    try:
        delete(key)
    except StorageUnavailable:
        logger.error("orphan blob left behind key=%s (files_reconcile will remove it)", key)
        return False
    return True


def head(key: str) -> BlobInfo | None:
    """Size, ETag and type of the object, or None when it does not exist."""
    try:
        with translated(key):
            meta = client().head_object(Bucket=bucket_name(), Key=key)
    except BlobMissing:
        return None
    return BlobInfo(
        key=key,
        size=int(meta.get("ContentLength", 0)),
        etag=str(meta.get("ETag", "")).strip('"'),
        content_type=str(meta.get("ContentType", "")),
    )


def exists(key: str) -> bool:
    return head(key) is not None


class BlobStream:
    """A read-only, forward-only stream over an object's body; always close it."""

    def __init__(self, key: str, body: Any, length: int, content_range: str) -> None:
        self.key = key
        self.length = length
        self.content_range = content_range
        self._body = body

    def read(self, size: int = -1) -> bytes:
        with translated(self.key):
            return self._body.read(None if size is None or size < 0 else size)

    def iter_chunks(self, chunk_size: int) -> Iterator[bytes]:
        while chunk := self.read(chunk_size):
            yield chunk

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> BlobStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_stream(key: str, *, byte_range: tuple[int, int] | None = None) -> BlobStream:
    """Start a GetObject and return its body unread (``byte_range`` is inclusive)."""
    params: dict[str, Any] = {"Bucket": bucket_name(), "Key": key}
    if byte_range is not None:
        params["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
    with translated(key):
        response = client().get_object(**params)
    return BlobStream(
        key,
        response["Body"],
        int(response.get("ContentLength", 0)),
        str(response.get("ContentRange", "")),
    )


def presigned_url(
    key: str, *, content_disposition: str, content_type: str, expires: int = PRESIGN_SECONDS
) -> str:
    """A short-lived GET URL that makes S3 answer with our Content-Disposition/Type."""
    parameters = {
        "ResponseContentDisposition": content_disposition,
        "ResponseContentType": content_type,
    }
    with translated(key):
        return get_storage().url(key, parameters=parameters, expire=expires)
