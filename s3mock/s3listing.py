"""ListObjects (v1) and ListObjectsV2, paged from the store's sorted key index."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from . import xmlio
from .errors import S3Error
from .http import Response
from .keyindex import ListResult
from .records import ObjectInfo
from .s3buckets import owner_xml
from .s3context import Ctx, xml_response

MAX_KEYS = 1000


def list_objects_v1(ctx: Ctx) -> Response:
    query = ctx.request.query
    encode = encoder(query)
    prefix, delimiter, marker = (query.get(n, "") for n in ("prefix", "delimiter", "marker"))
    max_keys = ctx.query_int("max-keys", MAX_KEYS, high=MAX_KEYS)
    result = ctx.store.list_objects(ctx.bucket, prefix, marker, max_keys, delimiter)
    head = [
        ("Name", ctx.bucket),
        ("Prefix", prefix),  # v1 echoes it as sent, even with encoding-type=url
        ("Marker", encode(marker)),
        ("MaxKeys", max_keys),
        ("Delimiter", encode(delimiter) if delimiter else None),
        ("IsTruncated", xmlio.bool_text(result.is_truncated)),
        ("EncodingType", query.get("encoding-type")),
    ]
    if delimiter and result.is_truncated:  # S3 sends NextMarker only with a delimiter
        head.append(("NextMarker", encode(result.next_marker)))
    body = xmlio.elements(head) + _entries(result, encode, ctx.owner)
    return xml_response("ListBucketResult", body)


def list_objects_v2(ctx: Ctx) -> Response:
    query = ctx.request.query
    encode = encoder(query)
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    start_after = query.get("start-after", "")
    token = query.get("continuation-token")
    marker = decode_token(token) if token is not None else start_after
    max_keys = ctx.query_int("max-keys", MAX_KEYS, high=MAX_KEYS)
    result = ctx.store.list_objects(ctx.bucket, prefix, marker, max_keys, delimiter)
    head = [
        ("Name", ctx.bucket),
        ("Prefix", encode(prefix)),
        ("MaxKeys", max_keys),
        ("KeyCount", len(result.objects) + len(result.common_prefixes)),
        ("Delimiter", encode(delimiter) if delimiter else None),
        ("IsTruncated", xmlio.bool_text(result.is_truncated)),
        ("EncodingType", query.get("encoding-type")),
        ("ContinuationToken", token),
        ("StartAfter", encode(start_after) if start_after else None),
    ]
    if result.is_truncated:
        head.append(("NextContinuationToken", encode_token(result.next_marker)))
    owner = ctx.owner if query.get("fetch-owner") == "true" else None
    body = xmlio.elements(head) + _entries(result, encode, owner)
    return xml_response("ListBucketResult", body)


def encode_token(marker: str) -> str:
    """Continuation tokens are opaque to clients; here, the last key or prefix sent."""
    return base64.urlsafe_b64encode(marker.encode("utf-8")).decode("ascii")


def decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        raise S3Error(
            "InvalidArgument",
            "The continuation token provided is incorrect",
            ArgumentName="continuation-token",
        ) from None


def encoder(query: dict[str, str]) -> Callable[[str], str]:
    encoding = query.get("encoding-type")
    if encoding is None:
        return str
    if encoding != "url":
        raise S3Error(
            "InvalidArgument",
            "Invalid Encoding Method specified in Request",
            ArgumentName="encoding-type",
            ArgumentValue=encoding,
        )
    return xmlio.url_encode


def _entries(result: ListResult, encode: Callable[[str], str], owner: str | None) -> str:
    owner_part = owner_xml(owner) if owner else ""
    parts = [_content(info, encode, owner_part) for info in result.objects]
    parts.extend(
        f"<CommonPrefixes>{xmlio.element('Prefix', encode(p))}</CommonPrefixes>"
        for p in result.common_prefixes
    )
    return "".join(parts)


def _content(info: ObjectInfo, encode: Callable[[str], str], owner_part: str) -> str:
    return (
        f"<Contents>{xmlio.element('Key', encode(info.key))}"
        f"{xmlio.element('LastModified', xmlio.iso8601(info.last_modified))}"
        f"{xmlio.element('ETag', info.quoted_etag)}"
        f"{xmlio.element('Size', info.size)}{owner_part}"
        "<StorageClass>STANDARD</StorageClass></Contents>"
    )
