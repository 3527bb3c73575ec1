"""Writes to the file store: upload, update, delete, and reading a file's bytes.

Consistency rule: a row never points at a blob that was not written, and a blob is
never left without a row when we can help it. So uploads write the blob first,
then insert the row in a transaction (deleting the blob if the insert fails), and
deletes remove the blob first, then the row (see :func:`file_delete`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from chat.models import ChatSession
from chatui.errors import FileTooLarge, InvalidBase64, InvalidInput, QuotaExceeded
from chatui.models import User

from . import storage
from .content_types import SNIFF_BYTES, categorize, is_inline_safe, sniff_content_type
from .downloads import content_disposition
from .keys import build_key, display_filename, key_belongs_to
from .models import StoredFile
from .storage import BlobStream

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_TAGS = 50
MAX_TAG_KEY_CHARS = 100
MAX_TAG_VALUE_CHARS = 1000
INLINE_CONTENT_MAX_BYTES = 10 * MIB


class ContentTooLargeToInclude(FileTooLarge):
    """``?include=content`` is for small files; big ones go through /download."""

    code = "content_too_large"
    status = 422
    default_message = "The file is too large to include inline; download it instead."


# --- Limits ------------------------------------------------------------------------


def max_upload_bytes() -> int:
    return settings.FILES_MAX_UPLOAD_MB * MIB


def user_quota_bytes(user: User) -> int:
    """The user's quota in bytes; 0 means unlimited (per-user override wins)."""
    quota_mb = user.storage_quota_mb
    if quota_mb is None:
        quota_mb = settings.FILES_USER_QUOTA_MB
    return quota_mb * MIB


def _used_bytes(user: User) -> int:
    return StoredFile.objects.filter(owner=user).aggregate(total=Sum("size"))["total"] or 0


def _check_quota(user: User, incoming: int) -> None:
    quota = user_quota_bytes(user)
    if not quota:
        return
    used = _used_bytes(user)
    if used + incoming > quota:
        raise QuotaExceeded(quota_bytes=quota, used_bytes=used, upload_bytes=incoming)


