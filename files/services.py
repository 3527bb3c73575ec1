"""Writes to the file store: upload, update, delete, and reading a file's bytes.

Consistency rule: a row never points at a blob that was not written, and a blob is
never left without a row when we can help it. So uploads write the blob first,
then insert the row in a transaction (deleting the blob if the insert fails), and
deletes remove the blob first, then the row (see :func:`file_delete`).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.conf import settings
from django.db import transaction

from chatui.errors import FileTooLarge, InvalidInput
from chatui.models import User
from chatui.text import text_check

from . import storage
from .asgi_upload import RequestBodyStream
from .content_types import (
    SNIFF_BYTES,
    categorize,
    content_type_hint_check,
    sniff_content_type,
)
from .documents.jobs import text_extraction_enqueue
from .keys import build_key, display_filename, key_belongs_to
from .limits import MIB, check_quota, check_upload_size, max_upload_bytes, user_quota_bytes
from .models import StoredFile
from .multipart_stream import StreamedUploadForm
from .sessions import session_id_for_user
from .storage import BlobStream
from .validation import decode_base64_strict, validate_tags
from .version_rows import version_insert_or_discard_blob, version_row_for

logger = logging.getLogger(__name__)

INLINE_CONTENT_MAX_BYTES = 10 * MIB
READ_CHUNK_BYTES = MIB  # file_upload reads files in hand this much at a time
MULTIPART_OVERHEAD_BYTES = 64 * 1024  # boundaries, part headers, the small form fields


FieldsCleaner = Callable[[dict[str, str]], dict[str, Any]]  # form fields -> finish() kwargs


class ContentTooLargeToInclude(FileTooLarge):
    """``?include=content`` is for small files; big ones go through /download."""

    code = "content_too_large"
    status = 422
    default_message = "The file is too large to include inline; download it instead."


# --- Input validation --------------------------------------------------------------


# --- Upload --------------------------------------------------------------------------


class FileUpload:
    """One upload in progress: :meth:`write` the bytes as they arrive, then :meth:`finish`.

    Both doors go through it (:func:`file_upload` for bytes or a file in hand, the
    streaming multipart API for request bodies), so the checks, the content sniffing,
    the key layout and the blob-then-row rule live in one place. The bytes go to S3
    through the storage seam's one write path, ``storage.BlobWriter`` (one PutObject
    for a small body, multipart parts while a large one arrives), which also works
    out the sha256 kept in the row. Use it as a context manager: leaving the block
    with an error discards whatever reached S3 (nothing is left without a row).
    """

    def __init__(
        self,
        *,
        owner: User,
        filename: str,
        content_type_hint: str = "",
        source: str = StoredFile.Source.USER,
        source_tool: str = "",
        expected_size: int = 0,
        version_of: StoredFile | None = None,
    ) -> None:
        self.version_of = version_of  # a new version of this file, not a new file
        self.source = _valid_source(source, source_tool)
        self.source_tool = source_tool if self.source == StoredFile.Source.TOOL else ""
        self.owner = owner
        text_check(filename, field="filename")
        self.name = display_filename(filename)
        self.content_type_hint = content_type_hint_check(content_type_hint)
        check_upload_size(expected_size)
        check_quota(owner, expected_size)  # fail fast; re-checked under the lock
        generated = self.source == StoredFile.Source.TOOL
        self.key = build_key(email=owner.email, generated=generated, filename=self.name)
        self._blob = storage.BlobWriter(self.key, content_type_of=self._sniff)

    @property
    def size(self) -> int:
        return self._blob.size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Take the next bytes; raises FileTooLarge as soon as the limit is passed."""
        if self._blob.size + len(data) > max_upload_bytes():
            check_upload_size(self._blob.size + len(data))
        self._blob.write(data)

    def finish(
        self,
        *,
        tags: dict[str, str] | None = None,
        session_id: Any = None,
        **version_fields: Any,
    ) -> StoredFile:
        """Store the blob, then insert the row (the blob is removed if the row fails).

        For a new version (``version_of``) the row is a FileVersion and the file's
        current fields switch to it; ``version_fields`` go to that row (source, tool
        run...)."""
        if self.size == 0 and self.source == StoredFile.Source.USER:
            # A user's empty upload is a mistake (a failed export, a wrong pick); a tool
            # may still store an empty result.
            raise InvalidInput(f"{self.name} is empty (0 bytes); empty files are not stored.")
        if self.version_of is not None:
            blob = self._blob.close()
            return version_insert_or_discard_blob(
                file=self.version_of, key=self.key, blob=blob, **version_fields
            )
        clean_tags = validate_tags(tags)
        session = session_id_for_user(user=self.owner, session_id=session_id)
        blob = self._blob.close()
        row = StoredFile(
            owner=self.owner,
            key=self.key,
            filename=self.name,
            content_type=blob.content_type,
            size=blob.size,
            checksum=blob.sha256,
            etag=blob.etag,
            source=self.source,
            source_tool=self.source_tool,
            category=categorize(self.name, blob.content_type),
            tags=clean_tags,
            session_id=session,
        )
        return _insert_or_discard_blob(row, **version_fields)

    def abort(self) -> None:
        """Drop the parts already sent (a finished blob is the row's business)."""
        self._blob.abort()

    def __enter__(self) -> FileUpload:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is not None:
            self.abort()

    def _sniff(self, head: bytes, whole: bool) -> str:
        """The content type from the first bytes (``whole``: they are all there is)."""
        return sniff_content_type(
            head[:SNIFF_BYTES], self.name, self.content_type_hint, complete=whole
        )


