"""The file list's name search: ``name_contains``, one condition per database vendor.

Both find the files whose name contains the user's text, without regard to case, with
no wildcard of the user's own (``%``, ``_`` and quotes are literal), as Django's
``icontains`` does, and both answer from a trigram index rather than reading each of
the owner's names. PostgreSQL's ``icontains`` (``UPPER(filename) LIKE UPPER(...)``)
already uses its pg_trgm index (files 0004). SQLite's is ``LIKE '%…%'``, read on every
row; there, text of three characters or more is first looked up in the FTS5
``trigram`` table over names (files 0012), and ``icontains`` only confirms the
candidates, so the results are exactly ``icontains``'s (SQLite's ``LIKE`` folds ASCII
case only, the trigram index all of Unicode's). Shorter text has no trigram to look up
and stays a plain ``icontains``.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

NAME_INDEX = "files_storedfile_name_fts"
TRIGRAM = 3


def name_contains(text: str) -> Q:
    """The condition "the file's name contains ``text``, case aside"."""
    condition = Q(filename__icontains=text)
    if connection.vendor == "sqlite" and len(text) >= TRIGRAM:
        condition &= Q(pk__in=_sqlite_trigram_candidates(text))
    return condition


def _sqlite_trigram_candidates(text: str) -> RawSQL:
    # One FTS5 phrase in the filename column: inside double quotes every character is
    # literal but the double quote itself, which is doubled.
    phrase = '"' + text.replace('"', '""') + '"'
    return RawSQL(  # noqa: S611 (the user's text is a parameter)
        f"SELECT file_id FROM {NAME_INDEX} WHERE {NAME_INDEX} MATCH %s",  # noqa: S608
        [f"filename : {phrase}"],
    )
