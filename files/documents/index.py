"""Storing a file's extracted text as chunks; the full-text index follows by itself
(SQLite triggers / a PostgreSQL generated column, see migrations ``files.0004`` and
``files.0013``). Which chunks a search may find (``TextChunk.searchable``: the current
version's, of a file not in the trash) is kept here too, by
:func:`chunks_searchable_update`, which every change of a file's version or trash state
calls in its own transaction."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import transaction

from ..models import StoredFile
from .models import TextChunk

CHUNK_CHARS = 2000  # a page longer than this is stored as several chunks
CHUNK_BATCH = 500


def split_page(text: str, max_chars: int = CHUNK_CHARS) -> Iterator[tuple[int, str]]:
    """(offset, text) slices of a page, cut at whitespace near ``max_chars``."""
    offset = 0
    while offset < len(text):
        end = min(offset + max_chars, len(text))
        if end < len(text):
            cut = text.rfind(" ", offset + max_chars // 2, end)
            end = cut + 1 if cut > 0 else end
        piece = text[offset:end]
        if piece.strip():
            yield offset, piece
        offset = end


def _chunks(file: StoredFile, pages: list[str], searchable: bool) -> Iterator[TextChunk]:
    for number, text in enumerate(pages, start=1):
        for offset, piece in split_page(text):
            yield TextChunk(
                file=file,
                owner_id=file.owner_id,
                version=file.version,
                page=number,
                offset=offset,
                text=piece,
                searchable=searchable,
            )


def chunks_replace(*, file: StoredFile, pages: list[str]) -> int:
    """Replace the chunks of the file's version with ``pages`` (idempotent; earlier
    versions keep theirs); returns how many were stored.

    Call inside a transaction together with the status change, so readers see either
    the old text and status or the new ones.
    """
    TextChunk.objects.filter(file=file, version=file.version).delete()
    # Asked of the row, not of ``file``: a job's copy is as old as its claim, and a newer
    # version or the trash may have come since (the caller holds the row's lock).
    searchable = StoredFile.objects.filter(
        pk=file.pk, version=file.version, trashed_at__isnull=True
    ).exists()
    stored = 0
    batch: list[TextChunk] = []
    for chunk in _chunks(file, pages, searchable):
        batch.append(chunk)
        if len(batch) >= CHUNK_BATCH:
            stored += len(TextChunk.objects.bulk_create(batch))
            batch = []
    stored += len(TextChunk.objects.bulk_create(batch))
    return stored


def chunks_searchable_update(*, file: StoredFile) -> None:
    """Make search find the chunks of ``file``'s current version, and no other, unless
    the file is in the trash (then none). ``file`` is the row as just saved: call inside
    the transaction that changed its ``version`` or ``trashed_at``. Only chunks whose
    flag changes are written (on SQLite each write re-indexes the chunk's text)."""
    chunks = TextChunk.objects.filter(file_id=file.pk)
    live = file.trashed_at is None
    stale = chunks.filter(searchable=True)
    if live:
        stale = stale.exclude(version=file.version)
    stale.update(searchable=False)
    if live:
        chunks.filter(version=file.version, searchable=False).update(searchable=True)


def page_text(*, file: StoredFile, page: int) -> str:
    """The stored text of one page of the file's version (its chunks joined in order)."""
    pieces = TextChunk.objects.filter(file=file, version=file.version, page=page)
    pieces = pieces.order_by("offset")
    return "".join(pieces.values_list("text", flat=True))


@transaction.atomic
def chunks_delete(*, file: StoredFile) -> None:
    TextChunk.objects.filter(file=file).delete()
