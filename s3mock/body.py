"""Decode and verify a request body while it streams to disk.

The handler writes the decoded bytes to a temp file and commits only after a clean
iteration, so every check may fail late: a signed chunk is verified when it ends,
a whole-body digest when the body ends. What boto3 1.40 sends by default:

* over plain HTTP, ``put_object``/``upload_part`` (and so ``upload_fileobj`` and
  django-storages' ``save``) send the body as is, ``x-amz-content-sha256`` = hex
  sha256 of it, and ``x-amz-checksum-crc32`` (flexible checksums, CRC32 default);
* over HTTPS the same calls switch to ``aws-chunked`` with
  ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` and a trailing ``x-amz-checksum-crc32``;
* ``payload_signing_enabled=False`` gives ``UNSIGNED-PAYLOAD`` plus the CRC32 header;
* ``request_checksum_calculation="when_required"`` drops the CRC32 header;
* ``DeleteObjects`` (checksum required) sends ``x-amz-checksum-crc32`` on its XML.

Signed streaming (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]``) comes from other
SDKs (Java, Go, the AWS CLI's CRT path); it is verified chunk by chunk.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass

from .auth import UNSIGNED_PAYLOAD, AuthContext
from .checksums import ALGORITHMS, FULL_OBJECT, Checksum, b64, decode_checksum, new_checksum
from .errors import S3Error
from .http import S3Request

STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_MODES = (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_CHUNK_LINE = 4096
MAX_CHUNK_SIZE = 1 << 40
NOT_CHECKSUM_HEADERS = ("x-amz-checksum-algorithm", "x-amz-checksum-type", "x-amz-checksum-mode")


@dataclass
class _Expectation:
    """A digest the client announced, compared with ours when the body ends."""

    name: str  # "x-amz-checksum-crc32", "x-amz-content-sha256"
    algorithm: str
    hasher: Checksum
    expected: bytes | None  # None until a trailer supplies it

    def mismatch(self) -> S3Error | None:
        actual = self.hasher.digest()
        if self.expected is None:
            return S3Error("InvalidRequest", f"The trailer {self.name} was declared but not sent")
        if hmac.compare_digest(actual, self.expected):
            return None
        if self.name == "x-amz-content-sha256":
            return S3Error(
                "XAmzContentSHA256Mismatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                ClientComputedContentSHA256=self.expected.hex(),
                S3ComputedContentSHA256=actual.hex(),
            )
        return S3Error(
            "BadDigest",
            f"The {self.algorithm.upper()} you specified did not match the calculated checksum.",
        )


class VerifiedBody:
    """The decoded body as an async iterable; raises S3Error if anything is off.

    After a clean iteration ``md5`` (for the ETag), ``size`` and ``checksums``
    (algorithm -> base64 of every verified flexible checksum) are final.
    """

    def __init__(
        self,
        request: S3Request,
        auth: AuthContext,
        default_algorithm: str | None = None,
        *,
        object_checksums: bool = False,
    ) -> None:
        self.md5 = hashlib.md5()  # noqa: S324 - the S3 ETag is an MD5 by definition
        self.size = 0
        self._request = request
        self._auth = auth
        headers = request.headers
        self._mode = _payload_mode(auth.content_sha256 or UNSIGNED_PAYLOAD)
        self._content_md5 = _content_md5(headers.get("content-md5"))
        self._expectations = _header_expectations(headers, self._mode, object_checksums)
        self._trailers = _trailer_expectations(headers, self._mode)
        self._decoded_length = _decoded_length(headers, self._mode)
        sent = [e for e in (*self._expectations, *self._trailers) if e.algorithm in ALGORITHMS]
        self.sent_algorithm = sent[0].algorithm if sent else None
        self._computed = None if sent or not default_algorithm else default_algorithm
        self._computed_hasher = new_checksum(default_algorithm) if self._computed else None
        if self._mode in (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER) and not auth.signing_key:
            raise S3Error("InvalidRequest", f"{self._mode} needs SigV4 header authentication")
        self._started = False

    def stored_checksum(self) -> dict[str, str] | None:
        """The checksum S3 keeps with the object: the one the client sent (verified), else
        the default one computed here; valid once iteration has ended."""
        if self.sent_algorithm is not None:
            value = self.checksums[self.sent_algorithm]
            return {"algorithm": self.sent_algorithm, "value": value, "type": FULL_OBJECT}
        if self._computed_hasher is None or self._computed is None:
            return None
        value = b64(self._computed_hasher.digest())
        return {"algorithm": self._computed, "value": value, "type": FULL_OBJECT}

    @property
    def checksums(self) -> dict[str, str]:
        found = [*self._expectations, *self._trailers]
        return {e.algorithm: b64(e.hasher.digest()) for e in found if e.algorithm in ALGORITHMS}

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self._started:
            raise S3Error("InternalError", "the request body was read twice")
        self._started = True
        return self._iterate()

    async def read(self, limit: int) -> bytes:
        """The whole decoded body, for small XML documents; larger is an error."""
        parts: list[bytes] = []
        async for piece in self:
            parts.append(piece)
            if self.size > limit:
                raise S3Error(
                    "MaxMessageLengthExceeded",
                    f"Your request was too big; the limit is {limit} bytes.",
                )
        return b"".join(parts)

    async def _iterate(self) -> AsyncIterator[bytes]:
        raw = self._request.raw_body()
        if self._mode in STREAMING_MODES:
            decoder = _ChunkDecoder(raw, self._auth, self._mode, self._trailers)
            pieces = decoder.pieces()
        else:
            pieces = raw
        async for piece in pieces:
            self._update(piece)
            yield piece
        self._finish()

    def _update(self, piece: bytes) -> None:
        self.md5.update(piece)
        self.size += len(piece)
        for expectation in self._expectations:
            expectation.hasher.update(piece)
        for expectation in self._trailers:
            expectation.hasher.update(piece)
        if self._computed_hasher is not None:
            self._computed_hasher.update(piece)

    def _finish(self) -> None:
        if self._decoded_length is not None and self._decoded_length != self.size:
            raise S3Error(
                "IncompleteBody",
                f"x-amz-decoded-content-length is {self._decoded_length}"
                f" but the decoded body has {self.size} bytes",
            )
        if self._content_md5 is not None and self._content_md5 != self.md5.digest():
            raise S3Error(
                "BadDigest", "The Content-MD5 you specified did not match what we received."
            )
        for expectation in [*self._expectations, *self._trailers]:
            error = expectation.mismatch()
            if error is not None:
                raise error


def request_body(
    request: S3Request,
    auth: AuthContext,
    default_algorithm: str | None = None,
    *,
    object_checksums: bool = False,
) -> VerifiedBody:
    """Wrap the request's body; header errors (bad digests, modes) raise at once.

    ``default_algorithm`` is computed too when the client sends no flexible checksum.
    """
    return VerifiedBody(request, auth, default_algorithm, object_checksums=object_checksums)


# --- header parsing -----------------------------------------------------------------


def _payload_mode(value: str) -> str:
    if value == UNSIGNED_PAYLOAD or value in STREAMING_MODES:
        return value
    if len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    if value.startswith("STREAMING-AWS4-ECDSA"):
        raise S3Error("NotImplemented", "SigV4a (ECDSA) streaming signatures are not supported")
    raise S3Error(
        "InvalidArgument",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER,"
        " STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
        " or a valid sha256 value.",
    )


def _content_md5(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.")
    return digest


def _header_expectations(
    headers: dict[str, str], mode: str, object_checksums: bool = False
) -> list[_Expectation]:
    """``object_checksums``: the x-amz-checksum-* headers describe the object being made
    (CompleteMultipartUpload), not this body, so only the payload hash applies."""
    found: list[_Expectation] = []
    if mode not in STREAMING_MODES and mode != UNSIGNED_PAYLOAD:
        digest = bytes.fromhex(mode)
        found.append(_Expectation("x-amz-content-sha256", "", new_checksum("sha256"), digest))
    if object_checksums:
        return found
    checksum_headers = [
        name
        for name in headers
        if name.startswith("x-amz-checksum-") and name not in NOT_CHECKSUM_HEADERS
    ]
    if len(checksum_headers) > 1:
        raise S3Error(
            "InvalidRequest",
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        )
    for name in checksum_headers:
        algorithm = _algorithm_of(name)
        digest = decode_checksum(algorithm, headers[name])
        if digest is None:
            raise S3Error("InvalidRequest", f"Value for {name} header is invalid.")
        found.append(_Expectation(name, algorithm, new_checksum(algorithm), digest))
    return found


def _trailer_expectations(headers: dict[str, str], mode: str) -> list[_Expectation]:
    declared = [n.strip().lower() for n in headers.get("x-amz-trailer", "").split(",") if n.strip()]
    if mode not in (STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER):
        if declared:
            raise S3Error("InvalidRequest", f"x-amz-trailer needs a -TRAILER payload, not {mode}")
        return []
    if not declared:
        raise S3Error("InvalidRequest", f"{mode} requires the x-amz-trailer header")
    return [
        _Expectation(n, _algorithm_of(n), new_checksum(_algorithm_of(n)), None) for n in declared
    ]


def _algorithm_of(name: str) -> str:
    algorithm = name.removeprefix("x-amz-checksum-")
    if not name.startswith("x-amz-checksum-") or algorithm not in ALGORITHMS:
        raise S3Error(
            "InvalidRequest",
            f"{name} is not a supported checksum; use one of"
            f" {', '.join('x-amz-checksum-' + a for a in ALGORITHMS)}",
        )
    return algorithm


def _decoded_length(headers: dict[str, str], mode: str) -> int | None:
    value = headers.get("x-amz-decoded-content-length")
    if value is None or mode not in STREAMING_MODES:
        return None
    if not value.strip().isdigit():
        raise S3Error("InvalidArgument", "x-amz-decoded-content-length must be a number")
    return int(value)


# --- aws-chunked ----------------------------------------------------------------------


class _WireReader:
    """Lines and exact-length reads over the raw body pieces, without copying much."""

    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self._source = source
        self._buffer = b""

    async def _more(self) -> bool:
        try:
            piece = await anext(self._source)
        except StopAsyncIteration:
            return False
        self._buffer = self._buffer + piece if self._buffer else piece
        return True

    async def line(self) -> bytes | None:
        """The next CRLF-terminated line, or None at a clean end of body."""
        start = 0
        while (end := self._buffer.find(b"\r\n", start)) < 0:
            if len(self._buffer) > MAX_CHUNK_LINE:
                raise S3Error("InvalidRequest", "aws-chunked: line too long")
            start = max(0, len(self._buffer) - 1)
            if not await self._more():
                if self._buffer:
                    raise S3Error("IncompleteBody", "aws-chunked: the body ended mid-line")
                return None
        line, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
        return line

    async def take(self, size: int) -> AsyncIterator[bytes]:
        while size:
            if not self._buffer and not await self._more():
                raise S3Error("IncompleteBody", "aws-chunked: the body ended mid-chunk")
            piece = self._buffer[:size] if len(self._buffer) > size else self._buffer
            self._buffer = self._buffer[len(piece) :]
            size -= len(piece)
            yield piece

    async def at_end(self) -> bool:
        return not self._buffer and not await self._more()


class _ChunkSigner:
    """Chains the chunk signatures from the seed (header) signature."""

    def __init__(self, auth: AuthContext) -> None:
        self._auth = auth
        self.previous = auth.seed_signature

    def check(self, kind: str, provided: str, payload_hash: str) -> None:
        empty = f"{EMPTY_SHA256}\n" if kind == "AWS4-HMAC-SHA256-PAYLOAD" else ""
        text = (
            f"{kind}\n{self._auth.amz_date}\n{self._auth.scope}\n{self.previous}\n"
            f"{empty}{payload_hash}"
        )
        expected = hmac.new(self._auth.signing_key, text.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, provided):
            raise S3Error(
                "SignatureDoesNotMatch",
                f"The {'chunk' if empty else 'trailer'} signature we calculated does not match"
                " the signature you provided.",
                StringToSign=text,
                SignatureProvided=provided,
            )
        self.previous = expected


class _ChunkDecoder:
    def __init__(
        self,
        raw: AsyncIterator[bytes],
        auth: AuthContext,
        mode: str,
        trailers: list[_Expectation],
    ) -> None:
        self._reader = _WireReader(raw)
        self._signer = _ChunkSigner(auth) if mode != STREAMING_UNSIGNED_TRAILER else None
        self._trailers = {e.name: e for e in trailers}
        self._mode = mode

    async def pieces(self) -> AsyncIterator[bytes]:
        while True:
            size, signature = self._chunk_header(await self._required_line())
            digest = hashlib.sha256() if self._signer else None
            async for piece in self._reader.take(size):
                if digest is not None:
                    digest.update(piece)
                yield piece
            if self._signer is not None and digest is not None:
                self._signer.check("AWS4-HMAC-SHA256-PAYLOAD", signature, digest.hexdigest())
            if size == 0:
                break
            if await self._required_line() != b"":
                raise S3Error("IncompleteBody", "aws-chunked: chunk data longer than its size")
        await self._read_trailer()
        if not await self._reader.at_end():
            raise S3Error("InvalidRequest", "aws-chunked: data after the final chunk")

    async def _required_line(self) -> bytes:
        line = await self._reader.line()
        if line is None:
            raise S3Error("IncompleteBody", "aws-chunked: the body ended before the final chunk")
        return line

    def _chunk_header(self, line: bytes) -> tuple[int, str]:
        size_text, _, extension = line.partition(b";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise S3Error("InvalidRequest", f"aws-chunked: bad chunk size {size_text!r}") from None
        if not 0 <= size < MAX_CHUNK_SIZE:
            raise S3Error("InvalidRequest", "aws-chunked: chunk size out of range")
        if self._signer is None:
            return size, ""
        name, _, signature = extension.decode("latin-1").partition("=")
        if name.strip() != "chunk-signature" or not signature:
            raise S3Error("SignatureDoesNotMatch", "aws-chunked: a chunk has no chunk-signature")
        return size, signature.strip()

    async def _read_trailer(self) -> None:
        canonical, signature = "", None
        while line := await self._reader.line():  # ends at the blank line or at the end
            name, sep, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if not sep:
                raise S3Error("InvalidRequest", f"aws-chunked: malformed trailer line {line!r}")
            if name == "x-amz-trailer-signature":
                signature = value
                continue
            canonical += f"{name}:{value}\n"
            self._accept_trailer(name, value)
        if self._mode == STREAMING_SIGNED_TRAILER:
            if signature is None or self._signer is None:
                raise S3Error("SignatureDoesNotMatch", "aws-chunked: the trailer is not signed")
            trailer_hash = hashlib.sha256(canonical.encode("latin-1")).hexdigest()
            self._signer.check("AWS4-HMAC-SHA256-TRAILER", signature, trailer_hash)

    def _accept_trailer(self, name: str, value: str) -> None:
        expectation = self._trailers.get(name)
        if expectation is None:
            raise S3Error("InvalidRequest", f"aws-chunked: trailer {name} was not declared")
        digest = decode_checksum(expectation.algorithm, value)
        if digest is None:
            raise S3Error("InvalidRequest", f"Value for {name} trailing header is invalid.")
        expectation.expected = digest
