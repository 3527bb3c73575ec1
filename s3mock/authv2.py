"""SigV2: presigned query URLs (boto3's default ``generate_presigned_url``) and the
``Authorization: AWS KEY:SIGNATURE`` header (``signature_version="s3"``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import unquote_to_bytes

from .authbase import MAX_CLOCK_SKEW, AuthContext, parse_http_date, payload_claim, secret_for
from .errors import S3Error
from .http import S3Request

# Query parameters SigV2 puts in the canonicalised resource (botocore's list).
# fmt: off
SIGV2_SUBRESOURCES = frozenset([
    "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory",
    "lifecycle", "location", "logging", "metrics", "notification", "object-lock", "partNumber",
    "policy", "replication", "requestPayment", "response-cache-control",
    "response-content-disposition", "response-content-encoding", "response-content-language",
    "response-content-type", "response-expires", "restore", "select", "select-type",
    "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
    "versions", "website",
])
# fmt: on


def sigv2_header(
    request: S3Request, header: str, credentials: Mapping[str, str], now: datetime
) -> AuthContext:
    access_key, sep, signature = header[4:].strip().rpartition(":")
    if not sep or not access_key:
        raise S3Error("InvalidArgument", "Authorization header must be 'AWS ACCESS_KEY:SIGNATURE'")
    secret = secret_for(access_key, credentials)
    if "x-amz-date" in request.headers:
        sent_at, date_line = parse_http_date(request.headers["x-amz-date"]), ""
    elif "date" in request.headers:
        sent_at, date_line = parse_http_date(request.headers["date"]), request.headers["date"]
    else:
        raise S3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date")
    if abs(now - sent_at) > MAX_CLOCK_SKEW:
        raise S3Error(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
    _verify_sigv2(request, dict(request.headers), date_line, access_key, secret, signature)
    return AuthContext(access_key, "sigv2-header", payload_claim(request))


def sigv2_query(request: S3Request, credentials: Mapping[str, str], now: datetime) -> AuthContext:
    query = request.query
    missing = [name for name in ("AWSAccessKeyId", "Expires", "Signature") if name not in query]
    if missing:
        raise S3Error("AccessDenied", f"Query-string authentication requires {', '.join(missing)}")
    access_key = query["AWSAccessKeyId"]
    secret = secret_for(access_key, credentials)
    expires = query["Expires"]
    if not expires.isdigit():
        raise S3Error("AccessDenied", "Expires must be a number of seconds since the epoch")
    if now.timestamp() > int(expires):
        raise S3Error("AccessDenied", "Request has expired", Expires=expires)
    # botocore moves x-amz-*, Content-MD5 and Content-Type into the query string.
    headers = {
        name.lower(): value
        for name, value in query.items()
        if name.lower().startswith("x-amz-") or name.lower() in ("content-md5", "content-type")
    }
    headers.update(request.headers)
    # A '+' sent raw in the base64 signature was decoded as a space by parse_qsl.
    signature = query["Signature"].replace(" ", "+")
    _verify_sigv2(request, headers, expires, access_key, secret, signature)
    return AuthContext(access_key, "sigv2-query", payload_claim(request))


def _verify_sigv2(
    request: S3Request,
    headers: Mapping[str, str],
    date_line: str,
    access_key: str,
    secret: str,
    signature: str,
) -> None:
    text = "\n".join(
        [
            request.method,
            headers.get("content-md5", "").strip(),
            headers.get("content-type", "").strip(),
            date_line,
            *_sigv2_amz_headers(headers),
            request.raw_path + _sigv2_subresources(request.query_string),
        ]
    )
    digest = hmac.new(secret.encode(), text.encode("utf-8"), hashlib.sha1).digest()
    if not hmac.compare_digest(base64.b64encode(digest).decode(), signature):
        raise S3Error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided."
            " Check your key and signing method.",
            AWSAccessKeyId=access_key,
            SignatureProvided=signature,
            StringToSign=text,
        )


def _sigv2_amz_headers(headers: Mapping[str, str]) -> list[str]:
    amz = {name: value for name, value in headers.items() if name.startswith("x-amz-")}
    return [f"{name}:{amz[name].strip()}" for name in sorted(amz)]


def _sigv2_subresources(query_string: str) -> str:
    pairs = []
    for item in query_string.split("&"):
        name, sep, value = item.partition("=")
        if name in SIGV2_SUBRESOURCES:
            decoded = unquote_to_bytes(value).decode("utf-8", "surrogateescape")
            pairs.append((name, f"{name}{sep}{decoded}"))
    pairs.sort(key=lambda pair: pair[0])
    return "?" + "&".join(text for _, text in pairs) if pairs else ""
