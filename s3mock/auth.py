"""Who sent this request? Verify the signatures S3 clients put on requests.

Supported, because boto3 and django-storages produce them:

* SigV4 in the ``Authorization`` header (every boto3 call with ``s3v4``),
* SigV4 presigned query auth (``generate_presigned_url`` with ``s3v4``),
* SigV2 query auth (``generate_presigned_url`` with the default signature version)
  and SigV2 in the header (``signature_version="s3"``).

Region policy: the credential scope must name the configured region and the ``s3``
service, as AWS enforces. Accepting any region would let a misconfigured
``S3_REGION`` pass here and fail only in production.

Canonicalisation: S3 signs the path exactly once-encoded and never normalises it.
We first build the canonical request the AWS way (decode, then re-encode every
segment), and only if that fails try the path and query exactly as sent; both
forms decode to the same key the handlers see, so accepting either cannot let a
signature cover a different request.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

from .authbase import (
    ALGORITHM,
    AMZ_DATE_FORMAT,
    ANONYMOUS,
    MAX_CLOCK_SKEW,
    MAX_PRESIGN_EXPIRES,
    SERVICE,
    UNSIGNED_PAYLOAD,
    AuthContext,
    parse_http_date,
    payload_claim,
    secret_for,
)
from .authv2 import sigv2_header, sigv2_query
from .errors import S3Error
from .http import S3Request

__all__ = ["ANONYMOUS", "UNSIGNED_PAYLOAD", "AuthContext", "authenticate", "signing_key"]


def parse_credentials(spec: str) -> dict[str, str]:
    """Parse ``S3MOCK_CREDENTIALS`` ("ACCESS:SECRET,ACCESS2:SECRET2")."""
    credentials: dict[str, str] = {}
    for index, entry in enumerate(spec.split(","), start=1):
        entry = entry.strip()
        if not entry:
            continue
        access, sep, secret = (part.strip() for part in entry.partition(":"))
        if not sep or not access or not secret:
            raise ValueError(
                f"S3MOCK_CREDENTIALS entry {index} ({entry!r}) must look like"
                " ACCESS_KEY:SECRET_KEY; separate several pairs with commas"
            )
        if access in credentials:
            raise ValueError(f"S3MOCK_CREDENTIALS lists access key {access!r} twice")
        credentials[access] = secret
    if not credentials:
        raise ValueError("S3MOCK_CREDENTIALS is empty; expected ACCESS_KEY:SECRET_KEY[,...]")
    return credentials


def authenticate(
    request: S3Request,
    credentials: Mapping[str, str],
    *,
    region: str,
    now: datetime | None = None,
) -> AuthContext:
    """Return the caller's identity or raise the S3Error S3 would send.

    An unsigned request is the anonymous caller (``access_key`` ``""``), not an error:
    as on S3, the resource decides, so a missing bucket is NoSuchBucket and a public
    one may be read.
    """
    now = now or datetime.now(UTC)
    header = request.headers.get("authorization", "")
    if header.startswith(ALGORITHM + " "):
        return _sigv4_header(request, header, credentials, region, now)
    if header.startswith("AWS "):
        return sigv2_header(request, header, credentials, now)
    if header:
        raise S3Error("InvalidArgument", "Unsupported Authorization Type")
    query = request.query
    if "X-Amz-Algorithm" in query or "X-Amz-Signature" in query:
        return _sigv4_query(request, credentials, region, now)
    if "AWSAccessKeyId" in query or "Signature" in query:
        return sigv2_query(request, credentials, now)
    return AuthContext(ANONYMOUS, "anonymous", payload_claim(request))


# --- SigV4 ------------------------------------------------------------------------


@dataclass(frozen=True)
class _SigV4Params:
    access_key: str
    date: str  # yyyymmdd from the credential
    region: str
    service: str
    signed_headers: list[str]
    signature: str
    amz_date: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def _sigv4_header(
    request: S3Request, header: str, credentials: Mapping[str, str], region: str, now: datetime
) -> AuthContext:
    fields = _parse_authorization_fields(header[len(ALGORITHM) + 1 :])
    amz_date = request.headers.get("x-amz-date") or _date_header_as_amz(request)
    params = _sigv4_params(fields, amz_date, "AuthorizationHeaderMalformed")
    secret = secret_for(params.access_key, credentials)
    _check_scope(params, region, "AuthorizationHeaderMalformed")
    request_time = _parse_amz_date(amz_date, "AccessDenied")
    if abs(now - request_time) > MAX_CLOCK_SKEW:
        raise S3Error(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            RequestTime=amz_date,
            ServerTime=now.strftime(AMZ_DATE_FORMAT),
            MaxAllowedSkewMilliseconds="900000",
        )
    payload = request.headers.get("x-amz-content-sha256")
    if payload is None:
        raise S3Error(
            "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
        )
    key = _verify_sigv4(request, params, secret, payload, exclude_query=frozenset())
    return AuthContext(
        params.access_key, "sigv4-header", payload, key, params.signature, amz_date, params.scope
    )


def _sigv4_query(
    request: S3Request, credentials: Mapping[str, str], region: str, now: datetime
) -> AuthContext:
    query = request.query
    error = "AuthorizationQueryParametersError"
    required = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires")
    required += ("X-Amz-SignedHeaders", "X-Amz-Signature")
    missing = [name for name in required if name not in query]
    if missing:
        raise S3Error(error, f"Query-string authentication requires {', '.join(missing)}")
    if query["X-Amz-Algorithm"] != ALGORITHM:
        raise S3Error(error, f"X-Amz-Algorithm only supports {ALGORITHM!r}")
    fields = {
        "Credential": query["X-Amz-Credential"],
        "SignedHeaders": query["X-Amz-SignedHeaders"],
        "Signature": query["X-Amz-Signature"],
    }
    params = _sigv4_params(fields, query["X-Amz-Date"], error)
    secret = secret_for(params.access_key, credentials)
    _check_scope(params, region, error)
    _check_presign_window(query["X-Amz-Expires"], params.amz_date, now)
    payload = request.headers.get("x-amz-content-sha256", UNSIGNED_PAYLOAD)
    exclude = frozenset({"X-Amz-Signature"})
    key = _verify_sigv4(request, params, secret, payload, exclude_query=exclude)
    return AuthContext(
        params.access_key, "sigv4-query", payload, key, params.signature, params.amz_date,
        params.scope,
    )  # fmt: skip


def _check_presign_window(expires_text: str, amz_date: str, now: datetime) -> None:
    error = "AuthorizationQueryParametersError"
    if not expires_text.isdigit():
        raise S3Error(error, "X-Amz-Expires should be a number")
    expires = int(expires_text)
    if not 0 < expires <= MAX_PRESIGN_EXPIRES:  # S3: 403, like an expired URL
        raise S3Error(
            "AccessDenied", "X-Amz-Expires must be between 1 and 604800 seconds (one week)"
        )
    signed_at = _parse_amz_date(amz_date, error)
    if now > signed_at + timedelta(seconds=expires):
        raise S3Error("AccessDenied", "Request has expired", Expires=amz_date)
    if signed_at - now > MAX_CLOCK_SKEW:
        raise S3Error("AccessDenied", "Request is not valid yet")


def _parse_authorization_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in text.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name] = value
    return fields


def _sigv4_params(fields: Mapping[str, str], amz_date: str, error: str) -> _SigV4Params:
    for name in ("Credential", "SignedHeaders", "Signature"):
        if not fields.get(name):
            raise S3Error(error, f"The authorization is malformed: {name} is missing")
    parts = fields["Credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise S3Error(
            error,
            "The credential must look like ACCESS_KEY/YYYYMMDD/REGION/s3/aws4_request",
        )
    access_key, date, cred_region, service, _ = parts
    if not amz_date:
        raise S3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date")
    if amz_date[:8] != date:
        raise S3Error(error, "Invalid credential date. Date is not the same as X-Amz-Date.")
    signed = fields["SignedHeaders"].split(";")
    return _SigV4Params(
        access_key, date, cred_region, service, signed, fields["Signature"].lower(), amz_date
    )


def _check_scope(params: _SigV4Params, region: str, error: str) -> None:
    if params.service != SERVICE:
        raise S3Error(error, f"The credential scope names service {params.service!r}, not 's3'")
    if params.region != region:
        raise S3Error(
            error,
            f"The authorization header is malformed; the region '{params.region}' is wrong;"
            f" expecting '{region}'",
            Region=region,
        )
    if "host" not in params.signed_headers:
        raise S3Error(error, "The host header must be signed")


def _verify_sigv4(
    request: S3Request,
    params: _SigV4Params,
    secret: str,
    payload: str,
    *,
    exclude_query: frozenset[str],
) -> bytes:
    _check_amz_headers_signed(request, params.signed_headers)
    headers = _canonical_headers(request, params.signed_headers)
    key = signing_key(secret, params.date, params.region, params.service)
    first = ""
    for uri, query in _canonical_targets(request, exclude_query):
        canonical = "\n".join(
            [request.method, uri, query, headers, ";".join(params.signed_headers), payload]
        )
        to_sign = string_to_sign(params.amz_date, params.scope, canonical)
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, params.signature):
            return key
        first = first or canonical
    raise _signature_mismatch(params.access_key, params.signature, first)


def _signature_mismatch(access_key: str, signature: str, canonical: str) -> S3Error:
    return S3Error(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided."
        " Check your key and signing method.",
        AWSAccessKeyId=access_key,
        SignatureProvided=signature,
        CanonicalRequest=canonical,
    )


def string_to_sign(amz_date: str, scope: str, canonical_request: str) -> str:
    digest = hashlib.sha256(canonical_request.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"


@lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str = SERVICE) -> bytes:
    """Derive the SigV4 key; cached because every request of a day reuses it."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _check_amz_headers_signed(request: S3Request, signed_headers: list[str]) -> None:
    unsigned = sorted(
        name
        for name in request.headers
        if name.startswith("x-amz-") and name not in signed_headers and name != "x-amz-trailer"
    )
    if unsigned:
        raise S3Error(
            "AccessDenied",
            "There were headers present in the request which were not signed",
            HeadersNotSigned=", ".join(unsigned),
        )


