"""Reads answer from the database alone and only with the caller's own files."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat.models import ChatSession
from chatui.errors import FileNotFound, Forbidden, InvalidInput, NotFound
from files.models import StoredFile
from files.selectors import (
    file_get_for_user,
    file_list_for_user,
    stats_subject_for,
    user_file_stats,
)
from files.sessions import session_id_for_user

pytestmark = pytest.mark.django_db


def _row(owner, name: str, size: int = 1, **fields) -> StoredFile:
    key = f"users/{owner.email}/uploads/{uuid.uuid4().hex[:8]}_{name}"
    return StoredFile.objects.create(owner=owner, key=key, filename=name, size=size, **fields)


def test_get_for_user_returns_own_files_only(user, other_user) -> None:
    mine, theirs = _row(user, "a"), _row(other_user, "b")
    assert file_get_for_user(user=user, file_id=str(mine.pk)) == mine
    for bad_id in [theirs.pk, str(theirs.pk), "not-a-uuid", uuid.uuid4(), "", "../x"]:
        with pytest.raises(FileNotFound):
            file_get_for_user(user=user, file_id=bad_id)


def test_get_for_user_refuses_a_row_whose_key_is_outside_the_prefix(user, other_user) -> None:
    theirs = _row(other_user, "b")
    StoredFile.objects.filter(pk=theirs.pk).update(owner=user)  # a corrupted row
    with pytest.raises(FileNotFound):
        file_get_for_user(user=user, file_id=theirs.pk)


def test_list_filters(user, other_user) -> None:
    # given
    code = _row(user, "main.py", category="code", tagged=True)
    tool = _row(user, "out.csv", category="data", source="tool", source_tool="t")
    session = ChatSession.objects.create(owner=user)
    in_chat = _row(user, "Report.PDF", category="document", session_id=session.id)
    _row(other_user, "main.py", category="code", tagged=True)
    # when / then
    assert set(file_list_for_user(user=user)) == {code, tool, in_chat}
    assert list(file_list_for_user(user=user, source="tool")) == [tool]
    assert list(file_list_for_user(user=user, category="code")) == [code]
    assert list(file_list_for_user(user=user, q="report")) == [in_chat]
    assert list(file_list_for_user(user=user, tagged=True)) == [code]
    assert set(file_list_for_user(user=user, tagged=False)) == {tool, in_chat}
    assert list(file_list_for_user(user=user, session_id=session.id)) == [in_chat]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("filename", ["a", "b", "c"]),
        ("-filename", ["c", "b", "a"]),
        ("size", ["b", "c", "a"]),
        ("-size", ["a", "c", "b"]),
        ("created_at", ["b", "a", "c"]),
        ("-created_at", ["c", "a", "b"]),
    ],
)
def test_list_ordering(user, ordering, expected) -> None:
    _row(user, "b", size=1), _row(user, "a", size=3), _row(user, "c", size=2)
    names = [f.filename for f in file_list_for_user(user=user, ordering=ordering)]
    assert names == expected


@pytest.mark.parametrize(
    "kwargs", [{"ordering": "key"}, {"source": "admin"}, {"category": "video"}]
)
def test_list_rejects_unknown_choices(user, kwargs) -> None:
    with pytest.raises(InvalidInput):
        list(file_list_for_user(user=user, **kwargs))


def test_list_is_one_query_with_owner_joined(user) -> None:
    for name in "abc":
        _row(user, name)
    with CaptureQueriesContext(connection) as queries:
        emails = [f.owner.email for f in file_list_for_user(user=user)]
    assert emails == [user.email] * 3 and len(queries) == 1


def test_stats(user, other_user, settings) -> None:
    settings.FILES_USER_QUOTA_MB = 1
    _row(user, "a.py", size=100, category="code")
    _row(user, "b.csv", size=300, category="data", source="tool", source_tool="t")
    _row(other_user, "c", size=5000)
    stats = user_file_stats(user=user)
    assert stats["total_files"] == 2 and stats["total_size"] == 400
    assert (stats["upload_count"], stats["generated_count"]) == (1, 1)
    assert stats["quota_bytes"] == 1024 * 1024 and stats["quota_used"] == 400
    assert stats["by_category"]["code"] == {"count": 1, "size": 100}
    assert stats["by_category"]["image"] == {"count": 0, "size": 0}


def test_stats_subject(user, other_user, staff_user) -> None:
    assert stats_subject_for(requester=user, email="ALICE@example.com") == user
    with pytest.raises(Forbidden):
        stats_subject_for(requester=user, email=other_user.email)
    assert stats_subject_for(requester=staff_user, email=other_user.email) == other_user
    with pytest.raises(NotFound):
        stats_subject_for(requester=staff_user, email="nobody@example.com")


def test_session_id_for_user(user, other_user) -> None:
    mine, theirs = (
        ChatSession.objects.create(owner=user),
        ChatSession.objects.create(owner=other_user),
    )
    assert session_id_for_user(user=user, session_id=str(mine.pk)) == mine.pk
    assert session_id_for_user(user=user, session_id=None) is None
    for bad in [theirs.pk, "nope", 7]:
        with pytest.raises(InvalidInput):
            session_id_for_user(user=user, session_id=bad)


def test_a_page_of_files_costs_two_queries_and_each_row_knows_its_owner(
    s3_moto, user, make_stored_file, django_assert_num_queries
) -> None:
    """The count and the page; the owner comes with the user (no join, no User per row)."""
    from django.urls import reverse, set_script_prefix

    from files.api.serializers import StoredFileOutputSerializer

    for index in range(3):
        make_stored_file(filename=f"f{index}.txt")
    with django_assert_num_queries(2):
        files = file_list_for_user(user=user)
        assert files.count() == 3
        page = list(files[:2])
        rows = StoredFileOutputSerializer(page, many=True).data
    assert all(file.owner is user for file in page)  # the caller's object, not a copy
    assert [row["user_email"] for row in rows] == [user.email] * 2
    first = files.first()
    assert rows[0]["download_url"] == reverse("files:download", kwargs={"file_id": first.pk})
    set_script_prefix("/chat/")
    try:
        moved = StoredFileOutputSerializer(first).data["download_url"]
    finally:
        set_script_prefix("/")
    assert moved == f"/chat/api/files/{first.pk}/download"


def _many_rows(owner, count: int = 3000) -> None:
    """``count`` files, a fiftieth tagged, a hundredth in the trash."""
    categories, sources = StoredFile.Category.values, ["user", "user", "user", "tool"]
    StoredFile.objects.bulk_create(
        StoredFile(
            owner=owner,
            key=f"users/{owner.email}/uploads/{index:06d}_report.csv",
            filename=f"report_{index}.csv",
            size=index * 37 % 100_000,
            category=categories[index % len(categories)],
            source=sources[index % 4],
            source_tool="bench" if index % 4 == 3 else "",
            tagged=index % 50 == 0,
            trashed_at=timezone.now() if index % 100 == 7 else None,
        )
        for index in range(count)
    )


def _analyze() -> None:
    """Fresh planner statistics (PostgreSQL: and the visibility map index-only scans need)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "sqlite" else "VACUUM ANALYZE")


