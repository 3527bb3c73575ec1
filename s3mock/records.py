"""The records the store keeps and hands out: objects, their attributes, buckets."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

from . import diskfmt

# Stored and returned as-is: the headers S3 keeps with an object besides metadata.
SYSTEM_HEADERS = (
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
)
DEFAULT_CONTENT_TYPE = "binary/octet-stream"


@dataclass(frozen=True)
class ObjectInfo:
    """What the store knows about one object. ``etag`` is WITHOUT quotes."""

    key: str
    size: int
    etag: str
    last_modified: datetime
    content_type: str = DEFAULT_CONTENT_TYPE
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    version: str = ""  # internal id of this write; the S3 version id when ``versioned``
    parts_count: int | None = None
    versioned: bool = False  # written while versioning was Enabled (else the "null" version)
    delete_marker: bool = False
    seq: int = 0  # write order (ns clock), newest first in a key's version list
    checksum: dict[str, str] | None = None  # {"algorithm": "crc32", "value": b64, "type": ...}
    parts: list[list] | None = None  # multipart: [size, part checksum or None] per part
    acl: str = "private"  # a canned ACL

    @property
    def quoted_etag(self) -> str:
        return f'"{self.etag}"'

    @property
    def version_id(self) -> str:
        """The version id S3 clients see: ``null`` for a write made without versioning."""
        return self.version if self.versioned else "null"

    def to_record(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "mtime": self.last_modified.timestamp(),
            "content_type": self.content_type,
            "metadata": self.metadata,
            "headers": self.headers,
            "tags": self.tags,
            "version": self.version,
            "parts_count": self.parts_count,
            "versioned": self.versioned,
            "delete_marker": self.delete_marker,
            "seq": self.seq,
            "checksum": self.checksum,
            "parts": self.parts,
            "acl": self.acl,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ObjectInfo:
        return cls(
            key=record["key"],
            size=record["size"],
            etag=record["etag"],
            last_modified=datetime.fromtimestamp(record["mtime"], UTC),
            content_type=record["content_type"],
            metadata=record["metadata"],
            headers=record["headers"],
            tags=record["tags"],
            version=record["version"],
            parts_count=record.get("parts_count"),
            versioned=record.get("versioned", False),
            delete_marker=record.get("delete_marker", False),
            seq=record.get("seq", 0),
            checksum=record.get("checksum"),
            parts=record.get("parts"),
            acl=record.get("acl", "private"),
        )


@dataclass(frozen=True)
class ObjectAttrs:
    """What a writer chooses about a new object (everything but bytes, size and ETag)."""

    content_type: str = DEFAULT_CONTENT_TYPE
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    acl: str = "private"  # canned ACL: x-amz-acl on PUT, CreateMultipartUpload, copy


@dataclass(frozen=True)
class BucketInfo:
    name: str
    owner: str
    created: datetime


def next_seq() -> int:
    """A strictly increasing write stamp (the ns clock, bumped past the last one)."""
    global _last_seq
    _last_seq = max(time.time_ns(), _last_seq + 1)
    return _last_seq


_last_seq = 0


def now() -> datetime:
    """The current time at the millisecond precision S3 reports."""
    return datetime.fromtimestamp(round(time.time(), 3), UTC)


def new_version() -> str:
    return os.urandom(8).hex()


class OpenObject:
    """An object opened for reading: the handle pins this version even if replaced."""

    def __init__(self, file: BinaryIO, info: ObjectInfo):
        self.file = file
        self.info = info

    def iter_range(self, start: int, length: int, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        return diskfmt.read_range(self.file, start, length, chunk_size)

    def read_all(self) -> bytes:
        return b"".join(self.iter_range(0, self.info.size))

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> OpenObject:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
