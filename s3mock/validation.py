"""S3's rules for bucket names, object keys and tags, raised as S3 error codes."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from .errors import S3Error

# The JSON API owns these first path segments, so no bucket may be named after them.
RESERVED_BUCKET_NAMES = frozenset({"files", "users", "health"})
MAX_KEY_BYTES = 1024
MAX_TAGS = 10
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256

_BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def check_bucket_name(name: str) -> None:
    """Apply the general-purpose bucket naming rules of the S3 user guide."""
    if not _is_valid_bucket_name(name):
        raise S3Error(
            "InvalidBucketName", "The specified bucket is not valid.", BucketName=name[:100]
        )


def _is_valid_bucket_name(name: str) -> bool:
    if not _BUCKET_CHARS.fullmatch(name) or name in RESERVED_BUCKET_NAMES:
        return False
    if ".." in name or ".-" in name or "-." in name:
        return False
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return False
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return True
    return False


def check_key(key: str) -> None:
    """Refuse keys S3 refuses, and the few this store refuses for path safety.

    Keys never become paths here (files are named by a hash of the key), but the
    files app and the JSON API treat keys as paths, so ``..`` segments, a leading
    ``/`` and NUL are refused at the door rather than trusted downstream.
    """
    if not key:
        raise S3Error("InvalidArgument", "The object key must not be empty.")
    if len(key.encode("utf-8", errors="surrogatepass")) > MAX_KEY_BYTES:
        raise S3Error("KeyTooLongError", "Your key is too long.", Size=str(len(key.encode())))
    if "\x00" in key or key.startswith("/") or ".." in key.split("/"):
        raise S3Error("InvalidArgument", "The object key is not allowed.", ArgumentName="key")
    if any(0xD800 <= ord(char) <= 0xDFFF for char in key):
        raise S3Error("InvalidURI", "Couldn't parse the specified URI.")


def check_tags(pairs: Iterable[tuple[str, str]], limit: int = MAX_TAGS) -> dict[str, str]:
    """Validate a tag set (10 on an object, 50 on a bucket); duplicates refused."""
    tags: dict[str, str] = {}
    for key, value in pairs:
        if not 1 <= len(key) <= MAX_TAG_KEY:
            raise S3Error("InvalidTag", "The TagKey you have provided is invalid.")
        if len(value) > MAX_TAG_VALUE:
            raise S3Error("InvalidTag", "The TagValue you have provided is invalid.")
        if key in tags:
            raise S3Error("InvalidTag", "Cannot provide multiple Tags with the same key.")
        tags[key] = value
    if len(tags) > limit:
        raise S3Error("InvalidTag", f"Tags cannot be more than {limit}.")
    return tags
