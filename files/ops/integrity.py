"""Checks of one file against its blob, for the admin and ``files_reconcile``.

Both read the blob as a stream: verifying a 5 GB file costs 1 MiB of memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .. import storage
from ..content_types import SNIFF_BYTES, categorize, sniff_content_type
from ..models import StoredFile
from ..services import file_open

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    problem: str  # "" | "missing" | "size" | "checksum"
    detail: str


def blob_sha256(key: str) -> str:
    """The sha256 of the object's bytes, streamed (never the whole object in memory)."""
    digest = hashlib.sha256()
    with storage.open_stream(key) as stream:
        for chunk in stream.iter_chunks(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def file_verify(*, file: StoredFile) -> VerifyResult:
    """Does the blob exist, with the row's size and sha256? (Raises StorageUnavailable.)"""
    info = storage.head(file.key)
    if info is None:
        return VerifyResult(False, "missing", "the blob is missing from storage")
    if info.size != file.size:
        return VerifyResult(False, "size", f"the blob has {info.size} bytes, the row {file.size}")
    if file.checksum:
        actual = blob_sha256(file.key)
        if actual != file.checksum:
            return VerifyResult(
                False, "checksum", f"sha256 is {actual[:12]}…, not {file.checksum[:12]}…"
            )
    return VerifyResult(True, "", "blob present, size and sha256 match")


def file_resniff(*, file: StoredFile) -> bool:
    """Sniff the content type again from the first bytes; returns True when it changed."""
    if file.size == 0:
        head = b""
    else:
        with file_open(file=file, byte_range=(0, min(file.size, SNIFF_BYTES) - 1)) as stream:
            head = stream.read()
    # The stored type is the hint: it only counts when the bytes say nothing.
    complete = file.size <= SNIFF_BYTES
    content_type = sniff_content_type(head, file.filename, file.content_type, complete=complete)
    category = categorize(file.filename, content_type)
    if (content_type, category) == (file.content_type, file.category):
        return False
    file.content_type, file.category = content_type, category
    file.save(update_fields=["content_type", "category"])
    return True
