"""The rows of a file's versions: recording version 1, and making a new object current.

Consistency rule (the same as an upload's): the new version's object is written
first, under a key of its own; then, in one transaction, its FileVersion row is
inserted and the StoredFile's current-version fields switch to it. If that
transaction fails the new object is removed, so the file is exactly as before; if
the process dies in between, the object is an orphan that ``files_reconcile``
removes. Earlier objects are never touched: a version is immutable.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest

from chatui.errors import FileNotFound
from chatui.models import User

from . import storage
from .content_types import categorize
from .documents.index import chunks_searchable_update
from .documents.jobs import text_extraction_enqueue
from .documents.models import TextChunk
from .limits import check_quota, user_quota_bytes
from .models import FileVersion, StoredFile
from .storage import BlobInfo

CURRENT_FIELDS = ("key", "size", "checksum", "etag", "content_type")


def version_row_for(file: StoredFile, *, number: int, **fields: Any) -> FileVersion:
    """The FileVersion recording ``file``'s current object (key, size, checksum...)."""
    source = (
        FileVersion.Source.TOOL
        if file.source == StoredFile.Source.TOOL
        else FileVersion.Source.UPLOAD
    )
    fields.setdefault("source", source)
    fields.setdefault("source_tool", file.source_tool)
    return FileVersion(
        file=file, number=number, **{name: getattr(file, name) for name in CURRENT_FIELDS}, **fields
    )


def version_insert_or_discard_blob(
    *, file: StoredFile, key: str, blob: BlobInfo, **fields: Any
) -> StoredFile:
    """Make the object just written under ``key`` the file's next version.

    Under the file's row lock (numbers never collide) and, with a quota, the owner's
    (the new bytes are re-checked). On any failure the new object is removed.
    """
    try:
        with transaction.atomic():
            locked = (
                StoredFile.objects.select_for_update()
                .filter(pk=file.pk, trashed_at__isnull=True)
                .first()
            )
            if locked is None:
                raise FileNotFound()
            locked.owner = file.owner
            if user_quota_bytes(file.owner):
                check_quota(User.objects.select_for_update().get(pk=file.owner_id), blob.size)
            number = locked.version + 1
            FileVersion(
                file=locked,
                number=number,
                key=key,
                size=blob.size,
                checksum=blob.sha256,
                etag=blob.etag,
                content_type=blob.content_type,
                **fields,
            ).save(force_insert=True)
            locked.old_versions_bytes += locked.size
            _make_current(locked, number=number, key=key, blob=blob)
            text_extraction_enqueue(file_id=locked.pk)
    except BaseException:
        storage.delete_quietly(key)
        raise
    return locked


def version_drop(*, version_id: int) -> bool:
    """Delete an earlier version's row (its object already deleted or gone) and its
    extracted text, and take its bytes off the file's quota; the current version is
    never dropped here."""
    with transaction.atomic():
        version = (
            FileVersion.objects.select_for_update().select_related("file").filter(pk=version_id)
        ).first()
        if version is None or version.key == version.file.key:
            return False
        version.delete()
        TextChunk.objects.filter(file_id=version.file_id, version=version.number).delete()
        StoredFile.objects.filter(pk=version.file_id).update(
            old_versions_bytes=Greatest(F("old_versions_bytes") - version.size, 0)
        )
    return True


def version_revert_latest(*, file: StoredFile) -> None:
    """Undo the newest version (a tool run that failed after adding it): the one before
    becomes current again and the newest's row and object go (row first: an object
    left behind is an orphan ``files_reconcile`` removes; never a row without one)."""
    with transaction.atomic():
        locked = StoredFile.objects.select_for_update().filter(pk=file.pk).first()
        if locked is None or locked.version < 2:
            return
        newest = locked.versions.filter(number=locked.version).first()
        previous = locked.versions.filter(number__lt=locked.version).order_by("-number").first()
        if newest is None or previous is None:
            return
        newest.delete()
        locked.old_versions_bytes = max(locked.old_versions_bytes - previous.size, 0)
        _make_current(
            locked,
            number=previous.number,
            key=previous.key,
            blob=BlobInfo(
                key=previous.key,
                size=previous.size,
                etag=previous.etag,
                sha256=previous.checksum,
                content_type=previous.content_type,
            ),
        )
        text_extraction_enqueue(file_id=locked.pk)
    storage.delete_quietly(newest.key)


def _make_current(file: StoredFile, *, number: int, key: str, blob: BlobInfo) -> None:
    """Switch ``file`` (locked, in the caller's transaction) to version ``number``."""
    file.version = number
    file.key = key
    file.size = blob.size
    file.checksum = blob.sha256
    file.etag = blob.etag
    file.content_type = blob.content_type
    file.category = categorize(file.filename, blob.content_type)
    file.status = StoredFile.Status.OK
    file.status_detail = ""
    file.text_status = StoredFile.TextStatus.PROCESSING
    file.text_error = ""
    file.text_detail = ""
    file.text_attempts = 0
    file.text_lease_until = None
    file.pages = None
    file.words = None
    file.save(
        update_fields=[
            "version",
            *CURRENT_FIELDS,
            "category",
            "old_versions_bytes",
            "status",
            "status_detail",
            "text_status",
            "text_error",
            "text_detail",
            "text_attempts",
            "text_lease_until",
            "pages",
            "words",
        ]
    )
    chunks_searchable_update(file=file)  # the old version's text leaves the search
