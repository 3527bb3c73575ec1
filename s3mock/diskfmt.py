"""The on-disk format of one stored object (or multipart part).

An object is ONE file: the bytes, then a JSON record, then a 16-byte trailer
(the record's length and a magic). Putting the record after the bytes lets a PUT
stream straight into a temporary file and only write the record (ETag, size) once
the body has ended; keeping both in one file means a single ``os.replace`` makes
the new version visible, so a reader never sees new bytes with old metadata and a
killed writer leaves only an ignored ``.tmp-*`` file behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import struct
from typing import Any, BinaryIO

MAGIC = b"S3MOBJ01"
TRAILER = struct.Struct(">Q8s")  # record length, magic
TMP_PREFIX = ".tmp-"


class CorruptObjectFile(ValueError):
    """A file in the store that does not end with a valid record."""


StrPath = str | os.PathLike[str]


def temp_path(directory: StrPath) -> str:
    # plain strings, not pathlib: this runs on every PUT and Path joins cost more
    return os.path.join(directory, f"{TMP_PREFIX}{secrets.token_hex(8)}")


def unlink_quietly(path: StrPath) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class ObjectWriter:
    """Streams bytes into a temporary file beside the target; ``finish`` then ``publish``."""

    def __init__(self, directory: StrPath, *, compute_md5: bool = True, fsync: bool = False):
        self.path = temp_path(directory)
        self.size = 0
        self.md5 = hashlib.md5(usedforsecurity=False) if compute_md5 else None
        self._fsync = fsync
        self._file: BinaryIO | None = open(self.path, "xb")  # noqa: SIM115 (closed in finish/discard)

    def write(self, chunk: bytes) -> None:
        assert self._file is not None
        self._file.write(chunk)
        self.size += len(chunk)
        if self.md5 is not None:
            self.md5.update(chunk)

    def copy_from(self, source: BinaryIO, offset: int, length: int) -> None:
        """Append ``length`` bytes of ``source`` starting at ``offset`` (copy, multipart)."""
        for chunk in read_range(source, offset, length):
            self.write(chunk)

    def finish(self, record: dict[str, Any]) -> None:
        """Append the record; the file is complete but not yet visible."""
        assert self._file is not None
        encoded = json.dumps(record, separators=(",", ":")).encode()
        self._file.write(encoded)
        self._file.write(TRAILER.pack(len(encoded), MAGIC))
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())
        self._file.close()
        self._file = None

    def publish(self, target: StrPath) -> None:
        """Atomically replace ``target`` with the finished file."""
        os.replace(self.path, target)

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        unlink_quietly(self.path)


def read_record(file: BinaryIO) -> tuple[dict[str, Any], int]:
    """Return (record, length of the data section) of an open object file."""
    total = os.fstat(file.fileno()).st_size
    if total < TRAILER.size:
        raise CorruptObjectFile("file shorter than its trailer")
    file.seek(total - TRAILER.size)
    length, magic = TRAILER.unpack(file.read(TRAILER.size))
    data_size = total - TRAILER.size - length
    if magic != MAGIC or data_size < 0:
        raise CorruptObjectFile("bad trailer")
    file.seek(data_size)
    try:
        record = json.loads(file.read(length))
    except ValueError as exc:
        raise CorruptObjectFile("bad record") from exc
    if record.get("size") != data_size:
        raise CorruptObjectFile("record size does not match the data")
    return record, data_size


def read_range(file: BinaryIO, offset: int, length: int, chunk_size: int = 1 << 20):
    """Yield ``length`` bytes from ``offset`` in chunks of at most ``chunk_size``."""
    file.seek(offset)
    remaining = length
    while remaining > 0:
        chunk = file.read(min(chunk_size, remaining))
        if not chunk:
            raise CorruptObjectFile("file ended early")
        remaining -= len(chunk)
        yield chunk


def write_json_atomic(target: StrPath, value: Any, *, fsync: bool = False) -> None:
    tmp = temp_path(os.path.dirname(target))
    try:
        with open(tmp, "xb") as file:
            file.write(json.dumps(value, separators=(",", ":")).encode())
            if fsync:
                file.flush()
                os.fsync(file.fileno())
        os.replace(tmp, target)
    except BaseException:
        unlink_quietly(tmp)
        raise
