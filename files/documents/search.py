"""The one search selector over extracted text: ``search_chunks``.

Two implementations of one contract, chosen by the database vendor: SQLite FTS5
(``MATCH``, ``bm25``, ``snippet``) and PostgreSQL full-text search (``@@``,
``ts_rank``, ``ts_headline``). Both take the user's words (no query syntax, stemmed),
are limited to the files the user may read (their own, as ``file_list_for_user``
returns them for the same filters, and the files shared with them, as its
``shared="with_me"`` returns them), and return hits ranked best first with a
highlighted snippet, each naming the owner when the file is someone else's.

The index is keyed by owner (an FTS5 column, an indexed PostgreSQL column), so a
search asks for the user's own chunks and, when something is shared with them, the
sharing owners' chunks narrowed to the shared files: a user with no shares costs
one indexed lookup more than before, and revoking a share hides its file at once.

Two ways to match: every word (the Files page's search box), or any word that is not
a stop word (``any_word``: retrieval for a chat message or the ``search_files`` tool,
where a question's words rarely all occur in one passage).

Bounded work, whatever the word: the count is exact up to ``COUNT_LIMIT`` and
reported as "at least" beyond it, and ranking considers the newest
``RANK_CANDIDATES`` matches (every match of all but the commonest words), so a query
matching most of 100,000 chunks costs about what a rare word does (see
``bench/ingest.py``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import connection

from chatui.errors import InvalidInput
from chatui.models import User

from ..selectors import file_list_for_user
from ..sharing.access import files_readable_ids, share_owner_ids
from .models import TextChunk

MARK_START, MARK_END = "\x02", "\x03"  # control characters no extracted text keeps
SNIPPET_TOKENS = 24
MAX_QUERY_WORDS = 20
COUNT_LIMIT = 1000
RANK_CANDIDATES = 2000  # SQLite, any word: the newest matches ranked
POSTGRES_RANK_CANDIDATES = 500  # ts_rank reads each candidate's toasted tsvector
WORD = re.compile(r"\w+", re.UNICODE)
STOP_WORDS = frozenset(
    " ".join(
        [
            "a about an and are as at be but by can could did do does for from had has have how",
            "i if in into is it its me my no not of on or our so than that the their them then",
            "there these they this to was we were what when where which who whom why will with",
            "would you your please tell show find give say says said",
        ]
    ).split()
)


@dataclass(frozen=True)
class SearchHit:
    file_id: UUID
    filename: str
    page: int
    offset: int
    snippet: str  # plain text
    snippet_html: str  # escaped, matches in <mark>
    rank: float
    text: str = ""  # the whole chunk, for retrieval
    version: int = 1  # the file version the text is of
    chunk_id: int = 0
    shared_by: str | None = None  # the owner's email when the file is shared with the user


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    count: int  # exact when ``count_exact``, else a lower bound (COUNT_LIMIT + 1)
    page: int
    page_size: int
    count_exact: bool = True


@dataclass(frozen=True)
class _Arm:
    """One part of the scope: these owners' chunks, of the files ``files_sql`` selects
    (a subquery of file ids), or of all their files when it is empty."""

    owner_ids: list[int]
    files_sql: str = ""
    files_params: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class _Query:
    """What a backend runs: the words, how they combine, and the scope's arms."""

    words: list[str]
    any_word: bool
    arms: list[_Arm]

    @property
    def owner_ids(self) -> list[int]:
        return [owner for arm in self.arms for owner in arm.owner_ids]

    def condition(self) -> tuple[str, list[Any]]:
        """The arms as one condition on chunks ``c`` (" AND (...)", or none for the
        user's own chunks alone) and its parameters, beside an owner test."""
        if len(self.arms) == 1 and not self.arms[0].files_sql:
            return "", []
        parts: list[str] = []
        params: list[Any] = []
        for arm in self.arms:
            if arm.files_sql:
                parts.append(f"c.file_id IN ({arm.files_sql})")
                params.extend(arm.files_params)
            else:
                parts.append("c.owner_id = %s")
                params.append(arm.owner_ids[0])
        return f" AND ({' OR '.join(parts)})", params


def query_words(q: str) -> list[str]:
    words = WORD.findall(q or "")
    if not words:
        raise InvalidInput("q must contain at least one word.", field="q")
    return words[:MAX_QUERY_WORDS]


