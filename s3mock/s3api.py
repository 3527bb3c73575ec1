"""Route a path-style S3 REST request to its handler.

``/`` is the service (ListBuckets), ``/{bucket}`` a bucket, ``/{bucket}/{key}`` an
object. Within each, the method and the subresource in the query string
(``?uploads``, ``?tagging``, ``?delete``...) pick the operation. Subresources S3
defines but this endpoint does not implement answer 501 NotImplemented rather
than being silently treated as the plain operation.
"""

from __future__ import annotations

from typing import Any

from . import s3buckets, s3listing, s3multipart, s3objects, s3versions
from .errors import S3Error
from .http import Response, S3Request
from .s3context import Ctx
from .store import Store
from .validation import check_key

UNSUPPORTED_SUBRESOURCES = frozenset(
    {
        "accelerate",
        "acl",
        "analytics",
        "attributes",
        "cors",
        "encryption",
        "intelligent-tiering",
        "inventory",
        "legal-hold",
        "lifecycle",
        "logging",
        "metadataConfiguration",
        "metadataTable",
        "metrics",
        "notification",
        "object-lock",
        "ownershipControls",
        "policy",
        "policyStatus",
        "publicAccessBlock",
        "renameObject",
        "replication",
        "requestPayment",
        "restore",
        "retention",
        "select",
        "session",
        "torrent",
        "website",
    }
)


async def dispatch(request: S3Request, store: Store, auth: Any, *, region: str) -> Response:
    """Run the S3 operation the request names, as the authenticated caller."""
    bucket, key = _bucket_and_key(request)
    ctx = Ctx(request, store, auth, bucket, key, region)
    if not bucket:
        if request.method in ("GET", "HEAD"):
            return s3buckets.list_buckets(ctx)
        raise _not_allowed(request)
    _refuse_unsupported(request)
    if key:
        check_key(key)
        return await _object_operation(ctx)
    return await _bucket_operation(ctx)


async def _bucket_operation(ctx: Ctx) -> Response:
    method, query = ctx.request.method, ctx.request.query
    if method == "PUT" and not query.keys() - {"x-id"}:
        return await s3buckets.create_bucket(ctx)
    if method == "PUT" and "tagging" in query:
        raise S3Error("NotImplemented", "Bucket tagging is not implemented.")
    ctx.own_bucket()
    if method == "PUT" and "versioning" in query:
        return await s3versions.put_bucket_versioning(ctx)
    if method in ("GET", "HEAD"):
        return await _bucket_read(ctx)
    if method == "DELETE" and "tagging" not in query:
        return s3buckets.delete_bucket(ctx)
    if method == "POST" and "delete" in query:
        return await s3objects.delete_objects(ctx)
    raise _not_allowed(ctx.request)


async def _bucket_read(ctx: Ctx) -> Response:
    query = ctx.request.query
    if ctx.request.method == "HEAD":
        return s3buckets.head_bucket(ctx)
    if "uploads" in query:
        return s3multipart.list_uploads(ctx)
    if "location" in query:
        return s3buckets.get_location(ctx)
    if "versioning" in query:
        return s3versions.get_bucket_versioning(ctx)
    if "versions" in query:
        return s3versions.list_object_versions(ctx)
    if "tagging" in query:
        raise S3Error("NotImplemented", "Bucket tagging is not implemented.")
    if query.get("list-type") == "2":
        return s3listing.list_objects_v2(ctx)
    return s3listing.list_objects_v1(ctx)


async def _object_operation(ctx: Ctx) -> Response:
    ctx.own_bucket()
    method, query = ctx.request.method, ctx.request.query
    handler = None
    if method == "PUT":
        handler = _object_put_handler(ctx)
    elif method == "GET":
        handler = _pick(query, s3objects.get_object, uploadId=s3multipart.list_parts)
        handler = _pick(query, handler, tagging=s3objects.get_tagging)
    elif method == "HEAD":
        handler = s3objects.head_object
    elif method == "DELETE":
        handler = _pick(query, s3objects.delete_object, uploadId=s3multipart.abort_upload)
        handler = _pick(query, handler, tagging=s3objects.delete_tagging)
    elif method == "POST":
        handler = _pick(query, None, uploads=s3multipart.create_upload)
        handler = _pick(query, handler, uploadId=s3multipart.complete_upload)
    if handler is None:
        raise _not_allowed(ctx.request)
    return await handler(ctx)


def _object_put_handler(ctx: Ctx):
    query, headers = ctx.request.query, ctx.request.headers
    if "uploadId" in query or "partNumber" in query:
        if "x-amz-copy-source" in headers:
            return s3multipart.upload_part_copy
        return s3multipart.upload_part
    if "tagging" in query:
        return s3objects.put_tagging
    if "x-amz-copy-source" in headers:
        return s3objects.copy_object
    return s3objects.put_object


def _pick(query: dict[str, str], default, **by_subresource):
    for name, handler in by_subresource.items():
        if name in query:
            return handler
    return default


def _bucket_and_key(request: S3Request) -> tuple[str, str]:
    try:
        return request.bucket_and_key()
    except UnicodeDecodeError:
        raise S3Error("InvalidURI", "Couldn't parse the specified URI.") from None


def _refuse_unsupported(request: S3Request) -> None:
    unsupported = UNSUPPORTED_SUBRESOURCES.intersection(request.query)
    if unsupported:
        name = sorted(unsupported)[0]
        raise S3Error(
            "NotImplemented",
            f"The {name} subresource is not implemented by s3mock.",
            Header=name,
        )


def _not_allowed(request: S3Request) -> S3Error:
    return S3Error(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        Method=request.method,
        ResourceType="OBJECT" if "/" in request.path.strip("/") else "BUCKET",
    )
