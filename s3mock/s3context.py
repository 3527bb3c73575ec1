"""What every S3 handler needs: the caller, the store, ownership and body helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from . import xmlio
from .auth import ANONYMOUS
from .body import VerifiedBody, request_body
from .errors import S3Error
from .http import Response, S3Request
from .store import Store


@dataclass
class Ctx:
    request: S3Request
    store: Store
    auth: Any  # auth.AuthContext; only .access_key is read here
    bucket: str
    key: str
    region: str = "us-east-1"

    @property
    def owner(self) -> str:
        return self.auth.access_key

    @property
    def anonymous(self) -> bool:
        return self.auth.access_key == ANONYMOUS

    def require_signed(self) -> None:
        """Raise AccessDenied for an unsigned request (ListBuckets, CreateBucket)."""
        if self.anonymous:
            raise S3Error("AccessDenied", "Access Denied: this request must be signed")

    def own_bucket(self, name: str | None = None) -> None:
        """Raise NoSuchBucket, then AccessDenied, unless the caller owns the bucket.

        The order is S3's: a missing bucket is NoSuchBucket even for an anonymous caller.
        """
        name = self.bucket if name is None else name
        owner = self.store.head_bucket(name).owner
        if owner != self.owner:
            raise S3Error("AccessDenied", "Access Denied", BucketName=name)

    def query_int(self, name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
        raw = self.request.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise S3Error(
                "InvalidArgument",
                f"Provided {name} not an integer or within integer range",
                ArgumentName=name,
                ArgumentValue=raw,
            ) from None
        if value < low:
            raise S3Error("InvalidArgument", f"{name} out of range", ArgumentName=name)
        return value if high is None else min(value, high)

    def body(self) -> BodyReader:
        return BodyReader(self.request, self.auth)

    async def xml_body(self):
        """Read and parse a bounded XML request document (verified like any body)."""
        chunks = []
        size = 0
        async for chunk in self.body().chunks():
            size += len(chunk)
            if size > xmlio.MAX_XML_BODY:
                raise S3Error("MalformedXML", "The XML you provided was too large.")
            chunks.append(chunk)
        return xmlio.parse(b"".join(chunks))


class BodyReader:
    """The decoded, verified request body (aws-chunked, sha256, Content-MD5, checksums).

    Its iteration raises S3Error at the end if a digest does not match, which is
    why the store commits only after the last chunk.
    """

    def __init__(self, request: S3Request, auth: Any):
        self._source: VerifiedBody = request_body(request, auth)

    def chunks(self) -> AsyncIterator[bytes]:
        return aiter(self._source)

    @property
    def md5_hex(self) -> Callable[[], str]:
        """The body's md5 (the ETag), valid once iteration has ended; saves a second hash."""
        return lambda: self._source.md5.hexdigest()

    def checksum_headers(self) -> list[tuple[str, str]]:
        """The flexible checksums the client sent and the body matched, echoed as S3 does."""
        return [(f"x-amz-checksum-{name}", value) for name, value in self._source.checksums.items()]


def xml_response(root: str, body: str, status: int = 200) -> Response:
    return Response(status, [("Content-Type", "application/xml")], xmlio.document(root, body))


def empty(status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, headers or [], b"")
