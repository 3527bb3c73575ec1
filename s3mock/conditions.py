"""HTTP preconditions and byte ranges, evaluated the way S3 (and RFC 7232/7233) do."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

from .errors import S3Error, no_such_key
from .records import ObjectInfo

NOT_MODIFIED = 304


def check_preconditions(headers: Mapping[str, str], info: ObjectInfo, *, prefix: str = "") -> int:
    """Return 200, or 304 for a cache hit; raise PreconditionFailed (412).

    If-Match outranks If-Unmodified-Since and If-None-Match outranks
    If-Modified-Since, so a present ETag condition decides alone. ``prefix`` is
    ``"x-amz-copy-source-"`` for CopyObject's conditions on the source, where S3
    answers 412 instead of 304.
    """
    if_match = headers.get(prefix + "if-match")
    if if_match is not None:
        if not etag_matches(if_match, info.etag):
            raise _failed(prefix + "If-Match")
    elif _modified_since(headers.get(prefix + "if-unmodified-since"), info) is True:
        raise _failed(prefix + "If-Unmodified-Since")
    if_none_match = headers.get(prefix + "if-none-match")
    if if_none_match is not None:
        if etag_matches(if_none_match, info.etag):
            return _not_modified(prefix, "If-None-Match")
    elif _modified_since(headers.get(prefix + "if-modified-since"), info) is False:
        return _not_modified(prefix, "If-Modified-Since")
    return 200


def _not_modified(prefix: str, header: str) -> int:
    if prefix:
        raise _failed(prefix + header)
    return NOT_MODIFIED


def etag_matches(condition: str, etag: str) -> bool:
    """``*`` or any listed (possibly weak, quoted or bare) ETag equal to ``etag``."""
    for candidate in condition.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        candidate = candidate.removeprefix("W/").strip('"')
        if candidate == etag:
            return True
    return False


def _modified_since(value: str | None, info: ObjectInfo) -> bool | None:
    """Whether the object changed after the date (None when absent or unparseable)."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    modified: datetime = info.last_modified.replace(microsecond=0)
    return modified > moment


def _failed(condition: str) -> S3Error:
    return S3Error(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        Condition=condition,
    )


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return (start, length) for a single ``bytes=`` range, None to send everything.

    A syntactically invalid or multi-part range is ignored (as RFC 7233 allows and
    S3 does); a valid one that starts beyond the object is InvalidRange (416).
    """
    if not header or not header.startswith("bytes="):
        return None
    first, sep, last = header[len("bytes=") :].strip().partition("-")
    if not sep or "," in last or not _all_digits(first, last):
        return None
    if first == "":
        if last == "":
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise invalid_range(header, size)
        start = max(0, size - suffix)
        return start, size - start
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise invalid_range(header, size)
    end = min(int(last), size - 1) if last else size - 1
    return start, end - start + 1


def _all_digits(*parts: str) -> bool:
    stripped = (part.strip() for part in parts)
    return all(part == "" or (part.isascii() and part.isdigit()) for part in stripped)


def invalid_range(header: str, size: int) -> S3Error:
    return S3Error(
        "InvalidRange",
        "The requested range is not satisfiable",
        RangeRequested=header,
        ActualObjectSize=str(size),
    )


WriteCondition = Callable[[ObjectInfo | None], None]


def write_condition(headers: Mapping[str, str], key: str) -> WriteCondition | None:
    """Conditional writes (PutObject, CompleteMultipartUpload): ``If-None-Match: *``
    (create only) and ``If-Match`` (replace that ETag only), as a check of the current
    object that raises PreconditionFailed (412), or NoSuchKey for If-Match on no object."""
    if_none_match, if_match = headers.get("if-none-match"), headers.get("if-match")
    if if_none_match is None and if_match is None:
        return None
    if if_none_match is not None and if_none_match.strip() != "*":
        raise S3Error(
            "NotImplemented",
            "If-None-Match on a write accepts only '*'.",
            Header="If-None-Match",
        )

    def check(current: ObjectInfo | None) -> None:
        if if_none_match is not None and current is not None:
            raise _failed("If-None-Match")
        if if_match is not None:
            if current is None:
                raise no_such_key(key)
            if not etag_matches(if_match, current.etag):
                raise _failed("If-Match")

    return check


def still_holds(condition: WriteCondition | None) -> WriteCondition | None:
    """The same check as the write lands: a change since the request began is S3's
    409 ConditionalRequestConflict rather than a 412."""
    if condition is None:
        return None

    def check(current: ObjectInfo | None) -> None:
        try:
            condition(current)
        except S3Error:
            raise S3Error(
                "ConditionalRequestConflict",
                "A conflicting operation occurred. If using PutObject you can retry the request."
                " If using multipart upload you should initiate another"
                " CreateMultipartUpload request and re-upload each part.",
            ) from None

    return check
