"""The numbers behind the admin's storage overview page: all from the database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from chatui.models import User

from ..documents.ops import documents_queue_depth
from ..models import ReconcileRun, StoredFile
from ..selectors import users_with_file_totals

TOP_USERS = 10
CHART_DAYS = 30
CHART_WIDTH = 600
CHART_HEIGHT = 120


def storage_overview(*, today: date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    totals = StoredFile.objects.aggregate(
        files=Count("id"),
        bytes=Coalesce(Sum("size"), 0),
        broken=Count("id", filter=Q(status=StoredFile.Status.BROKEN)),
        owners=Count("owner", distinct=True),
    )
    return {
        "totals": totals,
        "by_category": _grouped("category", StoredFile.Category),
        "by_source": _grouped("source", StoredFile.Source),
        "top_users": _top_users(),
        "per_day": files_per_day(today=today),
        "last_reconcile": ReconcileRun.objects.order_by("-started_at").first(),
        "documents": documents_queue_depth(),
    }


def _grouped(field: str, choices: Any) -> list[dict[str, Any]]:
    rows = StoredFile.objects.values(field).annotate(files=Count("id"), bytes=Sum("size"))
    found = {row[field]: row for row in rows}
    return [
        {
            "label": label,
            "files": found.get(value, {}).get("files", 0),
            "bytes": found.get(value, {}).get("bytes") or 0,
        }
        for value, label in choices.choices
    ]


def _top_users() -> list[User]:
    users = users_with_file_totals().filter(file_count__gt=0)
    return list(users.order_by("-bytes_stored", "email")[:TOP_USERS])


def files_per_day(*, today: date, days: int = CHART_DAYS) -> list[dict[str, Any]]:
    """One entry per day (oldest first), with the bar's geometry for an inline SVG."""
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    rows = (
        StoredFile.objects.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(files=Count("id"))
    )
    counts = {row["day"]: row["files"] for row in rows}
    peak = max(counts.values(), default=0) or 1
    slot = CHART_WIDTH / days
    bars = []
    for index in range(days):
        day = first + timedelta(days=index)
        files = counts.get(day, 0)
        height = round(files / peak * (CHART_HEIGHT - 14), 1)
        bars.append(
            {
                "day": day,
                "files": files,
                "x": round(index * slot + 1, 1),
                "y": round(CHART_HEIGHT - height, 1),
                "width": round(slot - 2, 1),
                "height": height,
            }
        )
    return bars