def check_upload_size(size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        message = f"Files may be at most {settings.FILES_MAX_UPLOAD_MB} MB."
        raise FileTooLarge(message, max_bytes=limit)


# --- Input validation --------------------------------------------------------------


def validate_tags(tags: object) -> dict[str, str]:
    """Tags are a small flat map of strings to strings."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InvalidInput("tags must be an object of string keys and values.")
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags are allowed.")
    for key, value in tags.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key.strip():
            raise InvalidInput("tags must be an object of non-empty string keys and string values.")
        if len(key) > MAX_TAG_KEY_CHARS or len(value) > MAX_TAG_VALUE_CHARS:
            raise InvalidInput("A tag key or value is too long.")
    return dict(tags)


def _check_session(owner: User, session: ChatSession | None) -> None:
    if session is not None and session.owner_id != owner.pk:
        raise InvalidInput("The chat session does not exist.", field="session")


# --- Streaming the body ------------------------------------------------------------


class _HashingReader(io.RawIOBase):
    """Reads ``head`` then ``rest`` once, hashing and counting, aborting past ``limit``.

    Deliberately not seekable: boto3 then reads it strictly front to back (buffering
    each part itself), so the hash is of exactly the bytes that were sent.
    """

    def __init__(self, head: bytes, rest: IO[bytes] | None, limit: int) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest
        self._limit = limit
        self.size = 0
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int | None = -1) -> bytes:
        chunk = self._next_chunk(-1 if size is None else size)
        self.size += len(chunk)
        if self.size > self._limit:
            check_upload_size(self.size)
        self.sha256.update(chunk)
        return chunk

    def _next_chunk(self, size: int) -> bytes:
        """Exactly ``size`` bytes unless the end comes first: boto3 takes a short
        read for the end of the stream and would send the rest as one PutObject."""
        if size < 0:
            return self._take_head(len(self._head)) + (self._rest.read() if self._rest else b"")
        parts = [self._take_head(size)]
        missing = size - len(parts[0])
        while missing > 0 and self._rest is not None:
            chunk = self._rest.read(missing)
            if not chunk:
                break
            parts.append(chunk)
            missing -= len(chunk)
        return b"".join(parts)

    def _take_head(self, size: int) -> bytes:
        chunk, self._head = bytes(self._head[:size]), self._head[size:]
        return chunk


def _split_head(content: bytes | IO[bytes]) -> tuple[bytes, IO[bytes] | None, bool]:
    """(first bytes for sniffing, the rest as a stream, whether head is everything)."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content), None, True
    if hasattr(content, "seek"):
        content.seek(0)
    small = 0 < _known_size(content) <= storage.SINGLE_PUT_MAX_BYTES
    head = content.read() if small else content.read(SNIFF_BYTES)
    if isinstance(head, str):
        raise InvalidInput("Upload content must be bytes, not text.")
    return head, content, small or len(head) < SNIFF_BYTES


def _known_size(content: bytes | IO[bytes]) -> int:
    """The size when it is cheap to know (bytes, uploaded files), else 0."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        return len(content)
    return int(getattr(content, "size", 0) or 0)


# --- Upload --------------------------------------------------------------------------


def file_upload(
    *,
    owner: User,
    content: bytes | IO[bytes],
    filename: str,
    content_type_hint: str = "",
    source: str = StoredFile.Source.USER,
    source_tool: str = "",
    tags: dict[str, str] | None = None,
    session: ChatSession | None = None,
) -> StoredFile:
    """Store ``content`` for ``owner``: blob to S3 first, then the row.

    Raises FileTooLarge, QuotaExceeded, InvalidInput or StorageUnavailable; in each
    case neither a row nor a blob is left behind.
    """
    source = _valid_source(source, source_tool)
    clean_tags = validate_tags(tags)
    _check_session(owner, session)
    name = display_filename(filename)
    check_upload_size(_known_size(content))
    _check_quota(owner, _known_size(content))  # fail fast; re-checked under the lock
    head, rest, complete = _split_head(content)
    content_type = sniff_content_type(head, name, content_type_hint, complete=complete)
    key = build_key(email=owner.email, generated=source == StoredFile.Source.TOOL, filename=name)
    reader = _HashingReader(head, None if complete else rest, max_upload_bytes())
    if complete and len(head) <= storage.SINGLE_PUT_MAX_BYTES:
        blob = storage.put_bytes(key, reader.read(), content_type=content_type)
    else:
        blob = storage.put(key, reader, content_type=content_type)  # type: ignore[arg-type]
    row = StoredFile(
        owner=owner,
        key=key,
        filename=name,
        content_type=content_type,
        size=reader.size,
        checksum=reader.sha256.hexdigest(),
        etag=blob.etag,
        source=source,
        source_tool=source_tool if source == StoredFile.Source.TOOL else "",
        category=categorize(name, content_type),
        tags=clean_tags,
        session=session,
    )
    return _insert_or_discard_blob(row)


def _valid_source(source: str, source_tool: str) -> str:
    if source not in StoredFile.Source.values:
        raise InvalidInput(f"source must be one of {', '.join(StoredFile.Source.values)}.")
    if source == StoredFile.Source.USER and source_tool:
        raise InvalidInput("source_tool is only for files a tool generated.")
    return source


def _insert_or_discard_blob(row: StoredFile) -> StoredFile:
    """Insert ``row`` under the owner's lock; on any failure remove its blob and re-raise.

    The quota is re-checked here, inside the transaction that inserts: on PostgreSQL
    ``select_for_update`` on the user row serialises one user's uploads across
    processes; on SQLite the IMMEDIATE transaction mode does (one writer at a time).
    """
    try:
        with transaction.atomic():
            owner = User.objects.select_for_update().get(pk=row.owner_id)
            _check_quota(owner, row.size)
            row.full_clean()
            row.save(force_insert=True)
    except BaseException:
        storage.delete_quietly(row.key)
        raise
    return row


def file_upload_base64(
    *,
    owner: User,
    filename: str,
    content_base64: str,
    content_type_hint: str = "",
    tags: dict[str, str] | None = None,
    session: ChatSession | None = None,
) -> StoredFile:
    """The original JSON API's form: strict base64 (no whitespace, no data: URLs)."""
    if len(content_base64) // 4 * 3 > max_upload_bytes() + 3:
        check_upload_size(len(content_base64) // 4 * 3)
    content = decode_base64_strict(content_base64)
    return file_upload(
        owner=owner,
        content=content,
        filename=filename,
        content_type_hint=content_type_hint,
        tags=tags,
        session=session,
    )


def decode_base64_strict(value: str) -> bytes:
    if not isinstance(value, str) or not value.isascii():
        raise InvalidBase64()
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidBase64() from None


# --- Update and delete ---------------------------------------------------------------


def file_update(
    *,
    file: StoredFile,
    filename: str | None = None,
    tags: dict[str, str] | None = None,
    tagged: bool | None = None,
) -> StoredFile:
    """Change metadata only: a rename never moves the blob (the key stays)."""
    fields: list[str] = []
    if filename is not None:
        new_name = display_filename(filename, fallback="")
        if not new_name:
            raise InvalidInput("filename must not be empty.", field="filename")
        file.filename = new_name
        fields.append("filename")
    if tags is not None:
        file.tags = validate_tags(tags)
        fields.append("tags")
    if tagged is not None:
        file.tagged = bool(tagged)
        fields.append("tagged")
    if fields:
        file.save(update_fields=fields)
    return file


def file_delete(*, file: StoredFile) -> None:
    """Delete the blob, then the row.

    This order never loses track of a blob: if S3 is down the delete fails with
    StorageUnavailable and the row (and blob) stay, so the user can retry. The
    other order could leave a blob no row points to, invisible to everyone but
    still billed. A crash between the two steps leaves a row whose blob is gone:
    visible, deletable again (deleting a missing object succeeds), and found by
    ``files_reconcile``.
    """
    _assert_owned(file)
    storage.delete(file.key)
    file.delete()


# --- Reading bytes -------------------------------------------------------------------


def _assert_owned(file: StoredFile) -> None:
    """Defence in depth: a row whose key escaped its owner's prefix is never served."""
    if not key_belongs_to(file.key, file.owner.email):
        logger.error("stored file key outside owner prefix id=%s", file.pk)
        raise InvalidInput("This file's storage key is invalid.")


def file_open(*, file: StoredFile, byte_range: tuple[int, int] | None = None) -> BlobStream:
    """A streaming reader over the file's bytes (``byte_range`` inclusive); close it."""
    _assert_owned(file)
    return storage.open_stream(file.key, byte_range=byte_range)


def file_read_base64(*, file: StoredFile) -> str:
    """The content as base64 for ``?include=content``, refused above 10 MiB."""
    if file.size > INLINE_CONTENT_MAX_BYTES:
        raise ContentTooLargeToInclude(max_bytes=INLINE_CONTENT_MAX_BYTES)
    return base64.b64encode(file_read_bytes(file=file)).decode("ascii")


def file_read_bytes(
    *, file: StoredFile, max_bytes: int | None = None, truncate: bool = False
) -> bytes:
    """The file's bytes in memory, for small files (tool inputs, chat context).

    Above ``max_bytes`` it raises FileTooLarge, or with ``truncate=True`` returns the
    first ``max_bytes`` bytes (fetched with a ranged GET, not the whole object).
    """
    if max_bytes is not None and file.size > max_bytes:
        if not truncate:
            raise FileTooLarge(f"The file is larger than {max_bytes} bytes.", max_bytes=max_bytes)
        if max_bytes <= 0:
            return b""
        with file_open(file=file, byte_range=(0, max_bytes - 1)) as stream:
            return stream.read()
    if file.size == 0:
        return b""
    with file_open(file=file) as stream:
        return stream.read()


def file_download_url(*, file: StoredFile, inline: bool = False) -> str:
    """A short-lived presigned GET URL that makes S3 send our safe headers.

    The disposition and type are signed into the URL, so S3 serves SVG/HTML as
    attachments exactly as the streaming download does.
    """
    _assert_owned(file)
    show_inline = inline and is_inline_safe(file.content_type)
    return storage.presigned_url(
        file.key,
        content_disposition=content_disposition(file.filename, inline=show_inline),
        content_type=file.content_type,
    )
