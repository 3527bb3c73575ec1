"""Optional semantic ranking: chunk vectors from an OpenAI-compatible embeddings endpoint,
fused with the full-text ranking by reciprocal rank fusion.

``EMBEDDINGS_BASE_URL`` (default: ``LLM_BASE_URL``) and ``EMBEDDINGS_MODEL`` turn it
on. The worker embeds a file's chunks after extraction (:func:`chunk_vectors_store`);
a search embeds its query (:func:`query_vector`) and ranks the chunks of its scope by
cosine similarity (:func:`vector_ranking`). The endpoint is optional in every sense:
when it is not configured, or fails, or is slow, everything works on full text alone
and the failure is logged as a WARNING (never raised to a chat or a worker job).
Vectors are float32 bytes in a side table (``ChunkVector``), so any database holds them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import httpx
import numpy as np
import openai
from django.conf import settings
from django.db.models import F
from openai import OpenAI

from ..sharing.access import files_readable
from .models import ChunkVector, TextChunk

logger = logging.getLogger(__name__)

BATCH = 64  # texts per embeddings request
VECTOR_SCOPE_MAX = 20_000  # chunks ranked by vector per search, newest first
RRF_K = 60  # the usual constant of reciprocal rank fusion
# After a failed query embedding, queries skip the endpoint this long: a chat's
# retrieval runs on the database thread every socket shares, so a dead endpoint must
# cost one timeout per minute and process, not one per message.
QUERY_BACKOFF_S = 60.0
_query_failed_at: float | None = None


class EmbeddingsUnavailable(Exception):
    """The endpoint did not answer usably; callers fall back to full text."""


def embeddings_enabled() -> bool:
    return bool(settings.EMBEDDINGS_BASE_URL)


def _embed(texts: list[str]) -> list[np.ndarray]:
    client = OpenAI(
        base_url=settings.EMBEDDINGS_BASE_URL,
        api_key=settings.EMBEDDINGS_API_KEY or "not-needed",
        timeout=settings.EMBEDDINGS_TIMEOUT_S,
        max_retries=0,
    )
    try:
        answer = client.embeddings.create(model=settings.EMBEDDINGS_MODEL or "default", input=texts)
    except (openai.APIError, httpx.HTTPError) as exc:
        raise EmbeddingsUnavailable(f"{type(exc).__name__}: {exc}") from exc
    finally:
        client.close()
    vectors = [np.asarray(item.embedding, dtype=np.float32) for item in answer.data]
    if len(vectors) != len(texts) or len({v.shape for v in vectors}) > 1:
        raise EmbeddingsUnavailable("the endpoint answered with a different number of vectors")
    return vectors


def chunk_vectors_store(*, file_id: UUID | str) -> int:
    """Embed the file's chunks that have no vector of the configured model; returns how
    many were stored. A failing endpoint leaves the file searchable by full text."""
    if not embeddings_enabled():
        return 0
    model = settings.EMBEDDINGS_MODEL or "default"
    chunks = list(
        TextChunk.objects.filter(file_id=file_id)
        .exclude(vector__model=model)
        .order_by("id")
        .values_list("id", "text")
    )
    stored = 0
    for start in range(0, len(chunks), BATCH):
        batch = chunks[start : start + BATCH]
        try:
            vectors = _embed([text for _, text in batch])
        except EmbeddingsUnavailable as exc:
            logger.warning("embeddings failed, file %s stays full-text only: %s", file_id, exc)
            return stored
        ChunkVector.objects.bulk_create(
            [
                ChunkVector(chunk_id=chunk_id, model=model, vector=vector.tobytes())
                for (chunk_id, _), vector in zip(batch, vectors, strict=True)
            ],
            update_conflicts=True,
            unique_fields=["chunk"],
            update_fields=["model", "vector"],
        )
        stored += len(batch)
    return stored


def query_vector(query: str) -> np.ndarray | None:
    """The query's vector, or None (not configured, or the endpoint failed: a WARNING,
    and the next ``QUERY_BACKOFF_S`` seconds of queries go without)."""
    global _query_failed_at
    if not embeddings_enabled() or not query.strip():
        return None
    if _query_failed_at is not None and time.monotonic() - _query_failed_at < QUERY_BACKOFF_S:
        return None
    try:
        vector = _embed([query])[0]
    except EmbeddingsUnavailable as exc:
        _query_failed_at = time.monotonic()
        logger.warning(
            "embeddings failed, ranking by full text only (for %.0f s): %s", QUERY_BACKOFF_S, exc
        )
        return None
    _query_failed_at = None
    return vector


def vector_ranking(
    *, user: Any, vector: np.ndarray, file_ids: Iterable[UUID | str] | None, limit: int
) -> list[int]:
    """Chunk ids of the files the user may read (``file_ids``, or all) by cosine similarity to
    ``vector``, best first, among the newest ``VECTOR_SCOPE_MAX`` vectors of the model."""
    readable = files_readable(user=user)  # owned or shared now: never by owner alone
    if file_ids is not None:
        readable = readable.filter(pk__in=list(file_ids))
    rows = ChunkVector.objects.filter(
        chunk__file_id__in=readable.values("pk"),
        chunk__owner_id=F("chunk__file__owner_id"),
        chunk__version=F("chunk__file__version"),  # the current version's text only
        model=settings.EMBEDDINGS_MODEL or "default",
    )
    pairs = list(rows.order_by("-chunk_id").values_list("chunk_id", "vector")[:VECTOR_SCOPE_MAX])
    same = [(cid, np.frombuffer(bytes(raw), dtype=np.float32)) for cid, raw in pairs]
    same = [(cid, v) for cid, v in same if v.shape == vector.shape]
    if not same:
        return []
    matrix = np.stack([v for _, v in same])
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(vector) or 1.0)
    scores = matrix @ vector / np.where(norms == 0, 1.0, norms)
    order = np.argsort(-scores, kind="stable")[:limit]
    return [same[i][0] for i in order]


def reciprocal_rank_fusion(rankings: list[list[int]], k: int = RRF_K) -> list[int]:
    """Ids by the sum of 1 / (k + rank) over the rankings they appear in, best first."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda item: (-scores[item], item))
