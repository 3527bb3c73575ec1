"""Retention: remove files older than a cutoff, each through ``file_delete``; empty the
trash past ``FILES_TRASH_DAYS``; drop earlier versions beyond the newest N."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from chatui.errors import StorageUnavailable
from chatui.models import User

from .. import storage
from ..models import FileVersion, StoredFile
from ..services import file_delete
from ..version_rows import version_drop

PAGE = 500


@dataclass(frozen=True)
class PurgeCriteria:
    older_than: timedelta | None = None  # None: whole files are not purged by age
    source: str | None = None
    owner: User | None = None
    untagged_only: bool = False  # keep files tagged for chat or carrying any key/value tag
    keep_versions: int | None = None  # drop earlier versions beyond the newest N
    versions_older_than: timedelta | None = None  # ...replaced this long ago (default: trash days)

    @property
    def version_age(self) -> timedelta:
        """How long ago an earlier version must have been replaced to be dropped."""
        return self.versions_older_than or timedelta(days=settings.FILES_TRASH_DAYS)


@dataclass
class PurgeResult:
    cutoff: datetime | None
    matched: int = 0
    deleted: int = 0
    bytes: int = 0
    error: str = ""  # set when storage failed and the purge stopped
    trash_cutoff: datetime | None = None
    trash_matched: int = 0
    trash_bytes: int = 0
    versions_matched: int = 0
    versions_bytes: int = 0


def files_to_purge(*, criteria: PurgeCriteria, now: datetime | None = None) -> QuerySet[StoredFile]:
    if criteria.older_than is None:
        return StoredFile.objects.none()
    cutoff = (now or timezone.now()) - criteria.older_than
    return _scoped(StoredFile.objects.filter(created_at__lt=cutoff), criteria)


def trash_to_purge(*, criteria: PurgeCriteria, now: datetime) -> QuerySet[StoredFile]:
    """Files in the trash longer than ``FILES_TRASH_DAYS`` (tags do not keep them)."""
    cutoff = now - timedelta(days=settings.FILES_TRASH_DAYS)
    files = StoredFile.objects.filter(trashed_at__lt=cutoff)
    if criteria.owner is not None:
        files = files.filter(owner=criteria.owner)
    return files.select_related("owner")


def versions_to_purge(*, criteria: PurgeCriteria, now: datetime) -> QuerySet[FileVersion]:
    """Earlier versions beyond each file's newest ``keep_versions`` that were replaced
    (the next version written) before ``now - version_age``."""
    if criteria.keep_versions is None:
        return FileVersion.objects.none()
    replaced = FileVersion.objects.filter(
        file=OuterRef("file"),
        number=OuterRef("number") + 1,
        created_at__lt=now - criteria.version_age,
    )
    versions = FileVersion.objects.filter(
        Exists(replaced), number__lte=F("file__version") - max(criteria.keep_versions, 1)
    ).exclude(key=F("file__key"))
    if criteria.owner is not None:
        versions = versions.filter(file__owner=criteria.owner)
    if criteria.source:
        versions = versions.filter(file__source=criteria.source)
    return versions.select_related("file__owner").order_by("pk")


def _scoped(files: QuerySet[StoredFile], criteria: PurgeCriteria) -> QuerySet[StoredFile]:
    if criteria.source:
        files = files.filter(source=criteria.source)
    if criteria.owner is not None:
        files = files.filter(owner=criteria.owner)
    if criteria.untagged_only:
        files = files.filter(tagged=False, tags={})
    return files.select_related("owner")


def files_purge(
    *,
    criteria: PurgeCriteria,
    apply: bool,
    on_file: Callable[[StoredFile], None] = lambda file: None,
    on_version: Callable[[FileVersion], None] = lambda version: None,
) -> PurgeResult:
    """List (dry run) or delete: the trash past retention, the earlier versions beyond
    ``keep_versions``, then every file matching ``older_than``. Stops at the first
    storage failure, so what was not deleted is still there, row and blob, for the
    next run (each object goes before its row)."""
    now = timezone.now()
    result = PurgeResult(cutoff=now - criteria.older_than if criteria.older_than else None)
    result.trash_cutoff = now - timedelta(days=settings.FILES_TRASH_DAYS)
    try:
        for file in _pages(trash_to_purge(criteria=criteria, now=now)):
            if apply:
                file_delete(file=file)
            result.trash_matched += 1
            result.trash_bytes += file.size + file.old_versions_bytes
            on_file(file)
        for version in versions_to_purge(criteria=criteria, now=now).iterator(chunk_size=PAGE):
            if apply:
                storage.delete(version.key)
                version_drop(version_id=version.pk)
            result.versions_matched += 1
            result.versions_bytes += version.size
            on_version(version)
    except StorageUnavailable as err:
        result.error = err.message
        return result
    for file in _pages(files_to_purge(criteria=criteria, now=now)):
        if apply:
            try:
                file_delete(file=file)
            except StorageUnavailable as err:
                result.error = f"{file.key}: {err.message}"
                break
            result.deleted += 1
        result.matched += 1
        result.bytes += file.size
        on_file(file)
    return result


def _pages(files: QuerySet[StoredFile]) -> Iterator[StoredFile]:
    """Keyset pages by id: bounded memory, and deleting passed rows never shifts a page."""
    files = files.order_by("pk")
    last = None
    while True:
        page = list((files if last is None else files.filter(pk__gt=last))[:PAGE])
        yield from page
        if len(page) < PAGE:
            return
        last = page[-1].pk
