"""The document pipeline end to end: upload -> job -> worker -> chunks -> search.

Every document is built by its own library (files.tests.documents_factory), stored
through ``file_upload`` on a real S3 endpoint, and extracted by the real worker
(``files_worker --batch``) in its sandboxed child.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from files.documents.models import TextChunk
from files.documents.search import search_chunks
from files.models import StoredFile
from files.services import file_delete, file_read_bytes, file_upload

from . import documents_factory as docs

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker() -> None:
    call_command("files_worker", batch=True, interval=0, verbosity=0)


def upload(owner: Any, filename: str, content: bytes) -> StoredFile:
    return file_upload(owner=owner, content=content, filename=filename)


def found_pages(user: Any, q: str) -> list[tuple[str, int]]:
    return [(hit.filename, hit.page) for hit in search_chunks(user=user, q=q).hits]


DOCUMENTS = {
    "report.pdf": (
        lambda: docs.pdf_with_pages(["intro alpha", "middle bravo", "closing quokkaphrase"]),
        3,
        "quokkaphrase",
        3,
    ),
    "memo.docx": (lambda: docs.docx_with(["the docxword memo", "more"]), 1, "docxword", 1),
    "deck.pptx": (lambda: docs.pptx_with(["first", "second pptxword"]), 2, "pptxword", 2),
    "book.xlsx": (
        lambda: docs.xlsx_with({"A": [["x", 1]], "B": [["xlsxword", 2]]}),
        2,
        "xlsxword",
        2,
    ),
    "scan.png": (lambda: docs.png_of_text("Invoice wombat 4711"), 1, "wombat", 1),
    "scan.pdf": (lambda: docs.image_only_pdf("Scanned platypus page"), 1, "platypus", 1),
    "page.html": (
        lambda: b"<html><script>hiddenword()</script><p>visible htmlword</p></html>",
        1,
        "htmlword",
        1,
    ),
    "notes.md": (lambda: "# Notes\nkölnword café".encode("utf-16"), 1, "kölnword", 1),
}


@pytest.mark.parametrize("filename", sorted(DOCUMENTS))
def test_each_format_reaches_ready_and_its_text_is_found(
    s3_backend: Any, user: Any, filename: str
) -> None:
    build, pages, word, page = DOCUMENTS[filename]
    # given a freshly uploaded document
    file = upload(user, filename, build())
    assert file.text_status == "processing"
    # when the worker runs
    run_worker()
    # then it is ready with its counts, and search finds its word on the right page
    file.refresh_from_db()
    assert (file.text_status, file.text_error) == ("ready", "")
    assert file.pages == pages
    assert file.words >= 1
    assert found_pages(user, word) == [(filename, page)]


def test_script_text_of_html_is_not_indexed(s3_backend: Any, user: Any) -> None:
    upload(user, "page.html", DOCUMENTS["page.html"][0]())
    run_worker()
    assert found_pages(user, "hiddenword") == []


FAILURES = {
    "broken.pdf": (lambda: b"%PDF-1.4 this is not a pdf", "corrupt"),
    "locked.pdf": (lambda: docs.encrypted_pdf("secret"), "encrypted"),
    "bomb.docx": (lambda: docs.zip_bomb_docx(3 * 1024 * 1024), "too_large"),
    "huge.png": (lambda: docs.pixel_bomb_png(4000, 3000), "too_large"),
    "archive.bin": (lambda: b"\x00\x01binary" * 50, "unsupported"),
}


@pytest.mark.parametrize("filename", sorted(FAILURES))
def test_unreadable_files_fail_with_a_reason_and_stay_downloadable(
    s3_backend: Any, user: Any, settings: Any, filename: str
) -> None:
    settings.DOCUMENTS_MAX_UNZIPPED_MB = 2
    settings.DOCUMENTS_MAX_IMAGE_PIXELS = 10_000_000
    build, reason = FAILURES[filename]
    content = build()
    file = upload(user, filename, content)
    run_worker()
    file.refresh_from_db()
    assert (file.text_status, file.text_error) == ("failed", reason)
    assert file.text_detail
    assert file_read_bytes(file=file) == content


def test_search_never_shows_another_users_documents(
    s3_backend: Any, user: Any, other_user: Any
) -> None:
    upload(other_user, "theirs.pdf", docs.pdf_with_pages(["confidential zanzibar"]))
    upload(user, "mine.pdf", docs.pdf_with_pages(["public zanzibar"]))
    run_worker()
    assert found_pages(user, "zanzibar") == [("mine.pdf", 1)]
    assert found_pages(user, "confidential") == []
    assert found_pages(other_user, "zanzibar") == [("theirs.pdf", 1)]


def test_snippet_highlights_and_escapes(s3_backend: Any, user: Any) -> None:
    upload(user, "x.txt", b"before <b>tag</b> the needleword after")
    run_worker()
    (hit,) = search_chunks(user=user, q="needleword").hits
    assert "<mark>needleword</mark>" in hit.snippet_html
    assert "<b>" not in hit.snippet_html  # escaped (SQLite) or dropped as markup (ts_headline)
    if connection.vendor == "sqlite":
        assert "&lt;b&gt;" in hit.snippet_html
    assert "needleword" in hit.snippet and "<mark>" not in hit.snippet


def fts_rows(word: str) -> int:
    if connection.vendor != "sqlite":
        return TextChunk.objects.filter(text__icontains=word).count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM files_textchunk_fts WHERE files_textchunk_fts MATCH %s", [word]
        )
        return cursor.fetchone()[0]


def test_deleting_a_file_deletes_its_chunks_and_index_rows(s3_backend: Any, user: Any) -> None:
    file = upload(user, "gone.txt", b"ephemeralword here")
    run_worker()
    assert fts_rows("ephemeralword") == 1
    file_delete(file=file)
    assert TextChunk.objects.count() == 0
    assert fts_rows("ephemeralword") == 0
    assert found_pages(user, "ephemeralword") == []


def test_a_file_left_by_a_killed_worker_is_picked_up_by_the_next(
    s3_backend: Any, user: Any
) -> None:
    # given a file whose worker died mid-job: processing, with its lease run out, and
    # the queue's own record of the job stuck in "running"
    file = upload(user, "left.txt", b"orphanword text")
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.update(status="RUNNING")
    StoredFile.objects.filter(pk=file.pk).update(
        text_attempts=1, text_lease_until=timezone.now() - timedelta(seconds=1)
    )
    # when the next worker starts
    run_worker()
    # then it finishes the file
    file.refresh_from_db()
    assert file.text_status == "ready"
    assert file.text_attempts == 2
    assert found_pages(user, "orphanword") == [("left.txt", 1)]


def test_an_uploads_job_is_written_in_the_same_transaction_as_its_row(
    s3_backend: Any, user: Any
) -> None:
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        file = upload(user, "both.txt", b"words")
        queued = DBTaskResult.objects.filter(args_kwargs__args=[str(file.pk)])
        assert queued.count() == 1  # before any commit: one write transaction, not two
        raise Undo
    assert not StoredFile.objects.exists() and not DBTaskResult.objects.exists()


def test_stale_jobs_are_looked_for_once_per_half_lease_not_before_every_job(
    s3_backend: Any, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    from files.documents import jobs

    looks: list[int] = []
    monkeypatch.setattr(jobs, "text_requeue_stale", lambda: looks.append(1) or 0)
    cache.delete(jobs.REQUEUE_DUE_KEY)
    for n in range(3):
        upload(user, f"{n}.txt", b"words")
    run_worker()  # three jobs
    assert len(looks) == 1
    cache.delete(jobs.REQUEUE_DUE_KEY)  # half a lease later, the key has expired
    upload(user, "later.txt", b"words")
    run_worker()
    assert len(looks) == 2


def test_a_file_that_keeps_killing_workers_fails_after_the_attempt_budget(
    s3_backend: Any, user: Any, settings: Any
) -> None:
    file = upload(user, "killer.txt", b"text")
    StoredFile.objects.filter(pk=file.pk).update(
        text_attempts=settings.DOCUMENTS_MAX_ATTEMPTS,
        text_lease_until=timezone.now() - timedelta(seconds=1),
    )
    run_worker()
    file.refresh_from_db()
    assert (file.text_status, file.text_error) == ("failed", "error")


def test_a_live_lease_is_not_taken_and_a_rerun_is_idempotent(s3_backend: Any, user: Any) -> None:
    from files.documents.jobs import text_extraction_run

    file = upload(user, "twice.txt", b"one two three")
    run_worker()
    chunks = list(TextChunk.objects.values_list("page", "offset", "text"))
    # a duplicate job for a ready file does nothing
    assert text_extraction_run(file_id=str(file.pk)) == "skipped"
    # a job for a file another worker holds does nothing either
    StoredFile.objects.filter(pk=file.pk).update(
        text_status="processing", text_lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert text_extraction_run(file_id=str(file.pk)) == "skipped"
    assert list(TextChunk.objects.values_list("page", "offset", "text")) == chunks


def test_an_extraction_past_its_time_limit_is_killed(
    s3_backend: Any, user: Any, settings: Any
) -> None:
    settings.DOCUMENTS_EXTRACT_TIMEOUT_S = 0.001
    file = upload(user, "slow.png", docs.png_of_text("slow"))
    run_worker()
    file.refresh_from_db()
    assert (file.text_status, file.text_error) == ("failed", "too_large")
    assert "longer than" in file.text_detail