def file_upload(
    *,
    owner: User,
    content: bytes | IO[bytes],
    filename: str,
    content_type_hint: str = "",
    source: str = StoredFile.Source.USER,
    source_tool: str = "",
    tags: dict[str, str] | None = None,
    session_id: Any = None,
    version_of: StoredFile | None = None,
    version_fields: dict[str, Any] | None = None,
) -> StoredFile:
    """Store ``content`` for ``owner``: blob to S3 first, then the row (with
    ``version_of``: as that file's next version, ``version_fields`` on its row).

    Raises FileTooLarge, QuotaExceeded, InvalidInput or StorageUnavailable; in each
    case neither a row nor a blob is left behind.
    """
    _valid_source(source, source_tool)
    clean_tags = validate_tags(tags)
    with FileUpload(
        owner=owner,
        filename=filename,
        content_type_hint=content_type_hint,
        source=source,
        source_tool=source_tool,
        expected_size=_known_size(content),
        version_of=version_of,
    ) as upload:
        for chunk in _chunks(content):
            upload.write(chunk)
        return upload.finish(tags=clean_tags, session_id=session_id, **(version_fields or {}))


def _chunks(content: bytes | IO[bytes]) -> Iterator[bytes]:
    if isinstance(content, (bytes, bytearray, memoryview)):
        yield bytes(content)
        return
    if hasattr(content, "seek"):
        content.seek(0)
    while chunk := content.read(READ_CHUNK_BYTES):
        if isinstance(chunk, str):
            raise InvalidInput("Upload content must be bytes, not text.")
        yield chunk


