"""Every write to S3 goes through :class:`BlobWriter`: bytes in, one object out.

A writer holds the first ``SINGLE_PUT_MAX_BYTES`` it is given. If the body ends
there it is sent in one PutObject (:func:`~files.storage.objects.put_object`),
its sha256 worked out while the request is on the wire; a longer body leaves as
an S3 multipart upload (:class:`MultipartWriter`) part by part while it arrives,
so memory stays at a few parts whatever the size. Uploads (``files.services``),
``storage_check``, the listing-order probe and the tests all write this one way;
:func:`put_bytes` is the writer for a body already in memory.

The content type is asked of the caller once the head is known (``content_type_of``
gets the bytes held so far and whether they are the whole body), so an upload can
sniff it from the bytes themselves.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import Any

from chatui.errors import StorageUnavailable
from chatui.executors import thread_pool

from .backend import BlobMissing, bucket_name, client, translated
from .objects import BlobInfo, put_object

logger = logging.getLogger(__name__)

MULTIPART_CHUNK_BYTES = 8 * 1024 * 1024
SINGLE_PUT_MAX_BYTES = MULTIPART_CHUNK_BYTES  # bodies this small are sent in one PutObject
PART_UPLOADS_IN_FLIGHT = 1  # per MultipartWriter, while the next part fills
IO_THREADS = 8

ContentTypeOf = Callable[[bytes, bool], str]  # (head, head is the whole body) -> type


class BlobWriter:
    """Writes one object from chunks: ``write`` as bytes arrive, then ``close``.

    ``close`` returns the stored object's :class:`BlobInfo` with the sha256 of
    every byte written. On any failure before ``close`` returns, call ``abort`` so
    no multipart parts linger (invisible, but billed). Use it as a context manager
    to have that done.
    """

    def __init__(self, key: str, *, content_type_of: ContentTypeOf) -> None:
        self.key = key
        self.size = 0
        self.content_type = ""
        self._content_type_of = content_type_of
        self._sha256 = hashlib.sha256()
        self._head = bytearray()  # held until it passes SINGLE_PUT_MAX_BYTES
        self._multipart: MultipartWriter | None = None
        self._closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.size += len(data)
        if self._multipart is not None:
            self._sha256.update(data)
            self._multipart.write(data)
            return
        self._head += data  # hashed when it leaves (_start_multipart, close)
        if len(self._head) > SINGLE_PUT_MAX_BYTES:
            self._start_multipart()

    def close(self) -> BlobInfo:
        """Send what is held and finish the object; returns what S3 stored."""
        info = self._multipart.close() if self._multipart is not None else self._put_held()
        self._closed = True
        return BlobInfo(
            key=info.key,
            size=info.size,
            etag=info.etag,
            content_type=self.content_type,
            sha256=self._sha256.hexdigest(),
        )

    def abort(self) -> None:
        """Drop the parts already sent (a finished object is the caller's business)."""
        if self._multipart is not None and not self._closed:
            self._multipart.abort()

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is not None:
            self.abort()

    def _start_multipart(self) -> None:
        head = bytes(self._head)
        self._head = bytearray()
        self.content_type = self._content_type_of(head, False)
        self._multipart = MultipartWriter(self.key, content_type=self.content_type)
        self._sha256.update(head)
        self._multipart.write(head)

    def _put_held(self) -> BlobInfo:
        body, self._head = bytes(self._head), bytearray()
        self.content_type = self._content_type_of(body, True)
        # hashlib lets go of the GIL on big buffers and the PUT mostly waits on S3:
        # the checksum is worked out while the request is on the wire.
        hashing = thread_pool("s3-io", IO_THREADS).submit(self._sha256.update, body)
        try:
            return put_object(self.key, body, content_type=self.content_type)
        finally:
            hashing.result()


def put_bytes(key: str, data: bytes, *, content_type: str) -> BlobInfo:
    """Store ``data`` under ``key`` through a :class:`BlobWriter` (one PutObject when small)."""
    with BlobWriter(key, content_type_of=lambda _head, _whole: content_type) as writer:
        writer.write(data)
        return writer.close()


class MultipartWriter:
    """Writes one object as an S3 multipart upload from chunks, with bounded memory.

    ``write`` buffers at most one part; each full part is sent from a small shared
    thread pool while the caller keeps writing, with at most
    ``PART_UPLOADS_IN_FLIGHT`` parts in flight (so a writer holds about two parts
    of memory, whatever the object's size). ``close`` sends the last part and
    completes the upload; on any failure the caller must ``abort`` so no parts
    linger in the bucket (invisible, but billed).
    """

    def __init__(self, key: str, *, content_type: str, part_bytes: int = MULTIPART_CHUNK_BYTES):
        self.key = key
        self.content_type = content_type
        self.part_bytes = part_bytes
        self.size = 0
        self._buffer = bytearray()
        self._upload_id = ""
        self._parts: list[Future[dict[str, Any]]] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= self.part_bytes:
            with memoryview(self._buffer) as view:
                part = bytes(view[: self.part_bytes])  # the one copy a part costs
            del self._buffer[: self.part_bytes]
            self._send(part)

    def close(self) -> BlobInfo:
        if self._buffer or not self._parts:
            self._send(bytes(self._buffer))
            self._buffer = bytearray()
        parts = [future.result() for future in self._parts]
        with translated(self.key):
            response = client().complete_multipart_upload(
                Bucket=bucket_name(),
                Key=self.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",  # never overwrite, where the endpoint supports it
            )
        etag = str(response.get("ETag", "")).strip('"')
        return BlobInfo(key=self.key, size=self.size, etag=etag, content_type=self.content_type)

    def abort(self) -> None:
        """Stop the parts still queued, wait for those running, drop the upload."""
        for future in self._parts:
            future.cancel()
        wait(self._parts)
        if self._upload_id:
            try:
                with translated(self.key):
                    client().abort_multipart_upload(
                        Bucket=bucket_name(), Key=self.key, UploadId=self._upload_id
                    )
            except BlobMissing:
                pass  # the endpoint already forgot it (NoSuchUpload)
            except StorageUnavailable:
                logger.error("multipart upload left open key=%s", self.key)

    def _send(self, part: bytes) -> None:
        if not self._upload_id:
            with translated(self.key):
                created = client().create_multipart_upload(
                    Bucket=bucket_name(), Key=self.key, ContentType=self.content_type
                )
            self._upload_id = created["UploadId"]
        if len(self._parts) >= PART_UPLOADS_IN_FLIGHT:
            self._parts[-PART_UPLOADS_IN_FLIGHT].result()  # raises a failed part's error now
        number = len(self._parts) + 1
        self._parts.append(thread_pool("s3-io", IO_THREADS).submit(self._upload_part, number, part))

    def _upload_part(self, number: int, part: bytes) -> dict[str, Any]:
        with translated(self.key):
            response = client().upload_part(
                Bucket=bucket_name(),
                Key=self.key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=part,
            )
        return {"PartNumber": number, "ETag": response["ETag"]}
