"""Passages for a question: the best chunks of some of the user's files, for the chat's
context and the ``search_files`` tool.

Full-text ranking (any word of the question, stop words dropped) through the one
search selector, so ownership and the index are the Files page's. When an embeddings
endpoint is configured (:mod:`files.documents.embeddings`), the question's vector
ranks the same files' chunks too and the two rankings are fused (reciprocal rank
fusion); a failing endpoint leaves the full-text ranking alone, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from ..models import StoredFile
from ..selectors import file_list_for_user
from .search import SearchHit, search_chunks

SNIPPET_WORDS = 40


@dataclass(frozen=True)
class Passage:
    """A chunk given to a reader; ``snippet`` is what a citation shows."""

    file_id: str
    filename: str
    page: int
    text: str
    snippet: str
    rank: float = 0.0
    version: int = 1

    def citation(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "filename": self.filename,
            "page": self.page,
            "snippet": self.snippet,
            "version": self.version,
        }


def passage_of(hit: SearchHit) -> Passage:
    return Passage(
        str(hit.file_id), hit.filename, hit.page, hit.text, hit.snippet, hit.rank, hit.version
    )


def files_with_tag(*, user: Any, name: str) -> QuerySet[StoredFile]:
    """The user's files carrying the tag ``name`` (a key of their ``tags``; the name as
    written or lower-cased), oldest first: what ``#name`` in a chat and the
    ``search_files`` tool's ``tag`` mean."""
    condition = Q(tags__has_key=name) | Q(tags__has_key=name.lower())
    return file_list_for_user(user=user).filter(condition).order_by("created_at", "id")


def passages_retrieve(
    *, user: Any, query: str, file_ids: Iterable[UUID | str] | None = None, limit: int = 10
) -> list[Passage]:
    """The user's best chunks for ``query`` among ``file_ids`` (None: all their files),
    best first; empty when the query has no content words or nothing matches."""
    ids = None if file_ids is None else list(file_ids)
    if ids is not None and not ids:
        return []
    found = search_chunks(
        user=user, q=query, file_ids=ids, any_word=True, count=False, page_size=limit
    )
    return [passage_of(hit) for hit in found.hits]