def content_words(q: str) -> list[str]:
    """The words of ``q`` worth retrieving by (stop words dropped, each once); empty
    when nothing is left, so a greeting retrieves nothing rather than every chunk."""
    words = [w for w in WORD.findall((q or "").lower()) if w not in STOP_WORDS and len(w) > 1]
    return list(dict.fromkeys(words))[:MAX_QUERY_WORDS]


def search_chunks(
    *,
    user: User,
    q: str,
    filters: dict[str, Any] | None = None,
    page: int = 1,
    page_size: int = 20,
    file_ids: Iterable[UUID | str] | None = None,
    any_word: bool = False,
    count: bool = True,
) -> SearchPage:
    """The user's text chunks matching ``q``, best first, one page of them.

    ``filters`` are :func:`file_list_for_user`'s (source, category, q on names, tagged,
    session, shared); ``file_ids`` narrows to those files (ids the user may not read
    match nothing). A file the user may not read can never match, whatever the
    arguments: the owners are part of the index query, other owners' chunks are
    narrowed to the files shared with the user, and the page's rows are checked again.
    ``count=False`` skips counting (retrieval needs only the best hits).
    """
    words = content_words(q) if any_word else query_words(q)
    arms = _scope(user, filters, file_ids) if words else []
    if not arms:
        return SearchPage(hits=[], count=0, page=page, page_size=page_size)
    query = _Query(words, any_word, arms)
    backend = _postgres if connection.vendor == "postgresql" else _sqlite
    total, ranked = backend(query, page_size, (page - 1) * page_size, count)
    return SearchPage(
        hits=_hits(user, ranked),
        count=min(total, COUNT_LIMIT + 1),
        page=page,
        page_size=page_size,
        count_exact=total <= COUNT_LIMIT,
    )


def _scope(
    user: User, filters: dict[str, Any] | None, file_ids: Iterable[UUID | str] | None
) -> list[_Arm]:
    """The arms of the scope (the user's own chunks, the shared files' owners' chunks
    narrowed to those files); none when nothing can match.

    The user's own files as the file list filters them; and, unless ``shared`` says
    otherwise, the files shared with them (the owner's ``tagged`` flag and a session
    mean nothing to a recipient, so those filters leave shared files out). Only the
    current version's text of files not in the trash is in the index (earlier versions
    keep their text for ?version=N, but a search finds what the file says now):
    ``TextChunk.searchable``, so no condition here has to join the file for it."""
    active = {name: value for name, value in (filters or {}).items() if value is not None}
    ids = None if file_ids is None else list(file_ids)
    shared = active.get("shared")
    mine = shared != "with_me"
    theirs = shared == "with_me" or (
        shared is None and not active.keys() & {"tagged", "session_id"}
    )
    owners = [o for o in share_owner_ids(user=user) if o != user.pk] if theirs else []
    arms: list[_Arm] = []
    if mine and (active or ids is not None):
        arms.append(_narrow([user.pk], file_list_for_user(user=user, **active), ids))
    elif mine:
        arms.append(_Arm([user.pk]))
    if owners:
        wanted = {k: v for k, v in active.items() if k in {"q", "category", "source"}}
        shared_files = file_list_for_user(user=user, shared="with_me", **wanted)
        arms.append(_narrow(owners, shared_files, ids))
    return arms


def _narrow(owner_ids: list[int], files: Any, file_ids: list[Any] | None) -> _Arm:
    """The owners' chunks of ``files`` (narrowed to ``file_ids``)."""
    if file_ids is not None:
        files = files.filter(pk__in=list(file_ids))
    sql, params = files.order_by().values("id").query.sql_with_params()
    return _Arm(owner_ids, sql, list(params))


def _hits(user: User, ranked: list[tuple[int, float, str]]) -> list[SearchHit]:
    """Hits for (chunk id, rank, marked snippet) rows; a row whose file the user may not
    read (defence in depth: the index query already narrowed to those), whose chunk's
    owner is not its file's, whose file is in the trash or which is not searchable (an
    earlier version's) is dropped.
    Looked up by primary key alone: an owner condition in SQL lets SQLite's planner walk
    all of the owner's chunks instead."""
    fields = ("id", "file_id", "file__filename", "file__owner_id", "owner_id", "page", "offset")
    extra = ("text", "version", "searchable", "file__trashed_at", "file__owner__email")
    rows = TextChunk.objects.filter(pk__in=[row[0] for row in ranked]).values(*fields, *extra)
    rows = [
        r
        for r in rows
        if r["owner_id"] == r["file__owner_id"]
        and r["file__trashed_at"] is None
        and r["searchable"]
    ]
    theirs = {row["file_id"] for row in rows if row["owner_id"] != user.pk}
    shared = (
        {r["pk"] for r in files_readable_ids(user=user, file_ids=list(theirs))} if theirs else set()
    )
    kept = {
        row["id"]: row for row in rows if row["owner_id"] == user.pk or row["file_id"] in shared
    }
    return [
        _hit(kept[chunk_id], rank, marked, user)
        for chunk_id, rank, marked in ranked
        if chunk_id in kept
    ]


