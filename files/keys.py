"""Object keys and filenames: the only place a user's filename meets a path.

Key layout (kept exactly from the original design)::

    users/{email}/uploads/{YYYYmmdd_HHMMSS}_{uuid8}_{safe_filename}
    users/{email}/generated/{YYYYmmdd_HHMMSS}_{uuid8}_{safe_filename}

The user's filename is untrusted: it may try to climb out of the prefix
(``../../etc/passwd``), smuggle separators (``a/b\\c``), hide its real extension
behind a bidi override (``gnp.exe`` shown as ``exe.png``) or be empty. Two
functions handle it: :func:`display_filename` keeps what the user typed for the
database (only control characters removed, bounded), :func:`safe_filename` derives
the key's last segment.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime

USER_PREFIX = "users"
UPLOADS = "uploads"
GENERATED = "generated"
SAFE_FILENAME_MAX_CHARS = 120
# The key's last segment (a 25-byte stamp and uuid, then this) must stay within 255
# bytes of UTF-8: SeaweedFS's filer (and the filesystem under MinIO) refuse longer
# names with KeyTooLongError, though AWS S3 takes 1024 bytes per key.
SAFE_FILENAME_MAX_BYTES = 200
DISPLAY_FILENAME_MAX_CHARS = 255
FALLBACK_FILENAME = "file"
MAX_EXTENSION_CHARS = 16
TIMESTAMP_FORMAT = "%Y%m%d_%H%M%S"


def _is_invisible(char: str) -> bool:
    """Control (Cc) and format (Cf: bidi overrides, zero-width joiners) characters."""
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}


def _strip_invisible(name: str) -> str:
    return "".join(char for char in name if not _is_invisible(char))


def display_filename(name: str, *, fallback: str = FALLBACK_FILENAME) -> str:
    """The filename as shown to the user: what they sent, minus invisible characters.

    Never used as a path. Empty input becomes ``fallback`` so every row has a name.
    """
    cleaned = unicodedata.normalize("NFC", _strip_invisible(name or "")).strip()
    return _truncate_keeping_extension(cleaned, DISPLAY_FILENAME_MAX_CHARS) or fallback


def safe_filename(name: str) -> str:
    """The last segment of an object key, derived from an untrusted filename.

    Separators and ``..`` cannot survive (so the key cannot leave its prefix),
    leading dots are dropped (no hidden files), unicode letters are kept, and the
    result is at most 120 characters with the extension preserved.
    """
    cleaned = unicodedata.normalize("NFC", _strip_invisible(name or ""))
    cleaned = cleaned.replace("/", "_").replace("\\", "_")
    while ".." in cleaned:
        cleaned = cleaned.replace("..", ".")
    cleaned = "_".join(cleaned.split())  # no whitespace runs, no tabs/newlines
    cleaned = cleaned.strip("._") or FALLBACK_FILENAME
    short = _truncate_keeping_extension(cleaned, SAFE_FILENAME_MAX_CHARS)
    return _fit_utf8(short, SAFE_FILENAME_MAX_BYTES) or FALLBACK_FILENAME


def _fit_utf8(name: str, max_bytes: int) -> str:
    """``name`` cut to ``max_bytes`` of UTF-8 (whole characters), extension kept."""
    if len(name.encode()) <= max_bytes:
        return name
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem and 0 < len(ext) <= MAX_EXTENSION_CHARS):
        stem, dot, ext = name, "", ""
    room = max_bytes - len(f"{dot}{ext}".encode())
    cut = stem.encode()[:room].decode("utf-8", "ignore").rstrip(". ")
    return f"{cut}{dot}{ext}" if cut else name.encode()[:max_bytes].decode("utf-8", "ignore")


def _truncate_keeping_extension(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= MAX_EXTENSION_CHARS:
        return stem[: limit - len(ext) - 1].rstrip(". ") + "." + ext
    return name[:limit]


def extension(name: str) -> str:
    """Lower-case extension without the dot ('' when there is none)."""
    stem, dot, ext = (name or "").rpartition(".")
    return ext.lower() if dot and stem and len(ext) <= MAX_EXTENSION_CHARS else ""


def numbered_names(names: list[str]) -> list[str]:
    """``names`` in order, each later repeat numbered: ``a.txt``, ``a (2).txt``,
    ``Makefile (2)``..., so files that share a name stay apart (in a zip, a chat's
    files by name). Case is ignored, as on case-insensitive file systems."""
    taken: set[str] = set()
    result = []
    for name in names:
        stem, dot, ext = name.rpartition(".")
        stem, suffix = (stem, f".{ext}") if dot and stem else (name, "")
        candidate, number = name, 2
        while candidate.casefold() in taken:
            candidate, number = f"{stem} ({number}){suffix}", number + 1
        taken.add(candidate.casefold())
        result.append(candidate)
    return result


def user_prefix(email: str) -> str:
    """Everything a user owns lives under this prefix; isolation checks rely on it."""
    return f"{USER_PREFIX}/{email}/"


def build_key(*, email: str, generated: bool, filename: str, now: datetime | None = None) -> str:
    """A fresh, unique key for a new blob (the uuid8 makes same-second uploads distinct)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    folder = GENERATED if generated else UPLOADS
    stamp = moment.strftime(TIMESTAMP_FORMAT)
    return f"{user_prefix(email)}{folder}/{stamp}_{uuid.uuid4().hex[:8]}_{safe_filename(filename)}"


def key_belongs_to(key: str, email: str) -> bool:
    """True when ``key`` lies under the owner's prefix and cannot escape it."""
    prefix = user_prefix(email)
    rest = key[len(prefix) :]
    return key.startswith(prefix) and bool(rest) and ".." not in rest.split("/")
