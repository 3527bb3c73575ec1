"""The extraction job: queued on upload, run by a worker, safe to run twice.

Jobs go through Django's Tasks API (the ``django-tasks`` backport) and its database
backend; ``manage.py files_worker`` runs them. The queue's own row says nothing
useful when a worker dies mid-job (it stays "running" forever), so the file row
carries the job's state:

* ``text_status=processing`` with ``text_lease_until`` empty: queued;
* a lease in the future: a worker is on it (the lease outlasts the extraction
  timeout, so a live worker never loses it);
* a lease in the past: its worker died. :func:`text_requeue_stale` queues the file
  again; it runs when a worker starts, between jobs once per half lease
  (:func:`text_requeue_stale_when_due`) and in ``files_index --failed``.

Each run counts an attempt; after ``DOCUMENTS_MAX_ATTEMPTS`` the file is ``failed``
(reason ``error``), so a file that kills workers cannot loop forever. Storage
outages are retried with a delay within the same budget. A run is idempotent: it
replaces the file's chunks in one transaction.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from chatui.errors import StorageUnavailable
from chatui.sandbox import ChildCrashed, ChildDied, ChildLimits, ChildTimeout, run_in_child

from ..models import StoredFile
from .embeddings import chunk_vectors_store
from .extract import extract_file
from .index import chunks_replace
from .limits import Extracted, ExtractionFailed, ExtractLimits

logger = logging.getLogger(__name__)

RETRY_DELAY_S = 30
REQUEUE_DUE_KEY = "files:text-requeue-stale"
DOWNLOAD_CHUNK = 1024 * 1024
Status = StoredFile.TextStatus


@task()
def extract_text(file_id: str) -> str:
    """The task the worker runs; returns what happened (kept in the task result)."""
    text_requeue_stale_when_due()
    return text_extraction_run(file_id=file_id)


def text_requeue_stale_when_due() -> int:
    """:func:`text_requeue_stale` at most once per half lease, for every worker
    together (an atomic ``cache.add``, in Redis when it is configured), not before
    every job: a job costs no extra query, and a dead worker's file still waits at
    most a lease and a half."""
    if not cache.add(REQUEUE_DUE_KEY, True, timeout=settings.DOCUMENTS_LEASE_S / 2):
        return 0
    return text_requeue_stale()


def text_extraction_queue(*, file: StoredFile, enqueue: bool = True) -> None:
    """Mark ``file`` processing and queue its extraction, in the caller's transaction;
    with ``enqueue=False`` only mark it, for a caller that runs the job itself."""
    StoredFile.objects.filter(pk=file.pk).update(
        text_status=Status.PROCESSING,
        text_error="",
        text_detail="",
        text_attempts=0,
        text_lease_until=None,
    )
    file.text_status, file.text_error, file.text_detail = Status.PROCESSING, "", ""
    if enqueue:
        text_extraction_enqueue(file_id=file.pk)


def text_extraction_enqueue(*, file_id: object) -> None:
    """Queue the extraction of a file saved (or just marked) ``text_status=processing``.

    Called inside the transaction that writes the file's row: the database backend's
    job is a row in the same database, so it commits, or rolls back, with the file's
    (no job for a file that never was, no file left without its job), and an upload
    costs one write transaction, not a second one after the commit. A backend outside
    the database (a broker) would need ``transaction.on_commit`` here instead.
    """
    extract_text.enqueue(str(file_id))


def text_requeue_stale() -> int:
    """Queue again every file whose worker's lease ran out; returns how many."""
    now = timezone.now()
    stale = StoredFile.objects.filter(text_status=Status.PROCESSING, text_lease_until__lt=now)
    requeued = 0
    for file_id in stale.values_list("pk", flat=True)[:1000]:
        if StoredFile.objects.filter(pk=file_id, text_lease_until__lt=now).update(
            text_lease_until=None
        ):
            extract_text.enqueue(str(file_id))
            requeued += 1
    if requeued:
        logger.warning("requeued %d extraction job(s) whose worker stopped", requeued)
    return requeued


