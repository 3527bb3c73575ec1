"""Bucket operations: create, head, list, delete, location.

Every access key is an account; a bucket belongs to the key that created it and
ListBuckets shows a caller only their own.
"""

from __future__ import annotations

from . import xmlio
from .errors import S3Error
from .http import Response
from .s3acl import canned_from_headers
from .s3context import Ctx, empty, xml_response

MAX_CREATE_BODY = 64 * 1024


async def create_bucket(ctx: Ctx) -> Response:
    """CreateBucket; re-creating your own bucket is 200 in us-east-1 (legacy), 409 elsewhere."""
    ctx.require_signed()
    acl = canned_from_headers(ctx.request.headers)
    await _drain_configuration(ctx)  # a LocationConstraint is accepted and ignored
    try:
        ctx.store.create_bucket(ctx.bucket, ctx.owner)
    except S3Error as error:
        if error.code != "BucketAlreadyOwnedByYou" or ctx.region != "us-east-1":
            raise
    # S3 resets the ACL when you re-create your bucket in us-east-1
    ctx.store.set_bucket_setting(ctx.bucket, "acl", acl if acl != "private" else None)
    return empty(200, [("Location", f"/{ctx.bucket}")])


async def _drain_configuration(ctx: Ctx) -> None:
    size = 0
    async for chunk in ctx.body().chunks():
        size += len(chunk)
        if size > MAX_CREATE_BODY:
            raise S3Error("MalformedXML", "The CreateBucketConfiguration is too large.")


def head_bucket(ctx: Ctx) -> Response:
    return empty(200, [("x-amz-bucket-region", ctx.region)])


def get_location(ctx: Ctx) -> Response:
    # S3 reports us-east-1 as an empty constraint, for historical reasons.
    region = "" if ctx.region == "us-east-1" else ctx.region
    return xml_response("LocationConstraint", xmlio.text(region))


def list_buckets(ctx: Ctx) -> Response:
    ctx.require_signed()
    buckets = "".join(
        f"<Bucket>{xmlio.element('Name', b.name)}"
        f"{xmlio.element('CreationDate', xmlio.iso8601(b.created))}"
        f"{xmlio.element('BucketRegion', ctx.region)}</Bucket>"
        for b in ctx.store.list_buckets(ctx.owner)
    )
    body = f"{owner_xml(ctx.owner)}<Buckets>{buckets}</Buckets>"
    return xml_response("ListAllMyBucketsResult", body)


def delete_bucket(ctx: Ctx) -> Response:
    ctx.store.delete_bucket(ctx.bucket)
    return empty(204)


def owner_xml(owner: str, tag: str = "Owner") -> str:
    return f"<{tag}>{xmlio.element('ID', owner)}{xmlio.element('DisplayName', owner)}</{tag}>"
