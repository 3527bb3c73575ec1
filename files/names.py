"""The file list's name search, per database vendor: ``name_index_candidates``,
``name_contains`` and ``owned_by``.

Both vendors find the files whose name contains the user's text, without regard to
case, with no wildcard of the user's own (``%``, ``_`` and quotes are literal), as
Django's ``icontains`` does. PostgreSQL's ``icontains`` (``UPPER(filename) LIKE
UPPER(...)``) already uses its pg_trgm index (files 0004). SQLite's is ``LIKE '%…%'``,
read on every one of the owner's rows; there, text of three characters or more is
first looked up in the FTS5 ``trigram`` table over names (files 0012), and
``icontains`` only confirms the candidates, so the results are exactly
``icontains``'s (SQLite's ``LIKE`` folds ASCII case only, the trigram index all of
Unicode's). Shorter text has no trigram to look up, and text found in more than
``MAX_CANDIDATES`` names (".pdf") is cheaper to test on every row than to fetch name
by name: both stay a plain ``icontains``.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL

from chatui.models import User

from .models import StoredFile

NAME_INDEX = "files_storedfile_name_fts"
TRIGRAM = 3
# Fetching a candidate by primary key costs about a fifth of testing every row's name
# per row (bench, 100,000 files): past this many, the scan is no slower.
MAX_CANDIDATES = 2000
CANDIDATES_SQL = f"SELECT file_id FROM {NAME_INDEX} WHERE {NAME_INDEX} MATCH %s"  # noqa: S608


def name_index_candidates(text: str | None) -> RawSQL | None:
    """SQL selecting the ids of the files whose name may contain ``text`` (a superset,
    any owner), or None where the name search is a plain ``icontains``."""
    if not text or connection.vendor != "sqlite" or len(text) < TRIGRAM:
        return None
    # One FTS5 phrase in the filename column: inside double quotes every character is
    # literal but the double quote itself, which is doubled.
    match = 'filename : "' + text.replace('"', '""') + '"'
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM ({CANDIDATES_SQL} LIMIT %s)",  # noqa: S608 (parameters)
            [match, MAX_CANDIDATES + 1],
        )
        if cursor.fetchone()[0] > MAX_CANDIDATES:
            return None
    return RawSQL(CANDIDATES_SQL, [match])  # noqa: S611 (the user's text is a parameter)


def name_contains(text: str, candidates: RawSQL | None = None) -> Q:
    """The condition "the file's name contains ``text``, case aside", narrowed to
    ``candidates`` (:func:`name_index_candidates`) when given."""
    condition = Q(filename__icontains=text)
    if candidates is not None:
        condition &= Q(pk__in=candidates)
    return condition


def owned_by(user: User) -> QuerySet[StoredFile]:
    """``user``'s files, for a list narrowed to trigram candidates: the owner condition
    is written so that no index can serve it (``owner_id + 0``), or SQLite, without
    statistics (a new database), walks the owner's listing index and tests each row
    against the candidates (60-120 ms at 100,000 files) instead of fetching the few
    candidates by primary key (about 1 ms)."""
    files = StoredFile.objects.select_related("owner")
    return files.alias(owner_unindexed=F("owner_id") + 0).filter(owner_unindexed=user.pk)
