"""Operating the document index: choosing files to (re-)index, and the queue's depth."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from chatui.models import User

from ..models import StoredFile
from .jobs import text_extraction_queue

Status = StoredFile.TextStatus


def files_to_index(*, user: User | None, rebuild: bool, failed: bool) -> QuerySet[StoredFile]:
    """Never-indexed files; with ``failed`` also failed and abandoned ones; with
    ``rebuild`` every file."""
    files = StoredFile.objects.all() if user is None else user.stored_files.all()
    if rebuild:
        return files.order_by("created_at", "id")
    wanted = Q(text_status=Status.NONE)
    if failed:
        abandoned = Q(text_status=Status.PROCESSING, text_lease_until__lt=timezone.now())
        wanted |= Q(text_status=Status.FAILED) | abandoned
    return files.filter(wanted).order_by("created_at", "id")


def text_reindex(*, file: StoredFile, by_worker: bool = True) -> None:
    """Queue ``file`` for extraction again (admin action, files_index); with
    ``by_worker=False`` the caller extracts it at once (``files_index --now``)."""
    text_extraction_queue(file=file, enqueue=by_worker)


def documents_queue_depth() -> dict[str, Any]:
    """Files per text status and the job queue's waiting and running tasks."""
    counts = StoredFile.objects.aggregate(
        **{status: Count("id", filter=Q(text_status=status)) for status in Status.values}
    )
    tasks = DBTaskResult.objects.aggregate(
        waiting=Count("id", filter=Q(status=TaskResultStatus.READY)),
        running=Count("id", filter=Q(status=TaskResultStatus.RUNNING)),
    )
    failed_by_reason = dict(
        StoredFile.objects.filter(text_status=Status.FAILED)
        .values_list("text_error")
        .annotate(files=Count("id"))
        .order_by("text_error")
    )
    return {"files": counts, "tasks": tasks, "failed_by_reason": failed_by_reason}
