"""Which chunks a search may find (``TextChunk.searchable``, files.documents.index): the
current version's text of a file not in the trash, kept in step by every door that
changes a file's version or trash state, and read by the index itself (SQLite: only
searchable chunks are in the FTS5 table; PostgreSQL: a partial GIN index), so the
search query needs no join to the file.

Each test drives the product's path (API, admin, services, the extraction job) and
then asks both the flags and the index, on whichever database the run uses.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from chatui.testing.asgi import asgi_post
from files.documents.index import chunks_replace
from files.documents.jobs import text_extraction_run
from files.documents.models import TextChunk
from files.documents.search import COUNT_LIMIT, search_chunks
from files.models import StoredFile
from files.version_rows import version_revert_latest
from files.versions import version_upload

from .test_selectors import _analyze, _plan

pytestmark = pytest.mark.django_db


def _upload(client: Any, content: bytes) -> str:
    response = asgi_post("/api/files", client=client, files={"file": ("plan.txt", content)})
    assert response.status_code == 201, response.json()
    text_extraction_run(file_id=response.json()["id"])
    return response.json()["id"]


def _new_version(client: Any, file_id: str, content: bytes, *, extract: bool = True) -> None:
    path = f"/api/files/{file_id}/versions"
    response = asgi_post(path, client=client, files={"file": ("plan.txt", content)})
    assert response.status_code == 201, response.json()
    if extract:
        text_extraction_run(file_id=file_id)


def _flags(file_id: str) -> dict[int, bool]:
    """{version: searchable} of the file's chunks (one chunk per version here)."""
    rows = TextChunk.objects.filter(file_id=file_id).values_list("version", "searchable")
    return dict(sorted(rows))


