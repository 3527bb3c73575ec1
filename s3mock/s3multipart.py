"""Multipart upload operations over :mod:`uploads`."""

from __future__ import annotations

import asyncio

from . import xmlio
from .checksums import ALGORITHMS, DEFAULT_ALGORITHM, upload_checksum
from .conditions import check_preconditions, invalid_range, still_holds, write_condition
from .errors import S3Error
from .http import Response
from .records import ObjectInfo
from .s3buckets import owner_xml
from .s3context import Ctx, empty, xml_response
from .s3objects import attrs_from_headers, copy_source, current_object
from .s3versions import version_headers
from .uploads import UploadInfo, check_part_number, is_upload_id

MAX_PARTS = 1000
MAX_UPLOADS = 1000
THREAD_COMPLETE_PARTS = 2  # completing more parts than this runs off the event loop


async def create_upload(ctx: Ctx) -> Response:
    headers = ctx.request.headers
    checksum = upload_checksum(
        headers.get("x-amz-checksum-algorithm"), headers.get("x-amz-checksum-type")
    )
    upload = ctx.store.multipart.create(
        ctx.bucket, ctx.key, attrs_from_headers(headers), ctx.owner, checksum
    )
    fields = [("Bucket", ctx.bucket), ("Key", ctx.key), ("UploadId", upload.upload_id)]
    response = xml_response("InitiateMultipartUploadResult", xmlio.elements(fields))
    if upload.checksum_algorithm:
        response.headers.append(("x-amz-checksum-algorithm", upload.checksum_algorithm.upper()))
        response.headers.append(("x-amz-checksum-type", upload.checksum_type))
    return response


async def upload_part(ctx: Ctx) -> Response:
    upload, number = _upload_and_part(ctx)
    body = ctx.body(upload.checksum_algorithm or None)
    expected, sent = upload.checksum_algorithm, body.sent_algorithm
    if expected and sent and sent != expected:
        raise S3Error(
            "InvalidRequest",
            f"Checksum Type mismatch occurred, expected checksum Type: {expected}, "
            f"actual checksum Type: {sent}",
        )
    part = await ctx.store.multipart.put_part_stream(
        upload, number, body.chunks(), md5_hex=body.md5_hex, checksum=body.stored_checksum
    )
    return empty(200, [("ETag", f'"{part.etag}"'), *body.checksum_headers()])


async def upload_part_copy(ctx: Ctx) -> Response:
    upload, number = _upload_and_part(ctx)
    src_bucket, src_key, src_version = copy_source(ctx)
    source = ctx.store.head_object(src_bucket, src_key, src_version)
    if source.delete_marker:
        raise S3Error("InvalidRequest", "The source of a copy request may not be a delete marker.")
    check_preconditions(ctx.request.headers, source, prefix="x-amz-copy-source-")
    byte_range = _copy_range(ctx.request.headers.get("x-amz-copy-source-range"), source.size)
    part = await asyncio.to_thread(
        ctx.store.multipart.copy_part, upload, number, src_bucket, src_key, byte_range, src_version
    )
    fields = [("ETag", f'"{part.etag}"'), ("LastModified", xmlio.iso8601(part.last_modified))]
    return xml_response("CopyPartResult", xmlio.elements(fields))


