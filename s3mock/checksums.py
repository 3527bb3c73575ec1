"""The S3 "flexible checksum" algorithms, as incremental hashers, and how S3 stores them.

CRC32, SHA-1 and SHA-256 come from zlib and hashlib; CRC32C (CRC-32/ISCSI) and
CRC-64/NVME from ``anycrc`` (compiled, table-sliced), which keeps verification cheap
on every body. ``awscrt`` would serve too, but installing it switches botocore, and so
the product's own S3 client, to the CRT signer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable
from typing import Protocol

import anycrc

from .errors import S3Error

ALGORITHMS = ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")
DIGEST_SIZES = {"crc32": 4, "crc32c": 4, "crc64nvme": 8, "sha1": 20, "sha256": 32}
CRC_ALGORITHMS = ("crc32", "crc32c", "crc64nvme")  # the ones with a full-object multipart value
DEFAULT_ALGORITHM = "crc64nvme"  # what S3 computes when the client sends no checksum
FULL_OBJECT, COMPOSITE = "FULL_OBJECT", "COMPOSITE"


class Checksum(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


_CRC32C = anycrc.Model("CRC32-ISCSI")
_CRC64NVME = anycrc.Model("CRC64-NVME")


class _Crc:
    """A CRC kept as an int and extended chunk by chunk (``zlib.crc32``, ``anycrc``)."""

    def __init__(self, step: Callable[[bytes, int], int], size: int) -> None:
        self._step = step
        self._size = size
        self._crc = 0

    def update(self, data: bytes) -> None:
        self._crc = self._step(data, self._crc)

    def digest(self) -> bytes:
        return self._crc.to_bytes(self._size, "big")


def new_checksum(algorithm: str) -> Checksum:
    """A fresh hasher for one of :data:`ALGORITHMS` (lower-case)."""
    if algorithm == "crc32":
        return _Crc(zlib.crc32, 4)
    if algorithm == "crc32c":
        return _Crc(_CRC32C.calc, 4)
    if algorithm == "crc64nvme":
        return _Crc(_CRC64NVME.calc, 8)
    if algorithm in ("sha1", "sha256"):
        return hashlib.new(algorithm)
    raise ValueError(f"unknown checksum algorithm {algorithm!r}")


def composite(algorithm: str, part_digests: list[bytes]) -> str:
    """S3's COMPOSITE multipart checksum: the checksum of the parts' raw checksums, ``-N``."""
    hasher = new_checksum(algorithm)
    for digest in part_digests:
        hasher.update(digest)
    return f"{b64(hasher.digest())}-{len(part_digests)}"


def decode_checksum(algorithm: str, text: str) -> bytes | None:
    """The raw digest from a base64 header value, or None if it is not well formed."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == DIGEST_SIZES[algorithm] else None


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def upload_checksum(algorithm: str | None, checksum_type: str | None) -> tuple[str, str]:
    """Validate CreateMultipartUpload's ``x-amz-checksum-algorithm``/``-type`` the way S3
    does and return (algorithm, type); no algorithm means S3's default, full-object
    CRC64NVME, computed on Complete."""
    algorithm = (algorithm or "").strip().lower()
    checksum_type = (checksum_type or "").strip().upper()
    if not algorithm:
        if checksum_type:
            raise S3Error(
                "InvalidRequest",
                "The x-amz-checksum-type header can only be used with the "
                "x-amz-checksum-algorithm header.",
            )
        return "", ""
    if algorithm not in ALGORITHMS:
        raise S3Error("InvalidRequest", f"Checksum algorithm {algorithm!r} is not supported.")
    if checksum_type not in ("", FULL_OBJECT, COMPOSITE):
        raise S3Error("InvalidRequest", "x-amz-checksum-type must be COMPOSITE or FULL_OBJECT.")
    default = FULL_OBJECT if algorithm == "crc64nvme" else COMPOSITE
    checksum_type = checksum_type or default
    if checksum_type == FULL_OBJECT and algorithm not in CRC_ALGORITHMS:
        raise S3Error(
            "InvalidRequest",
            f"The FULL_OBJECT checksum type cannot be used with the {algorithm} checksum"
            " algorithm.",
        )
    if checksum_type == COMPOSITE and algorithm == "crc64nvme":
        raise S3Error(
            "InvalidRequest",
            "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
        )
    return algorithm, checksum_type


class MultipartChecksum:
    """The object checksum CompleteMultipartUpload stores: COMPOSITE from the parts'
    checksums, FULL_OBJECT by hashing the bytes as the parts are joined."""

    def __init__(self, algorithm: str, checksum_type: str) -> None:
        self.algorithm = algorithm or DEFAULT_ALGORITHM
        self.type = checksum_type or FULL_OBJECT
        self._whole = new_checksum(self.algorithm) if self.type == FULL_OBJECT else None
        self._parts: list[bytes] = []

    def feed(self, data: bytes) -> None:
        if self._whole is not None:
            self._whole.update(data)

    def add_part(self, value: str | None) -> None:
        digest = decode_checksum(self.algorithm, value) if value else None
        if self.type == COMPOSITE and digest is None:
            raise S3Error(
                "InvalidPart",
                f"A part has no {self.algorithm.upper()} checksum, which a COMPOSITE "
                "checksum needs.",
            )
        if digest is not None:
            self._parts.append(digest)

    def result(self) -> dict[str, str]:
        if self._whole is not None:
            value = b64(self._whole.digest())
        else:
            value = composite(self.algorithm, self._parts)
        return {"algorithm": self.algorithm, "value": value, "type": self.type}
