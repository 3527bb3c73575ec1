"""Is the site able to serve files? Database and storage reachability, no secrets."""

from __future__ import annotations

import time
from typing import Any

from django.db import DatabaseError, connection

from chatui.errors import StorageUnavailable

from . import storage


def _timed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def database_health() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as err:
        return {"ok": False, "error": type(err).__name__}
    return {"ok": True, "latency_ms": _timed_ms(started)}


def storage_health() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        bucket_ok = storage.bucket_exists()
    except StorageUnavailable as err:
        return {"ok": False, "error": err.details.get("reason", err.code)}
    report: dict[str, Any] = {"ok": bucket_ok, "latency_ms": _timed_ms(started)}
    if not bucket_ok:
        report["error"] = "bucket_missing"
    return report


def health_report() -> dict[str, Any]:
    """``status`` is ``ok`` only when both the database and the bucket answer."""
    database, blobs = database_health(), storage_health()
    healthy = database["ok"] and blobs["ok"]
    return {"status": "ok" if healthy else "degraded", "database": database, "storage": blobs}