def _hit(row: dict[str, Any], rank: float, marked: str, user: User) -> SearchHit:
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
        row["text"],
        row["version"],
        row["id"],
        None if row["owner_id"] == user.pk else row["file__owner__email"],
    )


def _fts_words(query: _Query) -> str:
    """The words as an FTS5 query, each a quoted string (no syntax)."""
    joiner = " OR " if query.any_word else " AND "
    return joiner.join('text : "' + word.replace('"', '""') + '"' for word in query.words)


def _fts_query(words: str, owner_ids: list[int]) -> str:
    """The owners' tokens and the words: the owner is a column of the index."""
    owners = " OR ".join(f'owner_id : "{int(owner)}"' for owner in owner_ids)
    return f"({owners}) AND ({words})"


def _sqlite(query: _Query, limit: int, skip: int, count: bool) -> tuple[int, list]:
    """Rank inside FTS5 (the owner is a column of the index, which holds only searchable
    chunks), one FTS5 query per arm of the scope under UNION ALL (the arms' owners
    differ, so no chunk is in two); snippets only for the page's rows.

    An arm narrowed to some files keeps the matches whose rowid is one of those files'
    chunk ids: a set SQLite builds once from the ``chunk_file_page`` index, which holds
    the chunk's id, instead of reading each match's chunk row for its ``file_id`` (past
    the long text, in overflow pages): for a reader of a tag-shared tenth of 100,000
    chunks, a common word's count took 11 ms of CPU that way, 4 ms this way. The unary
    ``+`` keeps SQLite from offering that set to FTS5 as a rowid constraint (SQLite's
    documented way to keep a term from an index), which ran the MATCH once per id
    (850 ms). BM25 weighs only the text column, so the arms' ranks compare."""
    words = _fts_words(query)
    arms: list[str] = []
    params: list[Any] = []
    for arm in query.arms:
        where = "files_textchunk_fts MATCH %s"
        params.append(_fts_query(words, arm.owner_ids))
        if arm.files_sql:
            chunks = f"SELECT c.id FROM files_textchunk c WHERE c.file_id IN ({arm.files_sql})"  # noqa: S608 (Django's SQL, parameters)
            where += f" AND +files_textchunk_fts.rowid IN ({chunks})"
            params.extend(arm.files_params)
        arms.append(f"FROM files_textchunk_fts WHERE {where}")
    # Any word: rank the newest RANK_CANDIDATES matches (FTS5 yields them in rowid order
    # and stops there); every word: rank all matches, which measured faster in FTS5.
    select = "SELECT files_textchunk_fts.rowid AS id, -bm25(files_textchunk_fts, 1.0, 0.0) AS rank "
    if query.any_word:
        newest = f" ORDER BY files_textchunk_fts.rowid DESC LIMIT {RANK_CANDIDATES}"
        each = " UNION ALL ".join(f"SELECT * FROM ({select}{arm}{newest})" for arm in arms)  # noqa: S608
        matches = f"SELECT id, rank FROM ({each}) ORDER BY id DESC LIMIT {RANK_CANDIDATES}"  # noqa: S608
    else:
        matches = " UNION ALL ".join(select + arm for arm in arms)
    ranked = (
        f"SELECT id, rank FROM ({matches}) AS candidates "  # noqa: S608 (the only user text, the query, is a parameter)
        "ORDER BY rank DESC, id LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        total = (
            _count(cursor, " UNION ALL ".join(f"SELECT 1 {arm}" for arm in arms), params)
            if count
            else 0
        )
        cursor.execute(ranked, [*params, limit, skip])
        rows = cursor.fetchall()
        snippets = _sqlite_snippets(cursor, words, [row[0] for row in rows])
    return total, [(chunk_id, rank, snippets.get(chunk_id, "")) for chunk_id, rank in rows]


def _count(cursor: Any, matches: str, params: list[Any]) -> int:
    """Matches up to one past COUNT_LIMIT: enough to say "1000+" without counting all."""
    bounded = f"SELECT COUNT(*) FROM ({matches} LIMIT %s) AS m"  # noqa: S608 (parameters)
    cursor.execute(bounded, [*params, COUNT_LIMIT + 1])
    return cursor.fetchone()[0]


