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
    session); another user's file can never match, whatever the filters.
    """
    words = query_words(q)
    files = file_list_for_user(user=user, **(filters or {})).order_by().values("id")
    files_sql, files_params = files.query.sql_with_params()
    backend = _postgres if connection.vendor == "postgresql" else _sqlite
    count, rows = backend(words, files_sql, list(files_params), page_size, (page - 1) * page_size)
    return SearchPage(hits=[_hit(row) for row in rows], count=count, page=page, page_size=page_size)


def _hit(row: tuple) -> SearchHit:
    file_id, filename, page, offset, marked, rank = row
    plain = marked.replace(MARK_START, "").replace(MARK_END, "")
    escaped = html.escape(marked).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    file_uuid = file_id if isinstance(file_id, UUID) else UUID(str(file_id))
    return SearchHit(file_uuid, filename, page, offset, plain, escaped, float(rank))


def _sqlite(words: list[str], files_sql: str, params: list, limit: int, skip: int) -> tuple:
    match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
    where = f"files_textchunk_fts MATCH %s AND c.file_id IN ({files_sql})"
    base = (
        "FROM files_textchunk_fts JOIN files_textchunk c ON c.id = files_textchunk_fts.rowid "
        f"JOIN files_storedfile f ON f.id = c.file_id WHERE {where}"
    )
    select = (
        'SELECT c.file_id, f.filename, c.page, c."offset", '
        f"snippet(files_textchunk_fts, 0, %s, %s, '…', {SNIPPET_TOKENS}), "
        f"-bm25(files_textchunk_fts) AS rank {base} ORDER BY rank DESC, c.id LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {base}", [match, *params])
        count = cursor.fetchone()[0]
        cursor.execute(select, [MARK_START, MARK_END, match, *params, limit, skip])
        rows = cursor.fetchall()
    return count, rows


def _postgres(words: list[str], files_sql: str, params: list, limit: int, skip: int) -> tuple:
    query = " ".join(words)
    where = f"c.search @@ q.query AND c.file_id IN ({files_sql})"
    base = f"FROM files_textchunk c, plainto_tsquery('english', %s) AS q(query) WHERE {where}"
    options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_TOKENS}, MinWords=8"
    # Rank and page first; ts_headline (costly) runs only on the page's rows.
    # The only user text, the query, is a parameter.
    select = (
        'SELECT top.file_id, f.filename, top.page, top."offset", '  # noqa: S608
        "ts_headline('english', top.text, plainto_tsquery('english', %s), %s), top.rank FROM ("
        'SELECT c.id, c.file_id, c.page, c."offset", c.text, '
        f"ts_rank(c.search, q.query) AS rank {base} "
        "ORDER BY rank DESC, c.id LIMIT %s OFFSET %s) AS top "
        "JOIN files_storedfile f ON f.id = top.file_id ORDER BY top.rank DESC, top.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {base}", [query, *params])
        count = cursor.fetchone()[0]
        cursor.execute(select, [query, options, query, *params, limit, skip])
        rows = cursor.fetchall()
    return count, rows
