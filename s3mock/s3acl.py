"""Canned ACLs (private, public-read, public-read-write, authenticated-read) on buckets
and objects, the anonymous access they allow, and bucket tagging.

Grants by account id, email or group (``x-amz-grant-*``, or an AccessControlPolicy
that is not one of the canned ones) answer 501 NotImplemented.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import xmlio
from .acl import CANNED, GROUP_GRANTS
from .errors import S3Error
from .http import Response
from .s3context import Ctx, empty, xml_response
from .validation import check_tags

# Object ACLs that name the bucket owner: here the bucket owner owns every object.
OWNER_ONLY = ("bucket-owner-read", "bucket-owner-full-control")
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def canned_from_headers(headers: Mapping[str, str], default: str = "private") -> str:
    """The ``x-amz-acl`` of a PUT, CreateBucket, CreateMultipartUpload or copy."""
    grants = sorted(name for name in headers if name.startswith("x-amz-grant-"))
    if grants:
        raise S3Error(
            "NotImplemented",
            f"{grants[0]}: grants by id, email or group are not implemented by s3mock;"
            " use a canned ACL (x-amz-acl).",
            Header=grants[0],
        )
    acl = headers.get("x-amz-acl")
    if acl is None:
        return default
    acl = acl.strip()
    if acl in OWNER_ONLY:
        return "private"
    if acl not in CANNED:
        raise S3Error(
            "InvalidArgument",
            f"The canned ACL {acl!r} is not one of {', '.join(CANNED)}.",
            ArgumentName="x-amz-acl",
            ArgumentValue=acl,
        )
    return acl


def policy_xml(owner: str, acl: str) -> str:
    """An AccessControlPolicy document for a canned ACL."""
    person = f"{xmlio.element('ID', owner)}{xmlio.element('DisplayName', owner)}"
    grants = [
        f'<Grant><Grantee xmlns:xsi="{XSI}" xsi:type="CanonicalUser">{person}</Grantee>'
        "<Permission>FULL_CONTROL</Permission></Grant>"
    ]
    grants += [
        f'<Grant><Grantee xmlns:xsi="{XSI}" xsi:type="Group">{xmlio.element("URI", group)}'
        f"</Grantee>{xmlio.element('Permission', permission)}</Grant>"
        for group, permission in GROUP_GRANTS[acl]
    ]
    return f"<Owner>{person}</Owner><AccessControlList>{''.join(grants)}</AccessControlList>"


async def requested_acl(ctx: Ctx) -> str:
    """PutBucketAcl/PutObjectAcl: ``x-amz-acl``, or a policy document equal to a canned ACL."""
    if "x-amz-acl" in ctx.request.headers or any(
        name.startswith("x-amz-grant-") for name in ctx.request.headers
    ):
        return canned_from_headers(ctx.request.headers)
    root = await ctx.xml_body()
    if root.tag != "AccessControlPolicy":
        raise S3Error("MalformedACLError", "The XML you provided was not well-formed.")
    groups = set()
    for grant in root.iter("Grant"):
        grantee, permission = grant.find("Grantee"), xmlio.child_text(grant, "Permission")
        uri = xmlio.child_text(grantee, "URI") if grantee is not None else None
        if uri is not None:
            groups.add((uri, permission))
        elif xmlio.child_text(grantee, "ID") != ctx.owner or permission != "FULL_CONTROL":
            raise _grants_not_implemented()
    for name, grants in GROUP_GRANTS.items():
        if groups == set(grants):
            return name
    raise _grants_not_implemented()


def _grants_not_implemented() -> S3Error:
    return S3Error(
        "NotImplemented",
        "s3mock implements canned ACLs only (private, public-read, public-read-write,"
        " authenticated-read); grants by id, email or other groups are not implemented.",
    )


async def get_bucket_acl(ctx: Ctx) -> Response:
    acl = ctx.store.bucket_setting(ctx.bucket, "acl", "private")
    return xml_response("AccessControlPolicy", policy_xml(ctx.owner, acl))


async def put_bucket_acl(ctx: Ctx) -> Response:
    ctx.store.set_bucket_setting(ctx.bucket, "acl", await requested_acl(ctx))
    return empty(200)


async def get_object_acl(ctx: Ctx) -> Response:
    info = ctx.store.head_object(ctx.bucket, ctx.key, ctx.request.query.get("versionId"))
    return xml_response("AccessControlPolicy", policy_xml(ctx.owner, info.acl))


async def put_object_acl(ctx: Ctx) -> Response:
    acl = await requested_acl(ctx)
    ctx.store.put_object_acl(ctx.bucket, ctx.key, acl)
    return empty(200)


# --- bucket tagging ----------------------------------------------------------------------


async def get_bucket_tagging(ctx: Ctx) -> Response:
    tags = ctx.store.bucket_setting(ctx.bucket, "tags")
    if not tags:
        raise S3Error("NoSuchTagSet", "The TagSet does not exist", BucketName=ctx.bucket)
    return xml_response("Tagging", xmlio.tag_set(tags))


async def put_bucket_tagging(ctx: Ctx) -> Response:
    tags = check_tags(xmlio.tag_pairs(await ctx.xml_body()), limit=50)
    ctx.store.set_bucket_setting(ctx.bucket, "tags", tags)
    return empty(204)


async def delete_bucket_tagging(ctx: Ctx) -> Response:
    ctx.store.set_bucket_setting(ctx.bucket, "tags", None)
    return empty(204)
