"""POST object: a browser form upload (``multipart/form-data``) authorised by a SigV4
policy document, as ``generate_presigned_post`` makes them.

The form's fields come first and the ``file`` last (S3 requires it), so every field is
known, the signature checked and the policy's conditions applied before the first
byte of the file is written; ``content-length-range`` is checked when the file ends,
before the object is published. The form is parsed by ``python-multipart``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from python_multipart.multipart import MultipartParser, parse_options_header

from . import xmlio
from .acl import allows
from .auth import ALGORITHM, signing_key
from .errors import S3Error
from .http import Response, S3Request
from .s3acl import canned_from_headers
from .s3objects import attrs_from_headers
from .store import Store

MAX_FIELD_BYTES = 20 * 1024
IGNORED_FIELDS = ("policy", "x-amz-signature", "file")
SIGNATURE_FIELDS = ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-security-token")


def is_post_object(request: S3Request) -> bool:
    """A POST to a bucket (no key, no subresource) with a form body."""
    content_type = request.headers.get("content-type", "")
    return (
        request.method == "POST"
        and content_type.lower().startswith("multipart/form-data")
        and not request.query
    )


class _Form:
    """Collects fields, then streams the file into a writer once the policy allows it."""

    def __init__(self, start_file) -> None:
        self.fields: dict[str, str] = {}
        self._start_file = start_file
        self._name = ""
        self._filename = ""
        self._value = bytearray()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self.writer: Any = None
        self.file_seen = False
        self.file_content_type = ""

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda d, s, e: self._header_field.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers, self._value = {}, bytearray()

    def _header_end(self) -> None:
        name = self._header_field.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.decode("utf-8", "replace")
        self._header_field, self._header_value = bytearray(), bytearray()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace").lower()
        self._filename = params.get(b"filename", b"").decode("utf-8", "replace")
        if self._name == "file":
            if self.file_seen:
                raise S3Error("InvalidArgument", "POST requires exactly one file upload.")
            self.file_seen = True
            self.file_content_type = self._headers.get("content-type", "")
            self.writer = self._start_file(self.fields, self._filename)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._name == "file":
            self.writer.write(data[start:end])
            return
        if self.file_seen:
            raise S3Error("InvalidArgument", "The file must be the last field of the form.")
        self._value.extend(data[start:end])
        if len(self._value) > MAX_FIELD_BYTES:
            raise S3Error("MaxPostPreDataLengthExceeded", "Your POST request fields are too large.")

    def _part_end(self) -> None:
        if self._name != "file":
            self.fields[self._name] = self._value.decode("utf-8", "replace")


async def post_object(
    request: S3Request, store: Store, credentials: Mapping[str, str], region: str, bucket: str
) -> Response:
    """Verify the policy, store the file, answer as success_action_* asks."""
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise S3Error("MalformedPOSTRequest", "The body of your POST request is not well-formed.")
    store.head_bucket(bucket)
    checked: dict[str, Any] = {}

    def start_file(fields: dict[str, str], filename: str):
        policy = _verify(fields, credentials, region, bucket, store)
        key = fields.get("key", "").replace("${filename}", filename)
        if not key:
            raise S3Error("InvalidArgument", "Bucket POST must contain a field named 'key'.")
        fields["key"] = key
        _check_conditions(policy, fields, bucket)
        checked.update(policy=policy, key=key)
        return store.object_writer(bucket, key)

    form = _Form(start_file)
    parser = MultipartParser(boundary, form.callbacks())
    try:
        async for chunk in request.raw_body():
            parser.write(chunk)
        parser.finalize()
        if form.writer is None:
            raise S3Error("InvalidArgument", "POST requires exactly one file upload.")
        _check_length(checked["policy"], form.writer.size)
        headers = {"content-type": form.file_content_type, **_as_headers(form.fields)}
        attrs = attrs_from_headers({n: v for n, v in headers.items() if v})
        info = store.commit_object(bucket, form.writer, checked["key"], attrs)
    finally:
        if form.writer is not None:
            form.writer.discard()
    return _success(form.fields, bucket, info.key, info.quoted_etag)


def _verify(
    fields: dict[str, str], credentials: Mapping[str, str], region: str, bucket: str, store: Store
) -> dict[str, Any]:
    policy_b64, signature = fields.get("policy", ""), fields.get("x-amz-signature", "")
    if fields.get("x-amz-algorithm") != ALGORITHM or not policy_b64 or not signature:
        raise S3Error("AccessDenied", "Bucket POST must be signed with AWS4-HMAC-SHA256.")
    parts = fields.get("x-amz-credential", "").split("/")
    if len(parts) != 5 or parts[2] != region or parts[3] != "s3":
        raise S3Error("AccessDenied", "The x-amz-credential field is malformed.")
    secret = credentials.get(parts[0])
    if secret is None:
        raise S3Error("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist.")
    key = signing_key(secret, parts[1], parts[2], parts[3])
    expected = hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise S3Error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    owner = store.head_bucket(bucket).owner
    acl = store.bucket_setting(bucket, "acl", "private")
    if owner != parts[0] and not allows(acl, "WRITE", anonymous=False):
        raise S3Error("AccessDenied", "Access Denied", BucketName=bucket)
    try:
        policy = json.loads(base64.b64decode(policy_b64, validate=True))
        expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise S3Error("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
    if expiration <= datetime.now(UTC):
        raise S3Error("AccessDenied", "Invalid according to Policy: Policy expired.")
    return policy


def _check_conditions(policy: dict[str, Any], fields: dict[str, str], bucket: str) -> None:
    values = {**fields, "bucket": bucket}
    covered = {"bucket"}
    for condition in policy.get("conditions", []):
        if isinstance(condition, dict):
            for name, value in condition.items():
                covered.add(name.lower())
                _require(values.get(name.lower()) == value, condition)
        elif isinstance(condition, list) and len(condition) == 3:
            operator, name, value = condition
            if str(operator).lower() == "content-length-range":
                continue
            field = str(name).lstrip("$").lower()
            covered.add(field)
            actual = values.get(field, "")
            if str(operator).lower() == "eq":
                _require(actual == value, condition)
            elif str(operator).lower() == "starts-with":
                _require(actual.startswith(str(value)), condition)
            else:
                raise S3Error("InvalidPolicyDocument", f"Invalid Policy: unknown {operator}.")
        else:
            raise S3Error("InvalidPolicyDocument", "Invalid Policy: a condition is malformed.")
    extra = [
        name
        for name in fields
        if name not in covered
        and name not in IGNORED_FIELDS
        and not name.startswith("x-ignore-")
        and name not in SIGNATURE_FIELDS
    ]
    if extra:
        raise S3Error(
            "AccessDenied",
            f"Invalid according to Policy: Extra input fields: {', '.join(sorted(extra))}",
        )


def _require(ok: bool, condition: Any) -> None:
    if not ok:
        raise S3Error(
            "AccessDenied",
            f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}",
        )


def _check_length(policy: dict[str, Any], size: int) -> None:
    for condition in policy.get("conditions", []):
        if isinstance(condition, list) and str(condition[0]).lower() == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if size < low:
                raise S3Error("EntityTooSmall", "Your proposed upload is smaller than allowed.")
            if size > high:
                raise S3Error("EntityTooLarge", "Your proposed upload exceeds the maximum allowed.")


def _as_headers(fields: dict[str, str]) -> dict[str, str]:
    """The form fields S3 treats like a PUT's headers (metadata, type, ACL, tags)."""
    headers = {n: v for n, v in fields.items() if n.startswith("x-amz-meta-")}
    for name in ("content-type", "cache-control", "content-disposition", "content-encoding"):
        if fields.get(name):
            headers[name] = fields[name]
    if "acl" in fields:
        headers["x-amz-acl"] = canned_from_headers({"x-amz-acl": fields["acl"]})
    return headers


def _success(fields: dict[str, str], bucket: str, key: str, etag: str) -> Response:
    location = f"/{bucket}/{quote(key)}"
    headers = [("ETag", etag), ("Location", location)]
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    if redirect:
        query = urlencode({"bucket": bucket, "key": key, "etag": etag})
        joiner = "&" if "?" in redirect else "?"
        return Response(303, [("ETag", etag), ("Location", f"{redirect}{joiner}{query}")], b"")
    status = fields.get("success_action_status", "204")
    if status == "201":
        body = xmlio.elements(
            [("Location", location), ("Bucket", bucket), ("Key", key), ("ETag", etag)]
        )
        document = f"{xmlio.DECLARATION}<PostResponse>{body}</PostResponse>".encode()
        return Response(201, [*headers, ("Content-Type", "application/xml")], document)
    return Response(200 if status == "200" else 204, headers, b"")