def _copy_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``bytes=first-last`` (both required, inside the source) as (start, length)."""
    if header is None:
        return None
    first, sep, last = header.removeprefix("bytes=").partition("-")
    if not (sep and first.isdigit() and last.isdigit()) or int(last) < int(first):
        raise S3Error(
            "InvalidArgument",
            "The x-amz-copy-source-range value must be of the form bytes=first-last "
            "where first and last are the zero-based offsets of the first and last bytes to copy",
            ArgumentName="x-amz-copy-source-range",
        )
    if int(last) >= size:
        raise invalid_range(header, size)
    return int(first), int(last) - int(first) + 1


async def complete_upload(ctx: Ctx) -> Response:
    upload_id = ctx.request.query.get("uploadId", "")
    ctx.store.head_bucket(ctx.bucket)
    root = await ctx.xml_body(object_checksums=True)
    if root.tag != "CompleteMultipartUpload":
        raise S3Error("MalformedXML", "The XML you provided was not well-formed.")
    nodes = root.findall("Part")
    requested = [_requested_part(node) for node in nodes]
    if not requested:
        raise S3Error("MalformedXML", "You must specify at least one part.")
    claimed = {
        number: _part_checksums(node) for (number, _), node in zip(requested, nodes, strict=True)
    }
    again = ctx.store.multipart.completed(ctx.bucket, ctx.key, upload_id, requested)
    if again is not None:  # a repeated Complete (a retry) gets the first one's answer
        return _complete_result(ctx, again)
    upload = _upload(ctx)
    algorithm = upload.checksum_algorithm or DEFAULT_ALGORITHM
    expected = ctx.request.headers.get(f"x-amz-checksum-{algorithm}")
    condition = write_condition(ctx.request.headers, ctx.key)
    if condition is not None:  # checked now (412), and again as the object lands (409)
        condition(current_object(ctx))
    args = (upload, requested, claimed, expected, still_holds(condition))
    if len(requested) > THREAD_COMPLETE_PARTS:
        info = await asyncio.to_thread(ctx.store.multipart.complete, *args)
    else:
        info = ctx.store.multipart.complete(*args)
    return _complete_result(ctx, info)


def _complete_result(ctx: Ctx, info: ObjectInfo) -> Response:
    fields = [
        ("Location", f"/{ctx.bucket}/{xmlio.url_encode(ctx.key)}"),
        ("Bucket", ctx.bucket),
        ("Key", ctx.key),
        ("ETag", info.quoted_etag),
    ]
    if info.checksum:
        fields.append((_element(info.checksum["algorithm"]), info.checksum["value"]))
        fields.append(("ChecksumType", info.checksum["type"]))
    response = xml_response("CompleteMultipartUploadResult", xmlio.elements(fields))
    response.headers += version_headers(ctx, info)
    return response


def _element(algorithm: str) -> str:
    """``crc64nvme`` -> ``ChecksumCRC64NVME``, the XML element of a checksum."""
    return "Checksum" + algorithm.upper()


def _part_checksums(node) -> dict[str, str]:
    found = {a: xmlio.child_text(node, _element(a)) for a in ALGORITHMS}
    return {algorithm: value for algorithm, value in found.items() if value}


def _requested_part(node) -> tuple[int, str]:
    number, etag = xmlio.child_text(node, "PartNumber"), xmlio.child_text(node, "ETag")
    if number is None or etag is None or not number.strip().isdigit():
        raise S3Error("MalformedXML", "Each Part needs a PartNumber and an ETag.")
    return int(number), etag


async def abort_upload(ctx: Ctx) -> Response:
    ctx.store.multipart.abort(_upload(ctx))
    return empty(204)


async def list_parts(ctx: Ctx) -> Response:
    upload = _upload(ctx)
    max_parts = ctx.query_int("max-parts", MAX_PARTS, high=MAX_PARTS)
    marker = ctx.query_int("part-number-marker", 0)
    parts = [p for p in ctx.store.multipart.list_parts(upload) if p.number > marker]
    page, truncated = parts[:max_parts], len(parts) > max_parts
    head = [
        ("Bucket", ctx.bucket),
        ("Key", ctx.key),
        ("UploadId", upload.upload_id),
        ("PartNumberMarker", marker),
        ("NextPartNumberMarker", page[-1].number if page else marker),
        ("MaxParts", max_parts),
        ("IsTruncated", xmlio.bool_text(truncated)),
        ("StorageClass", "STANDARD"),
    ]
    items = "".join(
        "<Part>"
        + xmlio.elements(
            [
                ("PartNumber", p.number),
                ("LastModified", xmlio.iso8601(p.last_modified)),
                ("ETag", f'"{p.etag}"'),
                ("Size", p.size),
                *([(_element(p.checksum["algorithm"]), p.checksum["value"])] if p.checksum else []),
            ]
        )
        + "</Part>"
        for p in page
    )
    people = owner_xml(upload.owner, "Initiator") + owner_xml(upload.owner)
    body = xmlio.elements(head) + people + items
    return xml_response("ListPartsResult", body)


def list_uploads(ctx: Ctx) -> Response:
    query = ctx.request.query
    prefix, key_marker = query.get("prefix", ""), query.get("key-marker", "")
    id_marker = query.get("upload-id-marker", "")
    max_uploads = ctx.query_int("max-uploads", MAX_UPLOADS, high=MAX_UPLOADS)
    listed = ctx.store.multipart.list_uploads(ctx.bucket)
    uploads = [u for u in _after_marker(listed, key_marker, id_marker) if u.key.startswith(prefix)]
    page, truncated = uploads[:max_uploads], len(uploads) > max_uploads
    head = [
        ("Bucket", ctx.bucket),
        ("KeyMarker", key_marker),
        ("UploadIdMarker", id_marker),
        ("NextKeyMarker", page[-1].key if truncated else None),
        ("NextUploadIdMarker", page[-1].upload_id if truncated else None),
        ("Prefix", prefix),
        ("MaxUploads", max_uploads),
        ("IsTruncated", xmlio.bool_text(truncated)),
    ]
    items = "".join(_upload_xml(u) for u in page)
    return xml_response("ListMultipartUploadsResult", xmlio.elements(head) + items)


def _after_marker(uploads: list[UploadInfo], key_marker: str, id_marker: str) -> list[UploadInfo]:
    """The uploads listed after the markers. Uploads of one key are listed by initiation
    time, not by id, so the upload-id marker is a position in the listing: comparing ids
    would skip or repeat some of a key's uploads across pages."""
    if not key_marker:
        return uploads
    later = [u for u in uploads if u.key > key_marker]
    same = [u for u in uploads if u.key == key_marker]
    ids = [u.upload_id for u in same]
    if not id_marker:
        return later
    if id_marker in ids:
        return same[ids.index(id_marker) + 1 :] + later
    return [u for u in same if u.upload_id > id_marker] + later


def _upload_xml(upload: UploadInfo) -> str:
    people = owner_xml(upload.owner, "Initiator") + owner_xml(upload.owner)
    fields = [
        ("Key", upload.key),
        ("UploadId", upload.upload_id),
        ("StorageClass", "STANDARD"),
        ("Initiated", xmlio.iso8601(upload.initiated)),
    ]
    return f"<Upload>{xmlio.elements(fields)}{people}</Upload>"


def _upload(ctx: Ctx) -> UploadInfo:
    upload_id = ctx.request.query.get("uploadId", "")
    if not is_upload_id(upload_id):
        raise S3Error("NoSuchUpload", "The specified upload does not exist.", UploadId=upload_id)
    return ctx.store.multipart.get(ctx.bucket, ctx.key, upload_id)


def _upload_and_part(ctx: Ctx) -> tuple[UploadInfo, int]:
    number = ctx.query_int("partNumber", 0)
    upload = _upload(ctx)
    check_part_number(number)
    return upload, number
