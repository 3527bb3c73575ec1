"""Bucket versioning: Get/PutBucketVersioning and ListObjectVersions."""

from __future__ import annotations

from . import xmlio
from .errors import S3Error
from .http import Response
from .records import ObjectInfo
from .s3buckets import owner_xml
from .s3context import Ctx, empty, xml_response
from .s3listing import MAX_KEYS, encoder

VERSION_HEADER = "x-amz-version-id"


async def put_bucket_versioning(ctx: Ctx) -> Response:
    root = await ctx.xml_body()
    if root.tag != "VersioningConfiguration":
        raise S3Error("MalformedXML", "The XML you provided was not well-formed.")
    if (xmlio.child_text(root, "MfaDelete") or "Disabled") != "Disabled":
        raise S3Error("NotImplemented", "MFA delete is not implemented by s3mock.")
    status = xmlio.child_text(root, "Status")
    if status is None:  # a configuration without Status leaves the state as it is
        return empty(200)
    ctx.store.put_versioning(ctx.bucket, status)
    return empty(200)


def get_bucket_versioning(ctx: Ctx) -> Response:
    status = ctx.store.get_versioning(ctx.bucket)
    body = xmlio.element("Status", status) if status else ""
    return xml_response("VersioningConfiguration", body)


def list_object_versions(ctx: Ctx) -> Response:
    query = ctx.request.query
    encode = encoder(query)
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    key_marker, version_marker = query.get("key-marker", ""), query.get("version-id-marker", "")
    if version_marker and not key_marker:
        raise S3Error(
            "InvalidArgument",
            "A version-id marker cannot be specified without a key marker.",
            ArgumentName="version-id-marker",
        )
    max_keys = ctx.query_int("max-keys", MAX_KEYS, high=MAX_KEYS)
    page = ctx.store.list_versions(
        ctx.bucket, prefix, key_marker, version_marker, max_keys, delimiter
    )
    head = [
        ("Name", ctx.bucket),
        ("Prefix", encode(prefix)),
        ("KeyMarker", encode(key_marker)),
        ("VersionIdMarker", version_marker),
        ("MaxKeys", max_keys),
        ("Delimiter", encode(delimiter) if delimiter else None),
        ("IsTruncated", xmlio.bool_text(page.truncated)),
        ("EncodingType", query.get("encoding-type")),
    ]
    if page.truncated:
        head.append(("NextKeyMarker", encode(page.next_key)))
        head.append(("NextVersionIdMarker", page.next_version or None))
    owner = owner_xml(ctx.store.head_bucket(ctx.bucket).owner)
    items = "".join(_item(info, latest, encode, owner) for info, latest in page.items)
    prefixes = "".join(
        f"<CommonPrefixes>{xmlio.element('Prefix', encode(p))}</CommonPrefixes>"
        for p in page.prefixes
    )
    return xml_response("ListVersionsResult", xmlio.elements(head) + items + prefixes)


def _item(info: ObjectInfo, latest: bool, encode, owner: str) -> str:
    fields = [
        ("Key", encode(info.key)),
        ("VersionId", info.version_id),
        ("IsLatest", xmlio.bool_text(latest)),
        ("LastModified", xmlio.iso8601(info.last_modified)),
    ]
    if info.delete_marker:
        return f"<DeleteMarker>{xmlio.elements(fields)}{owner}</DeleteMarker>"
    fields += [("ETag", info.quoted_etag), ("Size", info.size)]
    return (
        f"<Version>{xmlio.elements(fields)}<StorageClass>STANDARD</StorageClass>{owner}</Version>"
    )


def version_headers(ctx: Ctx, info: ObjectInfo) -> list[tuple[str, str]]:
    """``x-amz-version-id`` once the bucket has versioning (Enabled or Suspended)."""
    if not ctx.store.get_versioning(ctx.bucket) and not info.versioned:
        return []
    return [(VERSION_HEADER, info.version_id)]