def _canonical_headers(request: S3Request, signed_headers: list[str]) -> str:
    lines = []
    for name in signed_headers:
        value = request.headers.get(name)
        if value is None:
            # A signed header that is absent cannot match what the client signed.
            value = ""
        lines.append(f"{name}:{' '.join(value.split())}\n")
    return "".join(lines)


def _canonical_targets(request: S3Request, exclude: frozenset[str]) -> list[tuple[str, str]]:
    """The (uri, query) forms to try: AWS canonical first, then as sent."""
    raw_path = request.raw_path or "/"
    uris = [_aws_encode(unquote_to_bytes(raw_path), safe="/~")]
    if raw_path != uris[0]:
        uris.append(raw_path)
    queries = [_canonical_query(request.query_string, exclude)]
    as_sent = _query_as_sent(request.query_string, exclude)
    if as_sent != queries[0]:
        queries.append(as_sent)
    return [(uri, query) for uri in uris for query in queries]


def _aws_encode(raw: bytes, *, safe: str = "~") -> str:
    return quote(raw, safe=safe)


def _canonical_query(query_string: str, exclude: frozenset[str]) -> str:
    pairs = []
    for name, value in _split_query(query_string):
        name_bytes = unquote_to_bytes(name.replace("+", " "))
        if name_bytes.decode("latin-1") in exclude:
            continue
        value_bytes = unquote_to_bytes(value.replace("+", " "))
        pairs.append((_aws_encode(name_bytes), _aws_encode(value_bytes)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _query_as_sent(query_string: str, exclude: frozenset[str]) -> str:
    pairs = sorted(pair for pair in _split_query(query_string) if pair[0] not in exclude)
    return "&".join(f"{name}={value}" for name, value in pairs)


def _split_query(query_string: str) -> list[tuple[str, str]]:
    pairs = []
    for item in query_string.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((name, value))
    return pairs


def _parse_amz_date(text: str, error: str) -> datetime:
    # Sliced by hand: strptime costs more than the whole signature check.
    if len(text) == 16 and text[8] == "T" and text[15] == "Z" and (text[:8] + text[9:15]).isdigit():
        try:
            return datetime(
                int(text[0:4]), int(text[4:6]), int(text[6:8]),
                int(text[9:11]), int(text[11:13]), int(text[13:15]), tzinfo=UTC,
            )  # fmt: skip
        except ValueError:
            pass
    raise S3Error(error, f"X-Amz-Date must look like 20260101T120000Z, got {text!r}")


def _date_header_as_amz(request: S3Request) -> str:
    date = request.headers.get("date")
    if not date:
        return ""
    return parse_http_date(date).strftime(AMZ_DATE_FORMAT)
