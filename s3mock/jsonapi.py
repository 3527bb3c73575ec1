"""The original mock's JSON file API, served beside the S3 protocol.

Kept so tools written against the original mock keep working. The caller is the
email in ``Authorization: Bearer <email>``: a development convenience, not
security; what it does guarantee is that one email never sees another's files,
because every key is checked against the caller's ``users/{email}/`` prefix.
Files live as ordinary objects in one bucket, so the S3 side sees them too; the
original filename and owner ride in object metadata, user tags in object tags.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote, unquote

from .errors import S3Error
from .http import Response, S3Request

MAX_REQUEST_BYTES = 100 * 1024 * 1024  # base64 of a 75 MiB file
MAX_FILENAME_CHARS = 120
MAX_FILENAME_BYTES = 240
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE = 10, 128, 256  # the S3 object tag limits
EMAIL_RE = re.compile(r"^[^\s/\\@]{1,64}@[^\s/\\@]{1,189}$")
TOTAL_COUNT_HEADER = "X-Total-Count"  # GET /files: every matching file, before the limit
META_FILENAME = "original-filename"  # percent-encoded: metadata travels as HTTP headers


class ApiError(Exception):
    """A JSON error response: ``{"error": {"code": ..., "message": ...}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FileStore(Protocol):
    """The part of :class:`s3mock.store.Store` this API uses."""

    def ensure_bucket(self, name: str, owner: str) -> Any: ...
    def put_object_bytes(self, bucket: str, key: str, data: bytes, **kwargs: Any) -> Any: ...
    def head_object(self, bucket: str, key: str) -> Any: ...
    def read_object_bytes(self, bucket: str, key: str) -> bytes: ...
    def delete_object(self, bucket: str, key: str) -> None: ...
    def iter_objects(self, bucket: str, prefix: str = "") -> Any: ...


@dataclass
class _Call:
    request: S3Request
    store: FileStore
    bucket: str

    def caller(self) -> str:
        header = self.request.headers.get("authorization", "")
        scheme, _, email = header.partition(" ")
        email = email.strip()
        if scheme.lower() != "bearer" or not email:
            raise ApiError(401, "not_authenticated", "Send 'Authorization: Bearer <email>'.")
        if not EMAIL_RE.match(email) or any(unicodedata.category(c)[0] == "C" for c in email):
            raise ApiError(401, "authentication_failed", "The bearer token is not an email.")
        return email


async def handle(
    request: S3Request, store: FileStore, *, bucket: str, default_owner: str
) -> Response:
    """Serve one JSON API request; every failure becomes a JSON error body."""
    try:
        return await _route(request, store, bucket, default_owner)
    except UnicodeDecodeError:
        return _error(ApiError(400, "invalid", "The path is not valid UTF-8 once decoded."))
    except ApiError as error:
        return _error(error)
    except S3Error as error:
        return _error(_from_s3_error(error))


async def _route(request: S3Request, store: FileStore, bucket: str, owner: str) -> Response:
    path, method = request.path.rstrip("/") or "/", request.method
    if path == "/health":
        _allow(method, "GET", "HEAD")
        return _json(200, {"status": "ok", "service": "s3mock", "bucket": bucket})
    call = _Call(request, store, bucket)
    if path == "/files":
        _allow(method, "GET", "POST")
        store.ensure_bucket(bucket, owner)
        return await (_upload(call) if method == "POST" else _list(call))
    if path.startswith("/files/"):
        _allow(method, "GET", "DELETE")
        store.ensure_bucket(bucket, owner)
        key = request.path[len("/files/") :]
        return _download(call, key) if method == "GET" else _delete(call, key)
    match = re.fullmatch(r"/users/(?P<email>[^/]+)/files/stats", path)
    if match:
        _allow(method, "GET")
        store.ensure_bucket(bucket, owner)
        return _stats(call, match["email"])
    raise ApiError(404, "not_found", f"No JSON API route for {request.path!r}.")


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise ApiError(405, "method_not_allowed", f"Use {' or '.join(allowed)} here.")


# --- routes ----------------------------------------------------------------------


async def _upload(call: _Call) -> Response:
    email = call.caller()
    payload = _parse_upload(await _read_json(call.request))
    source = "generated" if payload.tags.get("source") == "tool" else "uploads"
    key = f"users/{email}/{source}/{_timestamp()}_{uuid.uuid4().hex[:8]}_"
    key += safe_filename(payload.filename)
    metadata = {META_FILENAME: quote(payload.filename, safe="")}
    info = call.store.put_object_bytes(
        call.bucket,
        key,
        payload.content,
        content_type=payload.content_type,
        metadata=metadata,
        tags=payload.tags,
    )
    return _json(201, _describe(info))


async def _list(call: _Call) -> Response:
    email = call.caller()
    query = call.request.query
    file_type = query.get("file_type", "")
    folders = {"": ("uploads", "generated"), "user": ("uploads",), "tool": ("generated",)}
    if file_type not in folders:
        raise ApiError(400, "invalid", "file_type must be 'user' or 'tool'.")
    limit = _parse_limit(query.get("limit"))
    found = [
        info
        for folder in folders[file_type]
        for info in call.store.iter_objects(call.bucket, f"users/{email}/{folder}/")
    ]
    found.sort(key=lambda info: (info.last_modified, info.key), reverse=True)
    files = [_describe(info) for info in found[:limit]]
    response = _json(200, files)  # a bare list, as the original mock answered
    response.headers.append((TOTAL_COUNT_HEADER, str(len(found))))
    return response


def _download(call: _Call, key: str) -> Response:
    _check_owner(call.caller(), key)
    info = call.store.head_object(call.bucket, key)
    data = call.store.read_object_bytes(call.bucket, key)
    body = _describe(info)
    body["content_base64"] = base64.b64encode(data).decode("ascii")
    return _json(200, body)


def _delete(call: _Call, key: str) -> Response:
    _check_owner(call.caller(), key)
    call.store.head_object(call.bucket, key)  # NoSuchKey -> 404
    call.store.delete_object(call.bucket, key)
    return _json(200, {"key": key, "deleted": True})


def _stats(call: _Call, email: str) -> Response:
    if email != call.caller():
        raise ApiError(403, "forbidden", "You can only see your own statistics.")
    uploads = list(call.store.iter_objects(call.bucket, f"users/{email}/uploads/"))
    generated = list(call.store.iter_objects(call.bucket, f"users/{email}/generated/"))
    stats = {
        "total_files": len(uploads) + len(generated),
        "total_size": sum(info.size for info in [*uploads, *generated]),
        "upload_count": len(uploads),
        "generated_count": len(generated),
    }
    return _json(200, stats)


# --- parsing and shaping ----------------------------------------------------------------


@dataclass
class _Upload:
    filename: str
    content: bytes
    content_type: str
    tags: dict[str, str]


async def _read_json(request: S3Request) -> Any:
    parts, size = [], 0
    async for piece in request.raw_body():
        size += len(piece)
        if size > MAX_REQUEST_BYTES:
            raise ApiError(413, "file_too_large", f"The request exceeds {MAX_REQUEST_BYTES} bytes.")
        parts.append(piece)
    try:
        return json.loads(b"".join(parts))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "invalid", "The request body is not valid JSON.") from None


