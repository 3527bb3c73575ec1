"""What every signature scheme shares: the verified caller, the constants of the
protocol, and the credential and date helpers (SigV4 in :mod:`auth`, SigV2 in
:mod:`authv2`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from .errors import S3Error
from .http import S3Request

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_CLOCK_SKEW = timedelta(minutes=15)
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600
SERVICE = "s3"
ANONYMOUS = ""  # the access key of an unsigned request: S3 decides per resource (ACLs)


@dataclass(frozen=True)
class AuthContext:
    """The verified caller, plus what the body verifier needs for chunk signatures."""

    access_key: str
    scheme: str  # "sigv4-header" | "sigv4-query" | "sigv2-header" | "sigv2-query"
    content_sha256: str = UNSIGNED_PAYLOAD
    signing_key: bytes = b""
    seed_signature: str = ""
    amz_date: str = ""
    scope: str = ""  # "20261124/us-east-1/s3/aws4_request"


def secret_for(access_key: str, credentials: Mapping[str, str]) -> str:
    """The secret of an access key, or InvalidAccessKeyId."""
    secret = credentials.get(access_key)
    if secret is None:
        raise S3Error(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            AWSAccessKeyId=access_key,
        )
    return secret


def parse_http_date(text: str) -> datetime:
    """A ``Date`` header as an aware datetime (UTC when it names no zone)."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise S3Error("AccessDenied", f"Unparsable Date header {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def payload_claim(request: S3Request) -> str:
    """What ``x-amz-content-sha256`` says the body is (unsigned when absent)."""
    return request.headers.get("x-amz-content-sha256", UNSIGNED_PAYLOAD)
