"""Route a path-style S3 REST request to its handler.

``/`` is the service (ListBuckets), ``/{bucket}`` a bucket, ``/{bucket}/{key}`` an
object. Within each, the method and the subresource in the query string
(``?uploads``, ``?tagging``, ``?delete``...) pick the operation. Subresources S3
defines but this endpoint does not implement answer 501 NotImplemented rather
than being silently treated as the plain operation.
"""

from __future__ import annotations

from typing import Any

from . import s3acl, s3attributes, s3buckets, s3cors, s3listing, s3multipart, s3objects, s3versions
from .errors import S3Error
from .http import Response, S3Request
from .s3context import Ctx
from .store import Store
from .validation import check_key

UNSUPPORTED_SUBRESOURCES = frozenset(
    {
        "accelerate",
        "analytics",
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


# Bucket reads that stay the owner's even when the bucket's ACL lets others list it.
OWNER_BUCKET_READS = frozenset({"acl", "tagging", "versioning", "location", "cors", "policy"})
OBJECT_SUBRESOURCES = frozenset({"acl", "tagging", "attributes", "uploads", "uploadId"})


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
    listing = method in ("GET", "HEAD") and not query.keys() & OWNER_BUCKET_READS
    ctx.authorize("READ" if listing else None)  # NoSuchBucket, then AccessDenied
    if method == "PUT":
        handler = _pick(query, None, versioning=s3versions.put_bucket_versioning)
        handler = _pick(query, handler, acl=s3acl.put_bucket_acl)
        handler = _pick(query, handler, tagging=s3acl.put_bucket_tagging)
        handler = _pick(query, handler, cors=s3cors.put_bucket_cors)
        if handler is not None:
            return await handler(ctx)
    if method in ("GET", "HEAD"):
        return await _bucket_read(ctx)
    if method == "DELETE" and "tagging" in query:
        return await s3acl.delete_bucket_tagging(ctx)
    if method == "DELETE" and "cors" in query:
        return await s3cors.delete_bucket_cors(ctx)
    if method == "DELETE" and not query.keys() - {"x-id"}:
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
        return await s3acl.get_bucket_tagging(ctx)
    if "acl" in query:
        return await s3acl.get_bucket_acl(ctx)
    if "cors" in query:
        return await s3cors.get_bucket_cors(ctx)
    if query.get("list-type") == "2":
        return s3listing.list_objects_v2(ctx)
    return s3listing.list_objects_v1(ctx)


async def _object_operation(ctx: Ctx) -> Response:
    method, query = ctx.request.method, ctx.request.query
    ctx.authorize(_object_permission(ctx))  # NoSuchBucket, then AccessDenied
    handler = None
    if method == "PUT":
        handler = _object_put_handler(ctx)
    elif method == "GET":
        handler = _pick(query, s3objects.get_object, uploadId=s3multipart.list_parts)
        handler = _pick(query, handler, tagging=s3objects.get_tagging)
        handler = _pick(query, handler, attributes=s3attributes.get_object_attributes)
        handler = _pick(query, handler, acl=s3acl.get_object_acl)
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
    if "acl" in query:
        return s3acl.put_object_acl
    if "x-amz-copy-source" in headers:
        return s3objects.copy_object
    return s3objects.put_object


def _object_permission(ctx: Ctx) -> str | None:
    """What a non-owner needs for this object request under canned ACLs: READ_OBJECT
    (the object's ACL) for a read, WRITE (the bucket's) for a write; None: owner only."""
    method, query = ctx.request.method, ctx.request.query
    subresources = query.keys() & OBJECT_SUBRESOURCES
    if method in ("GET", "HEAD") and not subresources:
        return "READ_OBJECT"
    if "x-amz-copy-source" in ctx.request.headers:
        return None
    if method in ("PUT", "DELETE") and not subresources - {"uploadId"}:
        return "WRITE"
    if method == "POST" and subresources in ({"uploads"}, {"uploadId"}):
        return "WRITE"
    return None


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
