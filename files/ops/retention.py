"""Retention: remove files older than a cutoff, each through ``file_delete``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from chatui.errors import StorageUnavailable
from chatui.models import User

from ..models import StoredFile
from ..services import file_delete

PAGE = 500


@dataclass(frozen=True)
class PurgeCriteria:
    older_than: timedelta
    source: str | None = None
    owner: User | None = None
    untagged_only: bool = False  # keep files tagged for chat or carrying any key/value tag


@dataclass
class PurgeResult:
    cutoff: datetime
    matched: int = 0
    deleted: int = 0
    bytes: int = 0
    error: str = ""  # set when storage failed and the purge stopped


def files_to_purge(*, criteria: PurgeCriteria, now: datetime | None = None) -> QuerySet[StoredFile]:
    cutoff = (now or timezone.now()) - criteria.older_than
    files = StoredFile.objects.filter(created_at__lt=cutoff)
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
) -> PurgeResult:
    """List (dry run) or delete every matching file; stops at the first storage failure,
    so what was not deleted is still there, row and blob, for the next run."""
    now = timezone.now()
    result = PurgeResult(cutoff=now - criteria.older_than)
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