def _plan(sql: str, *, bitmaps: bool = False) -> str:
    """The database's plan for ``sql``; on PostgreSQL with sequential scans (and bitmap
    scans, unless ``bitmaps``: a GIN index is read only through one) off, so a table of
    thousands of rows shows the path taken at a hundred thousand."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return " ".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(f"SET enable_bitmapscan = {'on' if bitmaps else 'off'}")
        try:
            cursor.execute(f"EXPLAIN {sql}")
            return " ".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_bitmapscan")


@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
@pytest.mark.parametrize(
    "filters",
    [{}, {"category": "data"}, {"source": "tool"}, {"q": "report_1"}, {"tagged": True}],
    ids=["all", "category", "source", "name", "tagged"],
)
def test_a_listing_page_is_counted_from_an_index_alone(user, filters) -> None:
    """The count under every page reads an index, never the owner's rows: the listing's
    indexes end with ``trashed_at``, which every list filters on (100,000 files took
    40-60 ms per count when it had to read each row to leave the trash out). SQLite is
    asked before any ``ANALYZE`` (a new database, the benchmark's) and after."""
    _many_rows(user)
    with CaptureQueriesContext(connection) as queries:
        file_list_for_user(user=user, **filters).count()
    count = queries.captured_queries[-1]["sql"]
    if connection.vendor == "sqlite" and "q" in filters:
        # Names are looked up in the trigram table (files 0012), each candidate by its
        # primary key: no walk over the owner's rows, before or after ANALYZE.
        plans = [_plan(count)]
        _analyze()
        plans.append(_plan(count))
        for plan in plans:
            assert "SCAN files_storedfile_name_fts VIRTUAL TABLE INDEX" in plan, plans
            assert "file_owner_" not in plan, plans
            assert "SEARCH files_storedfile USING INDEX sqlite_autoindex_" in plan, plans
    elif connection.vendor == "sqlite":
        plans = [_plan(count)]
        _analyze()
        plans.append(_plan(count))
        for plan in plans:
            assert "USING COVERING INDEX file_owner_" in plan, plans
    elif "q" in filters:  # PostgreSQL matches names through its trigram index (files 0004)
        _analyze()
        assert "files_storedfile_filename_trgm" in _plan(count, bitmaps=True)
    else:
        _analyze()
        assert "Index Only Scan using file_owner_" in _plan(count)


TRICKY_NAMES = [
    "Report_2026.final.PDF",
    "report-2026-final.pdf",
    "100% done.txt",
    "100 percent.txt",
    "a_b.csv",
    "axb.csv",
    'say "hi".md',
    "it's here.txt",
    "Ünïcode Straße.txt",
    "ünïcode strasse.txt",
    "日本語のファイル.txt",
    "emoji 🎉 party.png",
    "back\\slash.txt",
    "...dots....txt",
]
TRICKY_QUERIES = [
    "REPORT",
    "report_",
    "t_2",
    "0% ",
    "% d",
    "a_b",
    '"hi"',
    '"',
    "'s h",
    "ünï",
    "ÜNÏ",
    "straße",
    "本語の",
    "🎉 p",
    "\\sl",
    "...",
    "..",
    ".",
    "_",
    "%",
    "na",
    "no such name",
    'x" OR "y',
    "file_id : x",
    "*",
    "NEAR(a b)",
]


@pytest.mark.parametrize("max_candidates", [2000, 1], ids=["index", "too-common"])
@pytest.mark.parametrize("query", TRICKY_QUERIES)
def test_name_search_finds_what_icontains_finds(
    user, other_user, query, max_candidates, monkeypatch
) -> None:
    """Whatever the database, the length of the text (trigram table from three
    characters on SQLite) and how common it is (past ``MAX_CANDIDATES`` names, a plain
    scan), the name search returns exactly Django's ``icontains``: wildcards, quotes
    and FTS5 syntax are literal, and other users' files stay out."""
    monkeypatch.setattr("files.names.MAX_CANDIDATES", max_candidates)
    for name in TRICKY_NAMES:
        _row(user, name)
        _row(other_user, name)
    _row(user, "Report_2026.final.PDF", trashed_at=timezone.now())
    expected = set(
        StoredFile.objects.filter(
            owner=user, trashed_at=None, filename__icontains=query
        ).values_list("pk", flat=True)
    )
    found = set(file_list_for_user(user=user, q=query).values_list("pk", flat=True))
    assert found == expected
    if query in {"REPORT", "% d", '"hi"', "ünï", "本語の", "..."}:
        assert found, query  # the equivalence is not "both found nothing"


def test_the_name_search_follows_inserts_renames_and_deletes(user) -> None:
    """Renamed, deleted and bulk-created files are found by their current names. On
    SQLite the triggers keep exactly one trigram-table row per file (PostgreSQL's
    trigram index is an index of the table itself)."""
    sqlite = connection.vendor == "sqlite"

    def indexed() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT file_id, filename FROM files_storedfile_name_fts")
            return sorted(cursor.fetchall())

    first, second = _row(user, "alpha.txt"), _row(user, "beta.txt")
    if sqlite:
        assert indexed() == sorted([(first.pk.hex, "alpha.txt"), (second.pk.hex, "beta.txt")])
    StoredFile.objects.filter(pk=first.pk).update(filename="gamma.txt")
    StoredFile.objects.filter(pk=second.pk).update(size=5)  # not a rename
    if sqlite:
        assert indexed() == sorted([(first.pk.hex, "gamma.txt"), (second.pk.hex, "beta.txt")])
    assert list(file_list_for_user(user=user, q="gamma")) == [first]
    assert list(file_list_for_user(user=user, q="alpha")) == []
    assert list(file_list_for_user(user=user, q="beta")) == [second]
    second.delete()
    assert list(file_list_for_user(user=user, q="beta")) == []
    if sqlite:
        assert indexed() == [(first.pk.hex, "gamma.txt")]
    StoredFile.objects.bulk_create(
        [
            StoredFile(owner=user, key=f"users/{user.email}/uploads/b{i}", filename=f"bulk{i}")
            for i in range(3)
        ]
    )
    if sqlite:
        assert len(indexed()) == 4
    assert file_list_for_user(user=user, q="bulk").count() == 3