def _indexed(user: Any, word: str) -> int:
    """Chunks of ``user`` the full-text index itself yields for ``word``, with no join to
    the file: what the search query relies on."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT COUNT(*) FROM files_textchunk_fts WHERE files_textchunk_fts MATCH %s",
                [f'owner_id : "{user.pk}" AND text : "{word}"'],
            )
        else:
            cursor.execute(
                "SELECT COUNT(*) FROM files_textchunk WHERE owner_id = %s AND searchable "
                "AND search @@ plainto_tsquery('english', %s)",
                [user.pk, word],
            )
        return cursor.fetchone()[0]


def _found(user: Any, word: str) -> int:
    return search_chunks(user=user, q=word).count


def _seen(user: Any, *words: str) -> list[tuple[int, int]]:
    """(index, search) counts for each word."""
    return [(_indexed(user, word), _found(user, word)) for word in words]


def test_a_new_version_takes_the_old_text_out_and_its_own_in(api_client, s3_backend) -> None:
    user = api_client.user
    file_id = _upload(api_client, b"the alphaword plan\n")
    assert _flags(file_id) == {1: True} and _seen(user, "alphaword") == [(1, 1)]
    # when v2 is uploaded, before its text is extracted: v1's text is no longer searched
    _new_version(api_client, file_id, b"the betaword plan\n", extract=False)
    assert _flags(file_id) == {1: False}
    assert _seen(user, "alphaword", "betaword") == [(0, 0), (0, 0)]
    # then once it is extracted, v2's text is
    text_extraction_run(file_id=file_id)
    assert _flags(file_id) == {1: False, 2: True}
    assert _seen(user, "alphaword", "betaword") == [(0, 0), (1, 1)]


def test_trash_and_restore_from_the_trash(api_client, s3_backend) -> None:
    user = api_client.user
    file_id = _upload(api_client, b"the alphaword plan\n")
    _new_version(api_client, file_id, b"the betaword plan\n")
    assert api_client.delete(f"/api/files/{file_id}").status_code == 204
    assert _flags(file_id) == {1: False, 2: False}
    assert _seen(user, "alphaword", "betaword") == [(0, 0), (0, 0)]
    assert api_client.post(f"/api/files/{file_id}/restore").status_code == 200
    assert _flags(file_id) == {1: False, 2: True}
    assert _seen(user, "alphaword", "betaword") == [(0, 0), (1, 1)]


def test_restoring_a_version_searches_its_text_again(api_client, s3_backend) -> None:
    user = api_client.user
    file_id = _upload(api_client, b"the alphaword plan\n")
    _new_version(api_client, file_id, b"the betaword plan\n")
    response = api_client.post(f"/api/files/{file_id}/versions/1/restore")
    assert response.status_code in (200, 201), response.json()
    assert _flags(file_id) == {1: False, 2: False}  # v3's text is not extracted yet
    text_extraction_run(file_id=file_id)
    assert _flags(file_id) == {1: False, 2: False, 3: True}
    assert _seen(user, "alphaword", "betaword") == [(1, 1), (0, 0)]


@pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)
def test_the_admins_version_restore_does_the_same(api_client, s3_backend, make_user: Any) -> None:
    user = api_client.user
    file_id = _upload(api_client, b"the alphaword plan\n")
    _new_version(api_client, file_id, b"the betaword plan\n")
    admin = Client()
    admin.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    response = admin.post(f"/admin/files/storedfile/{file_id}/versions/1/restore/")
    assert response.status_code == 302
    text_extraction_run(file_id=file_id)
    assert _flags(file_id) == {1: False, 2: False, 3: True}
    assert _seen(user, "alphaword", "betaword") == [(1, 1), (0, 0)]


def test_a_failed_tool_runs_version_undone_brings_the_previous_text_back(
    api_client, s3_backend
) -> None:
    user = api_client.user
    file_id = _upload(api_client, b"the alphaword plan\n")
    _new_version(api_client, file_id, b"the betaword plan\n")
    version_revert_latest(file=StoredFile.objects.get(pk=file_id))
    assert _flags(file_id)[1] is True and _flags(file_id).get(2) is not True
    assert _seen(user, "alphaword", "betaword") == [(1, 1), (0, 0)]


def test_purging_takes_the_text_with_the_file_or_the_version(
    api_client, s3_backend, monkeypatch
) -> None:
    user = api_client.user
    kept = _upload(api_client, b"the alphaword plan\n")
    _new_version(api_client, kept, b"the betaword plan\n")
    gone = _upload(api_client, b"a gammaword note\n")
    api_client.delete(f"/api/files/{gone}")
    # when the trash is emptied and, two days on, versions replaced a day ago are dropped
    api_client.delete("/api/trash")
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr("files.ops.retention.timezone.now", lambda: later)
    purge = ["--keep-versions=1", "--older-than=1d", "--apply"]
    call_command("files_purge", *purge, stdout=StringIO())
    # then the purged file's text and the dropped version's text are gone
    assert not TextChunk.objects.filter(file_id=gone).exists()
    assert _flags(kept) == {2: True}
    assert _seen(user, "alphaword", "betaword", "gammaword") == [(0, 0), (1, 1), (0, 0)]


def test_a_job_that_finishes_after_a_newer_version_stores_unsearchable_text(
    user, s3_backend, make_stored_file
) -> None:
    # given a job's copy of the file at v1, and v2 becoming current meanwhile
    file = make_stored_file(content=b"the alphaword plan\n", filename="plan.txt")
    stale = StoredFile.objects.get(pk=file.pk)
    version_upload(file=file, content=b"the betaword plan\n")
    # when the v1 job stores its text
    with transaction.atomic():
        chunks_replace(file=stale, pages=["the alphaword plan"])
    # then it is kept (for ?version=1) but never searched
    assert _flags(file.pk) == {1: False}
    assert _seen(user, "alphaword") == [(0, 0)]


def test_a_job_that_finishes_after_the_trash_stores_unsearchable_text(
    user, s3_backend, make_stored_file
) -> None:
    from files.trash import file_trash, file_untrash

    file = make_stored_file(content=b"the alphaword plan\n", filename="plan.txt")
    file_trash(file=file)
    with transaction.atomic():
        chunks_replace(file=file, pages=["the alphaword plan"])
    assert _flags(file.pk) == {1: False} and _seen(user, "alphaword") == [(0, 0)]
    file_untrash(file=file)
    assert _flags(file.pk) == {1: True} and _seen(user, "alphaword") == [(1, 1)]


@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
@pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)
def test_the_search_reads_the_flag_from_the_index_without_joining_the_file(
    user, s3_backend, make_stored_file
) -> None:
    from django.test.utils import CaptureQueriesContext

    for n in range(3):
        chunks_replace(file=make_stored_file(filename=f"f{n}.txt"), pages=[f"needle {n}"])
    _analyze()
    with CaptureQueriesContext(connection) as queries:
        search_chunks(user=user, q="needle")
    searches = [q["sql"] for q in queries if "@@" in q["sql"] or " MATCH " in q["sql"]]
    assert searches
    for sql in searches:
        plan = _plan(sql, bitmaps=True)
        assert "files_storedfile" not in sql and "files_storedfile" not in plan, plan
        if connection.vendor == "sqlite":
            assert "files_textchunk_fts VIRTUAL TABLE INDEX" in plan, plan
        else:
            assert "files_textchunk_search" in plan, plan  # the partial GIN index


def _common_word_chunks(user: Any, file: Any, total: int, every: int) -> None:
    """``total`` pages of ~2,000 characters (their tsvector toasted, as extracted text's
    is) of which every ``every``-th says "needle": a word the statistics call common."""
    import random

    rng = random.Random(15)
    vocabulary = [f"w{n}" for n in range(2000)]
    chunks = []
    for n in range(total):
        words = [rng.choice(vocabulary) for _ in range(300)]
        if n % every == 0:
            words[rng.randrange(len(words))] = "needle"
        chunks.append(
            TextChunk(
                file=file, owner=user, page=n + 1, offset=0, text=" ".join(words), searchable=True
            )
        )
    TextChunk.objects.bulk_create(chunks, batch_size=1000)


@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
@pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)
def test_a_common_word_is_counted_and_ranked_through_the_gin_index(
    user, s3_backend, make_stored_file
) -> None:
    """With a LIMIT the planner could see, a word the statistics call common made a
    sequential scan (or the owner's btree) testing ``@@`` on every row's toasted
    tsvector look cheaper than the GIN bitmap: 45-180 ms at 100,000 chunks (a word in
    ~7% of them) instead of 1-3 ms. A quarter of 6,000 chunks draws the same choice
    from the old query. The plans read here are the ones the planner picks on its own
    (no planner setting changed), after ANALYZE."""
    from django.test.utils import CaptureQueriesContext

    _common_word_chunks(user, make_stored_file(filename="big.txt"), total=6000, every=4)
    _analyze()
    with CaptureQueriesContext(connection) as queries:
        found = search_chunks(user=user, q="needle")
    assert found.count == COUNT_LIMIT + 1 and not found.count_exact  # 1,500 matches
    if connection.vendor == "sqlite":  # FTS5 answers from its index whatever the word
        searches = [q["sql"] for q in queries if " MATCH " in q["sql"]]
        assert len(searches) == 3  # the count, the page, and the page's snippets
        for sql in searches:
            plan = _plan(sql)
            assert "VIRTUAL TABLE INDEX" in plan and "SCAN files_textchunk " not in plan, plan
        return
    searches = [q["sql"] for q in queries if "@@" in q["sql"]]
    assert len(searches) == 2  # the count and the page
    plans = []
    for sql in searches:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    for plan in plans:
        assert "Bitmap Index Scan on files_textchunk_search" in plan, plans
        assert "Seq Scan on files_textchunk" not in plan, plans
        assert "files_textchunk_owner" not in plan, plans


def _reader_with_a_shared_file(user: Any, other_user: Any, make_stored_file: Any) -> None:
    """alice's shared file (three needles) and unshared one; bob's own (one needle)."""
    from files.sharing.services import share_create_for_file

    shared = make_stored_file(filename="shared.txt")
    chunks_replace(file=shared, pages=["needle needle needle in the hay"])
    chunks_replace(file=make_stored_file(filename="private.txt"), pages=["needle in a box"])
    own = make_stored_file(owner=other_user, filename="own.txt")
    chunks_replace(file=own, pages=["one needle and a great deal of other hay in the barn"])
    share_create_for_file(file=shared, email=other_user.email)


@pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)
@pytest.mark.parametrize("any_word", [False, True], ids=["every-word", "any-word"])
def test_a_reader_s_own_and_shared_chunks_are_ranked_together(
    user, other_user, s3_backend, make_stored_file, any_word
) -> None:
    """The reader's own chunks and the shared files' are found and ranked as one list
    (SQLite asks FTS5 once per owner group), and an unshared file stays out."""
    _reader_with_a_shared_file(user, other_user, make_stored_file)
    found = search_chunks(user=other_user, q="needle", any_word=any_word)
    assert [(hit.filename, hit.shared_by) for hit in found.hits] == [
        ("shared.txt", user.email),
        ("own.txt", None),
    ]
    assert found.count == 2 and found.hits[0].rank > found.hits[1].rank
    theirs = search_chunks(
        user=other_user, q="needle", any_word=any_word, filters={"shared": "with_me"}
    )
    assert [hit.filename for hit in theirs.hits] == ["shared.txt"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)
def test_a_reader_s_search_reads_no_chunk_row_per_match(
    user, other_user, s3_backend, make_stored_file
) -> None:
    """The shared files' chunks are a set of ids from the ``chunk_file_page`` index,
    tested against FTS5's matches: no lookup of each match's chunk row (its file id lies
    past the long text), and no rowid constraint handed to FTS5 (one MATCH per id)."""
    from django.test.utils import CaptureQueriesContext

    _reader_with_a_shared_file(user, other_user, make_stored_file)
    _analyze()
    with CaptureQueriesContext(connection) as queries:
        assert search_chunks(user=other_user, q="needle").count == 2
    if connection.vendor == "postgresql":  # one GIN search over the readable owners' chunks
        searches = [q["sql"] for q in queries if "@@" in q["sql"]]
        assert len(searches) == 2  # the count and the page
        for sql in searches:
            plan = _plan(sql, bitmaps=True)
            assert "files_textchunk_search" in plan and "Seq Scan" not in plan, plan
        return
    searches = [q["sql"] for q in queries if " MATCH " in q["sql"] and "snippet(" not in q["sql"]]
    assert len(searches) == 2  # the count and the page
    for sql in searches:
        plan = _plan(sql)
        assert "USING INTEGER PRIMARY KEY" not in plan, plan
        assert "COVERING INDEX chunk_file_page" in plan, plan
        assert "VIRTUAL TABLE INDEX 0:M" in plan and ":=" not in plan, plan
