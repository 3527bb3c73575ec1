"""Passages for a question: the best chunks of some of the files a user may read (their
own and those shared with them), for the chat's context and the ``search_files`` tool
(the Files page's search stays full text).

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

from django.db.models import F, Q, QuerySet

from ..models import StoredFile
from ..sharing.access import files_readable
from .embeddings import query_vector, reciprocal_rank_fusion, vector_ranking
from .models import TextChunk
from .search import SearchHit, search_chunks

SNIPPET_WORDS = 40
FUSION_DEPTH = 50  # hits taken from each ranking before fusing them


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
    """The files the user may read (their own, and others' shared with them) carrying
    the tag ``name`` (a key of their ``tags``; the name as written or lower-cased),
    oldest first: what ``#name`` in a chat and the ``search_files`` tool's ``tag`` mean.
    A caller reading them through a share audits that (``files_readable_among``)."""
    condition = Q(tags__has_key=name) | Q(tags__has_key=name.lower())
    files = files_readable(user=user).filter(condition).select_related("owner")
    return files.order_by("created_at", "id")


def passages_retrieve(
    *, user: Any, query: str, file_ids: Iterable[UUID | str] | None = None, limit: int = 10
) -> list[Passage]:
    """The user's best chunks for ``query`` among ``file_ids`` (None: all their files),
    best first; empty when the query has no content words or nothing matches."""
    ids = None if file_ids is None else list(file_ids)
    if ids is not None and not ids:
        return []
    vector = query_vector(query)
    depth = max(limit, FUSION_DEPTH) if vector is not None else limit
    found = search_chunks(
        user=user, q=query, file_ids=ids, any_word=True, count=False, page_size=depth
    )
    if vector is None:
        return [passage_of(hit) for hit in found.hits[:limit]]
    by_text = {hit.chunk_id: passage_of(hit) for hit in found.hits}
    by_vector = vector_ranking(user=user, vector=vector, file_ids=ids, limit=depth)
    fused = reciprocal_rank_fusion([list(by_text), by_vector])[:limit]
    extra = _passages_by_id(user, [chunk_id for chunk_id in fused if chunk_id not in by_text])
    by_text.update(extra)
    return [by_text[chunk_id] for chunk_id in fused if chunk_id in by_text]


def _passages_by_id(user: Any, chunk_ids: list[int]) -> dict[int, Passage]:
    """Passages for chunks found by vector only (no full-text snippet: their opening)."""
    readable = files_readable(user=user).values("pk")
    rows = TextChunk.objects.filter(
        pk__in=chunk_ids, file_id__in=readable, owner_id=F("file__owner_id")
    ).values("id", "file_id", "file__filename", "page", "text", "version")
    return {
        row["id"]: Passage(
            str(row["file_id"]),
            row["file__filename"],
            row["page"],
            row["text"],
            " ".join(row["text"].split()[:SNIPPET_WORDS]),
            0.0,
            row["version"],
        )
        for row in rows
    }