def _claim(file_id: str) -> StoredFile | None:
    """Take the lease if the file is queued (or its lease ran out); None if not ours."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.DOCUMENTS_LEASE_S)
    free = Q(text_lease_until__isnull=True) | Q(text_lease_until__lt=now)
    claimed = StoredFile.objects.filter(free, pk=file_id, text_status=Status.PROCESSING).update(
        text_lease_until=lease, text_attempts=F("text_attempts") + 1
    )
    return (
        StoredFile.objects.select_related("owner").filter(pk=file_id).first() if claimed else None
    )


def text_extraction_run(*, file_id: str) -> str:
    """Extract, index and mark one file; a no-op unless the file is queued for it."""
    file = _claim(file_id)
    if file is None:
        return "skipped"
    if file.text_attempts > settings.DOCUMENTS_MAX_ATTEMPTS:
        _fail(file, ExtractionFailed(ExtractionFailed.ERROR, "Gave up after repeated attempts."))
        return "failed"
    try:
        extracted = _extract(file)
    except ExtractionFailed as failure:
        _fail(file, failure)
        return "failed"
    except StorageUnavailable:
        return _retry_later(file)
    _store(file, extracted)
    chunk_vectors_store(file_id=file.pk)  # optional; a failing endpoint only warns
    return "ready"


def _extract(file: StoredFile) -> Extracted:
    """Download the blob to a temporary file and parse it in a sandboxed child."""
    from ..services import file_open

    limits = ChildLimits(
        timeout_s=settings.DOCUMENTS_EXTRACT_TIMEOUT_S,
        max_memory_bytes=settings.DOCUMENTS_EXTRACT_MEMORY_MB * 1024 * 1024,
    )
    with tempfile.NamedTemporaryFile(prefix="chatui-extract-") as local:
        with file_open(file=file) as stream:
            for chunk in stream.iter_chunks(DOWNLOAD_CHUNK):
                local.write(chunk)
        local.flush()
        try:
            return run_in_child(
                extract_file,
                (local.name, file.filename, extract_limits()),
                limits,
                name=f"extract-{file.pk}",
                expected=(ExtractionFailed,),
            )
        except ChildTimeout as exc:
            raise ExtractionFailed(ExtractionFailed.TOO_LARGE, str(exc)) from None
        except ChildDied as exc:
            raise ExtractionFailed(ExtractionFailed.TOO_LARGE, f"{exc} (memory limit?)") from None
        except ChildCrashed as exc:
            reason = (
                ExtractionFailed.TOO_LARGE
                if "MemoryError" in str(exc)
                else ExtractionFailed.CORRUPT
            )
            raise ExtractionFailed(reason, str(exc)[:300]) from None


def extract_limits() -> ExtractLimits:
    return ExtractLimits(
        max_pages=settings.DOCUMENTS_MAX_PAGES,
        max_unzipped_bytes=settings.DOCUMENTS_MAX_UNZIPPED_MB * 1024 * 1024,
        max_image_pixels=settings.DOCUMENTS_MAX_IMAGE_PIXELS,
        max_text_chars=settings.DOCUMENTS_MAX_TEXT_CHARS,
        ocr=settings.DOCUMENTS_OCR,
        ocr_max_pages=settings.DOCUMENTS_OCR_MAX_PAGES,
        ocr_lang=settings.DOCUMENTS_OCR_LANG,
        ocr_timeout_s=settings.DOCUMENTS_EXTRACT_TIMEOUT_S,
    )


def _store(file: StoredFile, extracted: Extracted) -> None:
    with transaction.atomic():
        if not StoredFile.objects.select_for_update().filter(pk=file.pk).exists():
            return  # deleted meanwhile
        chunks_replace(file=file, pages=extracted.pages)
        # a newer version may have become current meanwhile: its own job marks it
        StoredFile.objects.filter(pk=file.pk, version=file.version).update(
            text_status=Status.READY,
            pages=len(extracted.pages),
            words=extracted.words,
            text_error="",
            text_detail="",
            text_lease_until=None,
        )


def _fail(file: StoredFile, failure: ExtractionFailed) -> None:
    logger.info("extraction failed file=%s reason=%s", file.pk, failure)
    with transaction.atomic():
        chunks_replace(file=file, pages=[])
        StoredFile.objects.filter(pk=file.pk, version=file.version).update(
            text_status=Status.FAILED,
            text_error=failure.reason,
            text_detail=failure.detail[:300],
            text_lease_until=None,
            pages=None,
            words=None,
        )


def _retry_later(file: StoredFile) -> str:
    if file.text_attempts >= settings.DOCUMENTS_MAX_ATTEMPTS:
        _fail(file, ExtractionFailed(ExtractionFailed.ERROR, "Storage unavailable."))
        return "failed"
    StoredFile.objects.filter(pk=file.pk).update(text_lease_until=None)
    run_after = timezone.now() + timedelta(seconds=RETRY_DELAY_S * file.text_attempts)
    extract_text.using(run_after=run_after).enqueue(str(file.pk))
    return "retry"