def _parse_upload(payload: Any) -> _Upload:
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid", "The request body must be a JSON object.")
    filename = _string_field(payload, "filename", required=True)
    encoded = _string_field(payload, "content_base64", required=True, allow_empty=True)
    guessed = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    content_type = _string_field(payload, "content_type") or guessed
    return _Upload(filename, _strict_b64decode(encoded), content_type, _parse_tags(payload))


def _string_field(
    payload: dict[str, Any], name: str, *, required: bool = False, allow_empty: bool = False
) -> str:
    value = payload.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, "invalid", f"'{name}' is required and must be a string.")
    if not value and not allow_empty:
        raise ApiError(400, "invalid", f"'{name}' must not be empty.")
    return value


def _strict_b64decode(text: str) -> bytes:
    """Standard alphabet, correct padding, no whitespace: anything else is a client bug."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise ApiError(400, "invalid_base64", "content_base64 is not valid base64.") from None


def _parse_tags(payload: dict[str, Any]) -> dict[str, str]:
    tags = payload.get("tags")
    if tags is None:
        return {}
    if not isinstance(tags, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
    ):
        raise ApiError(400, "invalid", "'tags' must be an object of string keys to string values.")
    if len(tags) > MAX_TAGS:
        raise ApiError(400, "invalid", f"At most {MAX_TAGS} tags are allowed.")
    for name, value in tags.items():
        if not 0 < len(name) <= MAX_TAG_KEY or len(value) > MAX_TAG_VALUE:
            raise ApiError(
                400,
                "invalid",
                f"Tag keys need 1-{MAX_TAG_KEY} characters, values at most {MAX_TAG_VALUE}.",
            )
    return dict(tags)


def _parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "invalid", f"limit must be an integer from 1 to {MAX_LIMIT}.")
    return int(raw)


def safe_filename(name: str) -> str:
    """A key-safe version of a user's filename: spaces and separators become ``_`` (as
    in the original mock), no ``..`` or control characters, bounded, unicode kept,
    never empty."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        "_" if c in "/\\\t" or unicodedata.category(c) == "Zs" else c
        for c in name
        if c == "\t" or unicodedata.category(c)[0] != "C"
    )
    while ".." in name:
        name = name.replace("..", ".")
    name = name.strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    while stem and (
        len(stem + suffix) > MAX_FILENAME_CHARS
        or len((stem + suffix).encode()) > MAX_FILENAME_BYTES
    ):
        stem = stem[:-1]
    name = (stem.rstrip(" .") + suffix).strip(" .")
    return name or "file"


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d_%H%M%S")


def _check_owner(email: str, key: str) -> None:
    if not key.startswith(f"users/{email}/"):
        raise ApiError(403, "forbidden", "That file belongs to someone else.")


def _describe(info: Any) -> dict[str, Any]:
    metadata = info.metadata or {}
    filename = metadata.get(META_FILENAME)
    return {
        "key": info.key,
        "filename": unquote(filename) if filename else info.key.rsplit("/", 1)[-1],
        "size": info.size,
        "content_type": info.content_type,
        "last_modified": info.last_modified.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "etag": info.etag,
        "tags": dict(info.tags or {}),
        "user_email": info.key.split("/")[1],  # the layout guarantees users/{email}/
    }


def _from_s3_error(error: S3Error) -> ApiError:
    if error.code in ("NoSuchKey", "NoSuchBucket"):
        return ApiError(404, "not_found", "File not found.")
    if error.status >= 500:
        return ApiError(error.status, "storage_error", error.message)
    return ApiError(error.status, "invalid", error.message)


def _json(status: int, body: dict[str, Any] | list[Any]) -> Response:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return Response(status, [("content-type", "application/json")], data)


def _error(error: ApiError) -> Response:
    return error_response(error.status, error.code, error.message)


def error_response(status: int, code: str, message: str) -> Response:
    """The JSON API's error shape: ``{"error": {"code": ..., "message": ...}}``."""
    return _json(status, {"error": {"code": code, "message": message}})
