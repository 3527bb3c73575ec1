"""The S3 "flexible checksum" algorithms, as incremental hashers.

CRC32, SHA-1 and SHA-256 come from zlib and hashlib. CRC32C and CRC64/NVME are
not in the standard library and the CRT bindings are not installed, so they are
table-driven pure Python here: slow on large bodies, but only clients that
explicitly choose them (or use the CRT) send them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from typing import Protocol

ALGORITHMS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")
DIGEST_SIZES = {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}


class Checksum(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


def _reflected_table(poly: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C_TABLE = _reflected_table(0x82F63B78)
_CRC64NVME_TABLE = _reflected_table(0x9A6C9329AC4BC9B5)


class _ReflectedCrc:
    """A reflected CRC with init and xor-out of all ones (both CRC32C and CRC64/NVME)."""

    def __init__(self, table: tuple[int, ...], width: int) -> None:
        self._table = table
        self._mask = (1 << width) - 1
        self._width = width
        self._crc = self._mask

    def update(self, data: bytes) -> None:
        crc, table = self._crc, self._table
        for byte in data:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self._crc = crc

    def digest(self) -> bytes:
        return (self._crc ^ self._mask).to_bytes(self._width // 8, "big")


class _Crc32:
    def __init__(self) -> None:
        self._crc = 0

    def update(self, data: bytes) -> None:
        self._crc = zlib.crc32(data, self._crc)

    def digest(self) -> bytes:
        return self._crc.to_bytes(4, "big")


def new_checksum(algorithm: str) -> Checksum:
    """A fresh hasher for one of :data:`ALGORITHMS` (lower-case)."""
    if algorithm == "crc32":
        return _Crc32()
    if algorithm == "crc32c":
        return _ReflectedCrc(_CRC32C_TABLE, 32)
    if algorithm == "crc64nvme":
        return _ReflectedCrc(_CRC64NVME_TABLE, 64)
    if algorithm in ("sha1", "sha256"):
        return hashlib.new(algorithm)
    raise ValueError(f"unknown checksum algorithm {algorithm!r}")


def decode_checksum(algorithm: str, text: str) -> bytes | None:
    """The raw digest from a base64 header value, or None if it is not well formed."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == DIGEST_SIZES[algorithm] else None


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")
