"""Reads by part and object attributes: GetObject/HeadObject ``partNumber`` and
GetObjectAttributes, from the part sizes a CompleteMultipartUpload records."""

from __future__ import annotations

from . import xmlio
from .conditions import parse_range
from .errors import S3Error, no_such_key
from .http import Response
from .records import ObjectInfo
from .s3context import Ctx, xml_response
from .s3versions import version_headers
from .uploads import MAX_PART_NUMBER

ATTRIBUTES = frozenset({"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"})
MAX_PARTS = 1000


def read_range(ctx: Ctx, info: ObjectInfo) -> tuple[tuple[int, int] | None, list[tuple[str, str]]]:
    """The (start, length) a GET/HEAD reads (None: everything) and the headers it adds.

    ``partNumber=N`` reads part N of a multipart object; any object is one part. With
    ``x-amz-checksum-mode: ENABLED`` the headers carry the stored checksum of what is
    read: the part's, or the object's on a whole-object read (none for a Range).
    """
    if "partNumber" not in ctx.request.query:
        byte_range = parse_range(ctx.request.headers.get("range"), info.size)
        return byte_range, [] if byte_range is not None else _object_checksum(ctx, info)
    if "range" in ctx.request.headers:
        raise S3Error(
            "InvalidRequest", "Cannot specify both Range header and partNumber query parameter."
        )
    number = ctx.query_int("partNumber", 0)
    if not 1 <= number <= MAX_PART_NUMBER:
        raise S3Error(
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=str(number),
        )
    parts = info.parts or [[info.size, None]]
    if number > len(parts):
        raise S3Error(
            "InvalidPartNumber",
            "The requested partnumber is not satisfiable",
            PartNumberRequested=str(number),
            ActualPartCount=str(len(parts)),
        )
    start = sum(size for size, _ in parts[: number - 1])
    headers = [("x-amz-mp-parts-count", str(len(parts)))] if info.parts else []
    headers += _part_checksum(ctx, info, parts[number - 1][1])
    length = parts[number - 1][0]
    return ((start, length) if length else None), headers


def _object_checksum(ctx: Ctx, info: ObjectInfo) -> list[tuple[str, str]]:
    mode = ctx.request.headers.get("x-amz-checksum-mode", "").upper()
    if mode != "ENABLED" or not info.checksum:
        return []
    checksum = info.checksum
    return [
        (f"x-amz-checksum-{checksum['algorithm']}", checksum["value"]),
        ("x-amz-checksum-type", checksum["type"]),
    ]


def _part_checksum(ctx: Ctx, info: ObjectInfo, value: str | None) -> list[tuple[str, str]]:
    """With checksum mode: the part's own checksum (a plain object's part is all of it)."""
    mode = ctx.request.headers.get("x-amz-checksum-mode", "").upper()
    if mode != "ENABLED" or not info.checksum:
        return []
    algorithm = info.checksum["algorithm"]
    if not info.parts:
        value, kind = info.checksum["value"], info.checksum["type"]
    else:
        kind = "COMPOSITE"
    if not value:
        return []
    return [(f"x-amz-checksum-{algorithm}", value), ("x-amz-checksum-type", kind)]


async def get_object_attributes(ctx: Ctx) -> Response:
    wanted = _wanted(ctx.request.headers.get("x-amz-object-attributes", ""))
    version_id = ctx.request.query.get("versionId")
    info = ctx.store.head_object(ctx.bucket, ctx.key, version_id)
    if info.delete_marker:
        error = no_such_key(ctx.key)
        error.headers = [("x-amz-delete-marker", "true"), *version_headers(ctx, info)]
        raise error
    body = []
    if "ETag" in wanted:
        body.append(xmlio.element("ETag", info.etag))
    if "Checksum" in wanted and info.checksum:
        checksum = info.checksum
        fields = [(_element(checksum["algorithm"]), checksum["value"])]
        fields.append(("ChecksumType", checksum["type"]))
        body.append(f"<Checksum>{xmlio.elements(fields)}</Checksum>")
    if "ObjectParts" in wanted and info.parts:
        body.append(_object_parts(ctx, info))
    if "StorageClass" in wanted:
        body.append(xmlio.element("StorageClass", "STANDARD"))
    if "ObjectSize" in wanted:
        body.append(xmlio.element("ObjectSize", info.size))
    response = xml_response("GetObjectAttributesResponse", "".join(body))
    response.headers.append(("Last-Modified", xmlio.http_date(info.last_modified)))
    response.headers += version_headers(ctx, info)
    return response


def _wanted(header: str) -> set[str]:
    wanted = {name.strip() for name in header.split(",") if name.strip()}
    if not wanted or wanted - ATTRIBUTES:
        raise S3Error(
            "InvalidArgument",
            "Invalid attribute name specified.",
            ArgumentName="x-amz-object-attributes",
        )
    return wanted


def _object_parts(ctx: Ctx, info: ObjectInfo) -> str:
    parts = info.parts or []
    marker = ctx.query_int("part-number-marker", 0)
    if "x-amz-part-number-marker" in ctx.request.headers:
        marker = int(ctx.request.headers["x-amz-part-number-marker"] or 0)
    max_parts = int(ctx.request.headers.get("x-amz-max-parts") or MAX_PARTS)
    numbered = list(enumerate(parts, start=1))[marker:]
    page, truncated = numbered[:max_parts], len(numbered) > max_parts
    algorithm = (info.checksum or {}).get("algorithm", "")
    items = "".join(
        "<Part>"
        + xmlio.elements(
            [("PartNumber", n), ("Size", size), (_element(algorithm) if value else "", value)]
        )
        + "</Part>"
        for n, (size, value) in page
    )
    head = [
        ("PartsCount", len(parts)),  # TotalPartsCount in the SDKs
        ("PartNumberMarker", marker),
        ("NextPartNumberMarker", page[-1][0] if page else marker),
        ("MaxParts", max_parts),
        ("IsTruncated", xmlio.bool_text(truncated)),
    ]
    return f"<ObjectParts>{xmlio.elements(head)}{items}</ObjectParts>"


def _element(algorithm: str) -> str:
    return "Checksum" + algorithm.upper()