def _known_size(content: bytes | IO[bytes]) -> int:
    """The size when it is cheap to know (bytes, uploaded files), else 0."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        return len(content)
    return int(getattr(content, "size", 0) or 0)


def _valid_source(source: str, source_tool: str) -> str:
    if source not in StoredFile.Source.values:
        raise InvalidInput(f"source must be one of {', '.join(StoredFile.Source.values)}.")
    if source == StoredFile.Source.USER and source_tool:
        raise InvalidInput("source_tool is only for files a tool generated.")
    return source


def _insert_or_discard_blob(row: StoredFile, **version_fields: Any) -> StoredFile:
    """Insert ``row`` under the owner's lock; on any failure remove its blob and re-raise.

    The quota is re-checked here, inside the transaction that inserts: on PostgreSQL
    ``select_for_update`` on the user row serialises one user's uploads across
    processes; on SQLite the IMMEDIATE transaction mode does (one writer at a time).
    An owner without a quota (as loaded for this request) has nothing to re-check,
    so the inserts are the transaction's only queries.

    The rows are checked and built before the transaction begins: on SQLite it holds
    the one write lock from its ``BEGIN``, and in a busy process every bit of Python
    in it is paid for by every writer queued behind it (``chatui.sqlite_fifo``).
    """
    try:
        # Field checks only. The key's uniqueness, the check constraints and the
        # owner's foreign key (locked below) are the database's to enforce:
        # full_clean would first ask it, five queries.
        row.full_clean(exclude=["owner"], validate_unique=False, validate_constraints=False)
        row.text_status = StoredFile.TextStatus.PROCESSING
        version = version_row_for(row, number=1, **version_fields)
        with transaction.atomic():
            if user_quota_bytes(row.owner):
                owner = User.objects.select_for_update().get(pk=row.owner_id)
                check_quota(owner, row.size)
            row.save(force_insert=True)
            version.save(force_insert=True)
            text_extraction_enqueue(file_id=row.pk)
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
    session_id: Any = None,
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
        session_id=session_id,
    )


def check_multipart_length(content_length: int) -> int:
    """413 by ``Content-Length`` alone, before a byte of the body is read; returns the
    file size the length implies (at least), for the early quota check."""
    if content_length > max_upload_bytes() + MULTIPART_OVERHEAD_BYTES:
        check_upload_size(content_length - MULTIPART_OVERHEAD_BYTES)
    return max(content_length - MULTIPART_OVERHEAD_BYTES, 0)


def file_upload_multipart(
    *,
    owner: User,
    body: RequestBodyStream,
    content_type: str,
    content_length: int,
    clean_fields: FieldsCleaner,
    version_of: StoredFile | None = None,
) -> StoredFile:
    """A ``multipart/form-data`` upload parsed while it arrives: body -> parser -> S3.

    ``clean_fields`` turns the small form fields (collected wherever they stand in
    the form) into :meth:`FileUpload.finish`'s keyword arguments once the body is
    complete; an error from it, the parser or S3 aborts the upload so nothing is
    left in the bucket.
    """
    expected_size = check_multipart_length(content_length)

    def start_upload(filename: str, part_type: str) -> FileUpload:
        return FileUpload(
            owner=owner,
            filename=version_of.filename if version_of else filename,
            content_type_hint=part_type,
            expected_size=expected_size,
            version_of=version_of,
        )

    max_body = max_upload_bytes() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE + MULTIPART_OVERHEAD_BYTES
    with StreamedUploadForm(content_type, start_upload) as form:
        form.read_from(body, max_body_bytes=max_body)
        finish_kwargs = clean_fields(form.fields)
        return form.upload.finish(**finish_kwargs)  # type: ignore[union-attr]


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
        text_check(filename, field="filename")
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
    """Delete for good: every version's blob, then the row (its versions cascade).

    This order never loses track of a blob: if S3 is down the delete fails with
    StorageUnavailable and the row (and blobs) stay, so the user can retry. The
    other order could leave blobs no row points to, invisible to everyone but
    still billed. A crash between the two steps leaves a row whose blobs are gone:
    visible, deletable again (deleting a missing object succeeds), and found by
    ``files_reconcile``. (Moving to the trash is ``files.trash.file_trash``.)
    """
    _assert_owned(file)
    keys = set(file.versions.values_list("key", flat=True)) | {file.key}
    for key in sorted(keys - {file.key}):
        storage.delete(key)
    storage.delete(file.key)
    file.delete()


def files_delete_for_user(*, user: User) -> int:
    """Delete every file of ``user``, each blob then its row; returns how many.

    For deleting the user: the rows would go with the user by cascade, but their
    blobs would stay in the bucket, found only by ``files_reconcile``. Stops at the
    first StorageUnavailable with the remaining files (and the user) intact.
    """
    deleted = 0
    for file in user.stored_files.all():
        file_delete(file=file)
        deleted += 1
    return deleted


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


def file_download_url(*, file: StoredFile, content_disposition: str, content_type: str) -> str:
    """A short-lived presigned GET URL that makes S3 answer with the given headers.

    The disposition and type (built by ``downloads.download_headers``, the same as
    the streamed answer's) are signed into the URL, so S3 serves SVG/HTML as
    attachments exactly as the streaming download does.
    """
    _assert_owned(file)
    return storage.presigned_url(
        file.key, content_disposition=content_disposition, content_type=content_type
    )
