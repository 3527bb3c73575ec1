"""Object operations: put, get, head, delete (one and many), copy, tagging."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from urllib.parse import parse_qsl, unquote

from . import xmlio
from .checksums import DEFAULT_ALGORITHM
from .conditions import NOT_MODIFIED, check_preconditions, still_holds, write_condition
from .errors import S3Error
from .http import Response
from .records import DEFAULT_CONTENT_TYPE, SYSTEM_HEADERS, ObjectAttrs, ObjectInfo, OpenObject
from .s3acl import canned_from_headers
from .s3attributes import read_range
from .s3context import Ctx, empty, xml_response
from .s3versions import version_headers
from .validation import check_key, check_tags

MAX_DELETE_KEYS = 1000
THREAD_COPY_BYTES = 8 * 1024 * 1024  # copies above this run off the event loop
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-disposition": "Content-Disposition",
    "response-cache-control": "Cache-Control",
    "response-content-encoding": "Content-Encoding",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
}


# --- put -------------------------------------------------------------------------


async def put_object(ctx: Ctx) -> Response:
    attrs = attrs_from_headers(ctx.request.headers)
    condition = write_condition(ctx.request.headers, ctx.key)
    if condition is not None:  # checked now (412), and again as the write lands (409)
        condition(current_object(ctx))
    body = ctx.body(DEFAULT_ALGORITHM)
    info = await ctx.store.put_object_stream(
        ctx.bucket,
        ctx.key,
        body.chunks(),
        attrs,
        md5_hex=body.md5_hex,
        checksum=body.stored_checksum,
        precondition=still_holds(condition),
    )
    headers = [("ETag", info.quoted_etag), *body.checksum_headers()]
    return empty(200, headers + version_headers(ctx, info))


def current_object(ctx: Ctx) -> ObjectInfo | None:
    try:
        return ctx.store.head_object(ctx.bucket, ctx.key)
    except S3Error as error:
        if error.code != "NoSuchKey":
            raise
        return None


def attrs_from_headers(headers: Mapping[str, str]) -> ObjectAttrs:
    """What a PUT (or CreateMultipartUpload, or a REPLACE copy) sets on the object."""
    metadata = {
        name[len("x-amz-meta-") :]: value
        for name, value in headers.items()
        if name.startswith("x-amz-meta-")
    }
    system = {name: headers[name] for name in SYSTEM_HEADERS if name in headers}
    encoding = _without_aws_chunked(system.pop("content-encoding", ""))
    if encoding:
        system["content-encoding"] = encoding
    content_type = headers.get("content-type") or DEFAULT_CONTENT_TYPE
    acl = canned_from_headers(headers)
    return ObjectAttrs(content_type, metadata, system, tags_from_header(headers), acl)


def _without_aws_chunked(encoding: str) -> str:
    """aws-chunked describes the transfer, not the object, so S3 does not store it.

    Any other value is kept exactly as sent (``gzip, br`` stays ``gzip, br``).
    """
    parts = [part.strip() for part in encoding.split(",")]
    if "aws-chunked" not in (part.lower() for part in parts):
        return encoding.strip()
    return ", ".join(part for part in parts if part and part.lower() != "aws-chunked")


def tags_from_header(headers: Mapping[str, str]) -> dict[str, str]:
    raw = headers.get("x-amz-tagging")
    if not raw:
        return {}
    return check_tags(parse_qsl(raw, keep_blank_values=True))


# --- get and head ----------------------------------------------------------------


async def head_object(ctx: Ctx) -> Response:
    version_id = ctx.request.query.get("versionId")
    info = _live_or_marker(ctx, lambda: ctx.store.head_object(ctx.bucket, ctx.key, version_id))
    if info.delete_marker:
        raise _marker_not_allowed(ctx, info)
    status = check_preconditions(ctx.request.headers, info)
    if status == NOT_MODIFIED:
        return _not_modified(info)
    byte_range, part_headers = read_range(ctx, info)
    headers = object_headers(info, ctx.request.query) + version_headers(ctx, info) + part_headers
    return empty(*_with_range(headers, byte_range, info.size))


def _live_or_marker(ctx: Ctx, read):
    """Run ``read``; a NoSuchKey hidden by a delete marker says so in its headers."""
    try:
        return read()
    except S3Error as error:
        marker = ctx.store.latest_marker(ctx.bucket, ctx.key) if error.code == "NoSuchKey" else None
        if marker is not None:
            error.headers = [("x-amz-delete-marker", "true"), *version_headers(ctx, marker)]
        raise


def _marker_not_allowed(ctx: Ctx, marker: ObjectInfo) -> S3Error:
    error = S3Error(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        Method=ctx.request.method,
        ResourceType="DeleteMarker",
    )
    error.headers = [("x-amz-delete-marker", "true"), *version_headers(ctx, marker)]
    return error


async def get_object(ctx: Ctx) -> Response:
    version_id = ctx.request.query.get("versionId")
    if version_id is not None:
        wanted = ctx.store.head_object(ctx.bucket, ctx.key, version_id)
        if wanted.delete_marker:
            raise _marker_not_allowed(ctx, wanted)
    opened = _live_or_marker(ctx, lambda: ctx.store.open_object(ctx.bucket, ctx.key, version_id))
    try:
        info = opened.info
        status = check_preconditions(ctx.request.headers, info)
        if status == NOT_MODIFIED:
            opened.close()
            return _not_modified(info)
        byte_range, part_headers = read_range(ctx, info)
    except BaseException:
        opened.close()
        raise
    headers = object_headers(info, ctx.request.query) + version_headers(ctx, info) + part_headers
    status, headers = _with_range(headers, byte_range, info.size)
    start, length = byte_range or (0, info.size)
    return Response(status, headers, _stream(opened, start, length))


async def _stream(opened: OpenObject, start: int, length: int) -> AsyncIterator[bytes]:
    """Stream from the pinned file in 1 MiB reads (page-cache fast, so no thread)."""
    try:
        for chunk in opened.iter_range(start, length):
            yield chunk
    finally:
        opened.close()


def object_headers(info: ObjectInfo, query: Mapping[str, str]) -> list[tuple[str, str]]:
    headers = [
        ("Content-Type", info.content_type),
        ("ETag", info.quoted_etag),
        ("Last-Modified", xmlio.http_date(info.last_modified)),
        ("Accept-Ranges", "bytes"),
    ]
    headers.extend((_title(name), value) for name, value in info.headers.items())
    headers.extend((f"x-amz-meta-{name}", value) for name, value in info.metadata.items())
    if info.tags:
        headers.append(("x-amz-tagging-count", str(len(info.tags))))
    overrides = {RESPONSE_OVERRIDES[n]: v for n, v in query.items() if n in RESPONSE_OVERRIDES}
    if overrides:
        headers = [(n, v) for n, v in headers if n not in overrides]
        headers.extend(overrides.items())
    return headers


def _with_range(
    headers: list[tuple[str, str]], byte_range: tuple[int, int] | None, size: int
) -> tuple[int, list[tuple[str, str]]]:
    if byte_range is None:
        return 200, [*headers, ("Content-Length", str(size))]
    start, length = byte_range
    content_range = f"bytes {start}-{start + length - 1}/{size}"
    return 206, [*headers, ("Content-Length", str(length)), ("Content-Range", content_range)]


def _not_modified(info: ObjectInfo) -> Response:
    last_modified = xmlio.http_date(info.last_modified)
    return empty(304, [("ETag", info.quoted_etag), ("Last-Modified", last_modified)])


def _title(header: str) -> str:
    return "-".join(word.capitalize() for word in header.split("-"))


# --- delete ----------------------------------------------------------------------


async def delete_object(ctx: Ctx) -> Response:
    outcome = ctx.store.delete_object(ctx.bucket, ctx.key, ctx.request.query.get("versionId"))
    headers = []
    if outcome.delete_marker:
        headers.append(("x-amz-delete-marker", "true"))
    if outcome.version_id is not None:
        headers.append(("x-amz-version-id", outcome.version_id))
    return empty(204, headers)


async def delete_objects(ctx: Ctx) -> Response:
    root = await ctx.xml_body()
    if root.tag != "Delete":
        raise S3Error("MalformedXML", "The XML you provided was not well-formed.")
    quiet = (xmlio.child_text(root, "Quiet", "false") or "").strip().lower() == "true"
    objects = [
        (xmlio.child_text(node, "Key"), xmlio.child_text(node, "VersionId"))
        for node in root.findall("Object")
    ]
    if not objects or len(objects) > MAX_DELETE_KEYS or any(k is None for k, _ in objects):
        raise S3Error("MalformedXML", "The XML you provided was not well-formed.")
    results = [_delete_one(ctx, key, version, quiet) for key, version in objects]
    return xml_response("DeleteResult", "".join(results))


def _delete_one(ctx: Ctx, key: str, version_id: str | None, quiet: bool) -> str:
    try:
        check_key(key)
        outcome = ctx.store.delete_object(ctx.bucket, key, version_id)
    except S3Error as error:
        fields = [("Key", key), ("VersionId", version_id)]
        fields += [("Code", error.code), ("Message", error.message)]
        return f"<Error>{xmlio.elements(fields)}</Error>"
    if quiet:
        return ""
    fields = [("Key", key), ("VersionId", version_id)]
    if outcome.delete_marker:
        fields.append(("DeleteMarker", "true"))
        fields.append(("DeleteMarkerVersionId", outcome.version_id))
    return f"<Deleted>{xmlio.elements(fields)}</Deleted>"


# --- copy ------------------------------------------------------------------------


async def copy_object(ctx: Ctx) -> Response:
    headers = ctx.request.headers
    src_bucket, src_key, src_version = copy_source(ctx)
    directive = _directive(headers, "x-amz-metadata-directive")
    tag_directive = _directive(headers, "x-amz-tagging-directive")
    same = (src_bucket, src_key) == (ctx.bucket, ctx.key) and src_version is None
    if same and directive != "REPLACE":
        raise S3Error(
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect "
            "location or encryption attributes.",
        )
    requested = attrs_from_headers(headers)

    def attrs_for(source: ObjectInfo) -> ObjectAttrs:
        check_preconditions(headers, source, prefix="x-amz-copy-source-")
        kept = ObjectAttrs(source.content_type, source.metadata, source.headers, source.tags)
        chosen = requested if directive == "REPLACE" else kept
        tags = requested.tags if tag_directive == "REPLACE" else source.tags
        return ObjectAttrs(
            chosen.content_type, chosen.metadata, chosen.headers, tags, requested.acl
        )

    source = ctx.store.head_object(src_bucket, src_key, src_version)
    if source.delete_marker:
        raise S3Error("InvalidRequest", "The source of a copy request may not be a delete marker.")
    args = (src_bucket, src_key, ctx.bucket, ctx.key, attrs_for, src_version)
    info = await _maybe_threaded(source.size, ctx.store.copy_object, *args)
    fields = [("ETag", info.quoted_etag), ("LastModified", xmlio.iso8601(info.last_modified))]
    response = xml_response("CopyObjectResult", xmlio.elements(fields))
    response.headers += version_headers(ctx, info)
    if src_version is not None:
        response.headers.append(("x-amz-copy-source-version-id", source.version_id))
    return response


def copy_source(ctx: Ctx) -> tuple[str, str, str | None]:
    """Parse ``x-amz-copy-source`` (``/bucket/key?versionId=..``, URL-encoded)."""
    raw, _, query = ctx.request.headers["x-amz-copy-source"].partition("?")
    version_id = dict(parse_qsl(query)).get("versionId") if query else None
    try:
        decoded = unquote(raw, errors="strict").lstrip("/")
    except UnicodeDecodeError:
        decoded = ""
    bucket, _, key = decoded.partition("/")
    if not bucket or not key:
        raise S3Error(
            "InvalidArgument",
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            ArgumentName="x-amz-copy-source",
        )
    check_key(key)
    ctx.own_bucket(bucket)
    return bucket, key, version_id


def _directive(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name, "COPY").upper()
    if value not in ("COPY", "REPLACE"):
        raise S3Error("InvalidArgument", f"Unknown {name}", ArgumentName=name)
    return value


async def _maybe_threaded(size: int, func, *args):
    """Run a copy inline when small, in a thread when its size would stall the loop."""
    if size > THREAD_COPY_BYTES:
        return await asyncio.to_thread(func, *args)
    return func(*args)


# --- tagging ---------------------------------------------------------------------


async def get_tagging(ctx: Ctx) -> Response:
    return xml_response("Tagging", xmlio.tag_set(ctx.store.get_tags(ctx.bucket, ctx.key)))


async def put_tagging(ctx: Ctx) -> Response:
    pairs = xmlio.tag_pairs(await ctx.xml_body())
    ctx.store.put_tags(ctx.bucket, ctx.key, check_tags(pairs))
    return empty(200)


async def delete_tagging(ctx: Ctx) -> Response:
    ctx.store.delete_tags(ctx.bucket, ctx.key)
    return empty(204)
