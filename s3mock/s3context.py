"""What every S3 handler needs: the caller, the store, ownership and body helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from . import xmlio
from .acl import allows
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

    def authorize(self, permission: str | None) -> None:
        """NoSuchBucket, then AccessDenied unless the caller owns the bucket or its canned
        ACL (READ, WRITE) or the object's (READ_OBJECT) grants ``permission``."""
        owner = self.store.head_bucket(self.bucket).owner
        if owner == self.owner or permission is None:
            self.own_bucket()
            return
        if permission == "READ_OBJECT":
            acl = self._object_acl()
            permission = "READ"
        else:
            acl = None
        if acl is None:
            acl = self.store.bucket_setting(self.bucket, "acl", "private")
        if not allows(acl, permission, anonymous=self.anonymous):
            raise S3Error("AccessDenied", "Access Denied", BucketName=self.bucket)

    def _object_acl(self) -> str | None:
        """The ACL of the object a read names; None when missing (the bucket's decides)."""
        try:
            info = self.store.head_object(
                self.bucket, self.key, self.request.query.get("versionId")
            )
        except S3Error:
            return None
        return info.acl

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

    def body(self, default_algorithm: str | None = None) -> BodyReader:
        """The request body, verified; ``default_algorithm`` is computed when none is sent."""
        return BodyReader(self.request, self.auth, default_algorithm)

    async def xml_body(self, *, object_checksums: bool = False):
        """Read and parse a bounded XML request document (verified like any body).

        ``object_checksums``: x-amz-checksum-* headers describe the object, not the XML.
        """
        chunks = []
        size = 0
        reader = BodyReader(self.request, self.auth, object_checksums=object_checksums)
        async for chunk in reader.chunks():
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

    def __init__(
        self,
        request: S3Request,
        auth: Any,
        default_algorithm: str | None = None,
        *,
        object_checksums: bool = False,
    ):
        self._source: VerifiedBody = request_body(
            request, auth, default_algorithm, object_checksums=object_checksums
        )

    @property
    def sent_algorithm(self) -> str | None:
        """The flexible checksum algorithm the client sent (header or trailer), if any."""
        return self._source.sent_algorithm

    def stored_checksum(self) -> dict[str, str] | None:
        """The checksum to keep with the object; valid once iteration has ended."""
        return self._source.stored_checksum()

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
