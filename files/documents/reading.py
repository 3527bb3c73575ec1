"""Reading a file's extracted text for a reader other than the Files page: how long it
is, its pages within a character budget, its opening chunks.

Every function takes the user and reads only the chunks of files that user may read
now (``files_readable_ids``: owned, or shared with them), so a caller holding a file
id from elsewhere cannot read another user's text through them, and a revoked share
stops the text on the next call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Length

from ..sharing.access import files_readable_ids
from .models import TextChunk

OPENING_PAGES = 3  # where a document's opening is looked for


@dataclass(frozen=True)
class PageText:
    page: int
    text: str


# The current version's text only: earlier versions keep theirs (for ?version=N).
CURRENT = {"version": F("file__version")}


def readable_chunks(*, user: Any, file_ids: Iterable[UUID | str]) -> QuerySet[TextChunk]:
    """The current text of those of ``file_ids`` that ``user`` may read (a chunk's owner
    is its file's owner: checked too, in case a row was ever copied wrong)."""
    readable = files_readable_ids(user=user, file_ids=list(file_ids))
    return TextChunk.objects.filter(file_id__in=readable, owner_id=F("file__owner_id"), **CURRENT)


def text_sizes(*, user: Any, file_ids: Iterable[UUID | str]) -> dict[UUID, int]:
    """Characters of extracted text per file (files without chunks are absent)."""
    rows = (
        readable_chunks(user=user, file_ids=file_ids)
        .values("file_id")
        .annotate(chars=Sum(Length("text")))
        .order_by()
    )
    return {row["file_id"]: row["chars"] or 0 for row in rows}


def pages_read(*, user: Any, file_id: UUID | str, max_chars: int) -> tuple[list[PageText], int]:
    """The file's pages in order, at most ``max_chars`` characters in all, and how many
    characters were left out. Chunks are read in order and the read stops at the budget."""
    chunks = (
        readable_chunks(user=user, file_ids=[file_id])
        .order_by("page", "offset")
        .values_list("page", "text")
    )
    pages: list[PageText] = []
    used = left_out = 0
    for page, text in chunks.iterator(chunk_size=200):
        room = max_chars - used
        if room <= 0:
            left_out += len(text)
            continue
        piece = text[:room]
        left_out += len(text) - len(piece)
        used += len(piece)
        if pages and pages[-1].page == page:
            pages[-1] = PageText(page, pages[-1].text + piece)
        else:
            pages.append(PageText(page, piece))
    return pages, left_out


def opening_chunks(
    *, user: Any, file_ids: Iterable[UUID | str], per_file: int = 1
) -> list[dict[str, Any]]:
    """The first ``per_file`` chunks of each file (file_id, filename, page, text), in the
    order of ``file_ids``: what a chat falls back to when a message retrieves nothing."""
    ordered = [str(file_id) for file_id in file_ids]
    rows = (
        readable_chunks(user=user, file_ids=ordered)
        .filter(page__lte=OPENING_PAGES)
        .order_by("file_id", "page", "offset")
        .values("file_id", "file__filename", "page", "text", "version")
    )
    by_file: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        kept = by_file.setdefault(str(row["file_id"]), [])
        if len(kept) < per_file:
            kept.append(row)
    return [row for file_id in ordered for row in by_file.get(file_id, [])]
