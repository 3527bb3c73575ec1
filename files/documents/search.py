"""The one search selector over extracted text: ``search_chunks``.

Two implementations of one contract, chosen by the database vendor: SQLite FTS5
(``MATCH``, ``bm25``, ``snippet``) and PostgreSQL full-text search (``@@``,
``ts_rank``, ``ts_headline``). Both take the user's words (no query syntax: every
word must occur, stemmed), are limited to the files ``file_list_for_user`` returns
for the same filters (so ownership and the file list's filters apply as they do on
the Files page), and return hits ranked best first with a highlighted snippet.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection

from chatui.errors import InvalidInput
from chatui.models import User

from ..selectors import file_list_for_user
from .models import TextChunk

MARK_START, MARK_END = "\x02", "\x03"  # control characters no extracted text keeps
SNIPPET_TOKENS = 24
MAX_QUERY_WORDS = 20
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    file_id: UUID
    filename: str
    page: int
    offset: int
    snippet: str  # plain text
    snippet_html: str  # escaped, matches in <mark>
    rank: float


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    count: int
    page: int
    page_size: int


def query_words(q: str) -> list[str]:
    words = WORD.findall(q or "")
    if not words:
        raise InvalidInput("q must contain at least one word.", field="q")
    return words[:MAX_QUERY_WORDS]


def search_chunks(
    *, user: User, q: str, filters: dict[str, Any] | None = None, page: int = 1, page_size: int = 20
) -> SearchPage:
    """The user's text chunks matching every word of ``q``, best first, one page of them.

    ``filters`` are :func:`file_list_for_user`'s (source, category, q on names, tagged,
    session); another user's file can never match, whatever the filters: the owner is
    part of the index query, and the page's rows are read back through the owner.
    """
    words = query_words(q)
    active = {name: value for name, value in (filters or {}).items() if value is not None}
    # Only the current version's text of files not in the trash (earlier versions
    # keep their text for ?version=N, but a search finds what the file says now).
    files_sql, files_params = CURRENT_TEXT_SQL, []
    if active:
        files = file_list_for_user(user=user, **active).order_by().values("id")
        sql, params = files.query.sql_with_params()
        files_sql, files_params = f"{files_sql} AND c.file_id IN ({sql})", list(params)
    backend = _postgres if connection.vendor == "postgresql" else _sqlite
    skip = (page - 1) * page_size
    count, ranked = backend(user.pk, words, files_sql, files_params, page_size, skip)
    return SearchPage(hits=_hits(user, ranked), count=count, page=page, page_size=page_size)


CURRENT_TEXT_SQL = (
    " AND EXISTS (SELECT 1 FROM files_storedfile f WHERE f.id = c.file_id"
    " AND f.version = c.version AND f.trashed_at IS NULL)"
)


def _hits(user: User, ranked: list[tuple[int, float, str]]) -> list[SearchHit]:
    """Hits for (chunk id, rank, marked snippet) rows; a row whose chunk or file is not
    the user's is dropped (defence in depth: the index query already asked for the owner).
    Looked up by primary key alone: an owner condition in SQL lets SQLite's planner walk
    all of the owner's chunks instead."""
    fields = ("id", "file_id", "file__filename", "file__owner_id", "owner_id", "page", "offset")
    rows = TextChunk.objects.filter(pk__in=[row[0] for row in ranked]).values(*fields)
    mine = {row["id"]: row for row in rows if row["owner_id"] == row["file__owner_id"] == user.pk}
    return [
        _hit(mine[chunk_id], rank, marked) for chunk_id, rank, marked in ranked if chunk_id in mine
    ]


def _hit(row: dict[str, Any], rank: float, marked: str) -> SearchHit:
    plain = marked.replace(MARK_START, "").replace(MARK_END, "")
    escaped = html.escape(marked).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    return SearchHit(
        row["file_id"],
        row["file__filename"],
        row["page"],
        row["offset"],
        plain,
        escaped,
        float(rank),
    )


def _fts_query(owner_id: int, words: list[str]) -> str:
    """An FTS5 query: the owner's token and every word, each a quoted string (no syntax)."""
    terms = " AND ".join('text : "' + word.replace('"', '""') + '"' for word in words)
    return f'owner_id : "{int(owner_id)}" AND {terms}'


def _sqlite(
    owner_id: int, words: list[str], files_sql: str, params: list, limit: int, skip: int
) -> tuple:
    """Rank inside FTS5 (the owner is a column of the index); join the chunk table only
    when file filters ask for it; snippets only for the page's rows."""
    match = _fts_query(owner_id, words)
    join = " JOIN files_textchunk c ON c.id = files_textchunk_fts.rowid" if files_sql else ""
    base = f"FROM files_textchunk_fts{join} WHERE files_textchunk_fts MATCH %s{files_sql}"
    ranked = (
        f"SELECT files_textchunk_fts.rowid, -bm25(files_textchunk_fts, 1.0, 0.0) AS rank {base} "
        "ORDER BY rank DESC, files_textchunk_fts.rowid LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {base}", [match, *params])
        count = cursor.fetchone()[0]
        cursor.execute(ranked, [match, *params, limit, skip])
        rows = cursor.fetchall()
        snippets = _sqlite_snippets(cursor, match, [row[0] for row in rows])
    return count, [(chunk_id, rank, snippets.get(chunk_id, "")) for chunk_id, rank in rows]


def _sqlite_snippets(cursor: Any, match: str, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    cursor.execute(
        f"SELECT rowid, snippet(files_textchunk_fts, 0, %s, %s, '…', {SNIPPET_TOKENS}) "  # noqa: S608
        f"FROM files_textchunk_fts WHERE files_textchunk_fts MATCH %s AND rowid IN ({marks})",
        [MARK_START, MARK_END, match, *ids],
    )
    return dict(cursor.fetchall())


def _postgres(
    owner_id: int, words: list[str], files_sql: str, params: list, limit: int, skip: int
) -> tuple:
    query = " ".join(words)
    where = f"c.owner_id = %s AND c.search @@ q.query{files_sql}"
    base = f"FROM files_textchunk c, plainto_tsquery('english', %s) AS q(query) WHERE {where}"
    options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_TOKENS}, MinWords=8"
    # Rank and page first; ts_headline (costly) runs only on the page's rows.
    select = (
        "SELECT top.id, top.rank, "  # noqa: S608 (the only user text, the query, is a parameter)
        "ts_headline('english', top.text, plainto_tsquery('english', %s), %s) FROM ("
        f"SELECT c.id, c.text, ts_rank(c.search, q.query) AS rank {base} "
        "ORDER BY rank DESC, c.id LIMIT %s OFFSET %s) AS top ORDER BY top.rank DESC, top.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {base}", [query, owner_id, *params])
        count = cursor.fetchone()[0]
        cursor.execute(select, [query, options, query, owner_id, *params, limit, skip])
        rows = cursor.fetchall()
    return count, rows