def _sqlite_snippets(cursor: Any, match: str, ids: list[int]) -> dict[int, str]:
    """Snippets of rows already found (the owner's): matched on the words alone, since
    the owner's token made FTS5 walk every chunk of the owner again (10 ms at 100k)."""
    if not ids:
        return {}
    marks = ", ".join(["%s"] * len(ids))
    cursor.execute(
        f"SELECT rowid, snippet(files_textchunk_fts, 0, %s, %s, '…', {SNIPPET_TOKENS}) "  # noqa: S608
        f"FROM files_textchunk_fts WHERE files_textchunk_fts MATCH %s AND rowid IN ({marks})",
        [MARK_START, MARK_END, match, *ids],
    )
    return dict(cursor.fetchall())


def _tsquery(query: _Query) -> tuple[str, str]:
    """SQL for the tsquery and its one parameter. Any word: ``to_tsquery`` over
    ``w1 | w2`` (the words are ``\\w+``, which holds no tsquery operator)."""
    if query.any_word:
        return "to_tsquery('english', %s)", " | ".join(query.words)
    return "plainto_tsquery('english', %s)", " ".join(query.words)


def _postgres(query: _Query, limit: int, skip: int, count: bool) -> tuple[int, list]:
    """Match through the GIN index, keep the first ``POSTGRES_RANK_CANDIDATES`` matches
    the bitmap scan yields (ordering them would visit every match's heap page first),
    rank those, and make headlines for the page's rows only: ``ts_rank`` and
    ``ts_headline`` read each row's toasted tsvector or text, so their count is what
    has to stay bounded.

    The match is a ``MATERIALIZED`` common table expression, read by a ``LIMIT``
    outside it. PostgreSQL plans such a WITH query on its own, for all of its rows (an
    optimization fence; its documented contract), and evaluates only as many rows as
    the outer query fetches. With the ``LIMIT`` inside, a word the statistics call
    common (~7% of 100,000 chunks) made a sequential scan or the owner's btree look
    cheaper than the GIN bitmap, since the planner expects to stop after a few
    thousand rows and does not charge for reading each row's toasted tsvector to test
    ``@@``: 45-180 ms and 35,000-66,000 buffers for what the bitmap does in 1-3 ms
    (``files/tests/test_documents_index.py`` reads the plans)."""
    tsquery, text = _tsquery(query)
    owners = "c.owner_id = %s" if len(query.owner_ids) == 1 else "c.owner_id = ANY(%s)"
    # ``c.searchable``: the predicate of the partial GIN index (migration files 0013)
    files_sql, files_params = query.condition()
    where = f"{owners} AND c.searchable AND c.search @@ q.query{files_sql}"
    owner = query.owner_ids[0] if len(query.owner_ids) == 1 else list(query.owner_ids)
    params = [text, owner, *files_params]
    matches = (
        "WITH m AS MATERIALIZED (SELECT c.id, c.search, q.query "  # noqa: S608 (the only user text, the query, is a parameter)
        f"FROM files_textchunk c, {tsquery} AS q(query) WHERE {where}) "
    )
    options = (  # one fragment: ts_headline's cheaper algorithm, the same kind of snippet
        f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_TOKENS}, MinWords=8, "
        "MaxFragments=1"
    )
    select = (
        f"{matches}SELECT top.id, top.rank, ts_headline('english', t.text, top.query, %s) "  # noqa: S608
        "FROM (SELECT cand.id, cand.query, ts_rank(cand.search, cand.query) AS rank "
        "FROM (SELECT id, search, query FROM m LIMIT %s) AS cand "
        "ORDER BY rank DESC, cand.id LIMIT %s OFFSET %s) AS top "
        "JOIN files_textchunk t ON t.id = top.id ORDER BY top.rank DESC, top.id"
    )
    with connection.cursor() as cursor:
        total = 0
        if count:  # matches up to one past COUNT_LIMIT, as ``_count``
            cursor.execute(
                f"{matches}SELECT COUNT(*) FROM (SELECT 1 FROM m LIMIT %s) AS n",  # noqa: S608
                [*params, COUNT_LIMIT + 1],
            )
            total = cursor.fetchone()[0]
        cursor.execute(select, [*params, options, POSTGRES_RANK_CANDIDATES, limit, skip])
        rows = cursor.fetchall()
    return total, rows
