"""Retrieval for one message: which files go whole, which are searched, and what the
search gives the model (passages) and the reply (citations).

The files in context share ``CHAT_CONTEXT_MAX_CHARS``. When their text fits, every
one goes whole, as extracted text for a document (page-labelled). When it does not,
the smallest files that fit in half the budget still go whole, and every other file
whose text is indexed is *searched* with the message's words: its best passages, each
labelled with file and page, fill the rest of the budget. A file too large and not
(yet) indexed keeps the old way: its opening, truncated, with the truncation marked.

``#name`` in a message brings the files the user may read (their own, and those
shared with them, by file or by tag) carrying the tag ``name`` (a key of their tags)
into that message's context. Every file comes through the one "can read" check
(``files_readable_among``, asked before every reply, so a revoked share drops out of
the next message), and the text through ``files.documents`` readers that filter on
the readable files again.

Citations are the best hits among the passages given to the model, plus the best
hits inside documents that went whole (their text was given too), best first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.conf import settings

from files.documents.reading import PageText, opening_chunks, pages_read, text_sizes
from files.documents.retrieve import Passage, files_with_tag, passages_retrieve
from files.models import StoredFile
from files.selectors import files_readable_among

TAG = re.compile(r"(?<![\w&#/])#([A-Za-z0-9_][\w.-]{0,63})")
TAG_FILES_MAX = 50
PASSAGES_MAX = 8
CITATIONS_MAX = 5
SEARCH_HITS = 20
SNIPPET_WORDS = 30
Ready = StoredFile.TextStatus.READY


@dataclass(frozen=True)
class DocumentText:
    """A document's extracted text going whole, by page."""

    pages: list[PageText]
    left_out: int = 0

    def render(self) -> str:
        return "\n".join(f"[page {p.page}]\n{p.text.strip()}" for p in self.pages)


@dataclass
class RetrievalPlan:
    shares: dict[UUID, int] = field(default_factory=dict)  # text files read from storage
    documents: dict[UUID, DocumentText] = field(default_factory=dict)  # whole, extracted
    searched: list[UUID] = field(default_factory=list)  # too large: passages instead
    passages: list[Passage] = field(default_factory=list)
    citations: list[Passage] = field(default_factory=list)


def message_tags(text: str) -> list[str]:
    """The ``#name`` tags of a message, each once, in order."""
    return list(dict.fromkeys(TAG.findall(text or "")))


def tag_files(*, user: Any, text: str) -> list[tuple[StoredFile, str]]:
    """The files the user may read (own, or shared with them) carrying a tag named in
    ``text``, with the tag as the reason; reads through a share are audited here."""
    found: dict[UUID, tuple[StoredFile, str]] = {}
    for name in message_tags(text):
        for stored in files_with_tag(user=user, name=name)[:TAG_FILES_MAX]:
            found.setdefault(stored.pk, (stored, f"tag #{name}"))
    picked = list(found.values())[:TAG_FILES_MAX]
    readable = {f.pk for f in files_readable_among(user=user, files=[f for f, _ in picked])}
    return [(stored, reason) for stored, reason in picked if stored.pk in readable]


def retrieval_plan(
    *, user: Any, texts: list[StoredFile], documents: list[StoredFile], query: str
) -> RetrievalPlan:
    """Decide, for text files (read from storage) and documents (their extracted text,
    ``text_status`` ready), what goes whole and what is searched, and run the search."""
    budget = settings.CHAT_CONTEXT_MAX_CHARS
    files = [*texts, *documents]
    sizes = {f.pk: f.size for f in texts}
    extracted = text_sizes(user=user, file_ids=[f.pk for f in documents]) if documents else {}
    sizes.update({f.pk: extracted.get(f.pk, 0) for f in documents})
    whole, searched = _split(files, sizes, budget)
    plan = RetrievalPlan(searched=[f.pk for f in searched])
    given = _whole_plan(user, plan, whole, sizes, budget // 2 if searched else budget, documents)
    _search(user, plan, whole, searched, query, budget - given)
    return plan


def _split(
    files: list[StoredFile], sizes: dict[UUID, int], budget: int
) -> tuple[list[StoredFile], list[StoredFile]]:
    """(whole, searched): all whole when they fit; else the smallest that fit in half
    the budget, plus every file that cannot be searched (not indexed)."""
    textual = sorted((f for f in files if f.pk in sizes), key=lambda f: (sizes[f.pk], str(f.pk)))
    if sum(sizes[f.pk] for f in textual) <= budget:
        return textual, []
    whole, used = [], 0
    for stored in textual:
        fits = used + sizes[stored.pk] <= budget // 2
        if fits or stored.text_status != Ready:
            whole.append(stored)
            used += sizes[stored.pk] if fits else 0
    searched = [f for f in textual if f not in whole]
    return whole, searched


def _whole_plan(
    user: Any,
    plan: RetrievalPlan,
    whole: list[StoredFile],
    sizes: dict[UUID, int],
    budget: int,
    documents: list[StoredFile],
) -> int:
    """Shares of ``budget`` for the files going whole; documents' pages are read here.
    Returns the characters given."""
    shares = budget_shares([sizes[f.pk] for f in whole], budget)
    document_ids = {f.pk for f in documents}
    for stored, share in zip(whole, shares, strict=True):
        if stored.pk in document_ids:
            pages, left_out = pages_read(user=user, file_id=stored.pk, max_chars=share)
            plan.documents[stored.pk] = DocumentText(pages, left_out)
        else:
            plan.shares[stored.pk] = share
    return sum(shares)


def _search(
    user: Any,
    plan: RetrievalPlan,
    whole: list[StoredFile],
    searched: list[StoredFile],
    query: str,
    budget: int,
) -> None:
    indexed = [f.pk for f in [*whole, *searched] if f.text_status == Ready]
    hits = passages_retrieve(user=user, query=query, file_ids=indexed, limit=SEARCH_HITS)
    searched_ids = {f.pk for f in searched}
    given: list[Passage] = []
    used = 0
    for hit in hits:
        if UUID(hit.file_id) not in searched_ids:
            plan.citations.append(hit)  # its whole text is in the context already
        elif len(given) < PASSAGES_MAX and used + len(hit.text) <= budget:
            given.append(hit)
            plan.citations.append(hit)
            used += len(hit.text)
    if searched and not given:
        given = _openings(user, searched, budget)
    plan.passages = given
    plan.citations = plan.citations[:CITATIONS_MAX]


def budget_shares(sizes: list[int], budget: int) -> list[int]:
    """Split ``budget`` characters fairly: no file gets more than it needs (its byte
    size bounds its characters) and what a small file leaves goes to the others."""
    shares = [0] * len(sizes)
    remaining = budget
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    for position, index in enumerate(order):
        fair = remaining // (len(order) - position)
        shares[index] = min(sizes[index], fair)
        remaining -= shares[index]
    return shares


def _openings(user: Any, searched: list[StoredFile], budget: int) -> list[Passage]:
    """Nothing matched: each searched file's opening, so "summarise #report" has text."""
    passages: list[Passage] = []
    used = 0
    for row in opening_chunks(user=user, file_ids=[f.pk for f in searched]):
        if used + len(row["text"]) > budget:
            break
        used += len(row["text"])
        snippet = " ".join(row["text"].split()[:SNIPPET_WORDS])
        passages.append(
            Passage(
                str(row["file_id"]),
                row["file__filename"],
                row["page"],
                row["text"],
                snippet,
                version=row["version"],
            )
        )
    return passages
