"""files_reconcile's database side: every object a row knows of, in listing order.

An object is known by its file's row (the current version, ``StoredFile.key``) or by
a FileVersion row (an earlier version, kept under a key of its own). Both are read
by keyset pagination in the bucket's listing order and merged into one stream.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Collate, Replace

from chatui.errors import DomainError

from .. import storage
from ..models import FileVersion, StoredFile

ROW_PAGE = 2000
SEGMENT_SEPARATOR = "\x01"  # sorts below every character a stored key can hold
BINARY_COLLATIONS = {"postgresql": "C", "sqlite": "BINARY", "mysql": "utf8mb4_bin"}


class ReconcileAborted(DomainError):
    code = "reconcile_aborted"
    status = 500
    default_message = "Reconciliation stopped."


class _Row(NamedTuple):
    id: UUID
    key: str
    size: int
    checksum: str
    status: str
    status_detail: str
    version_id: int | None = None  # an earlier version's row; None: the file's current one


def _python_sort_key(order: str) -> Callable[[str], Any]:
    if order == storage.LISTING_ORDER_SEGMENTS:
        return lambda key: key.split("/")
    return lambda key: key


def _db_sort_expression(order: str) -> Collate:
    collation = BINARY_COLLATIONS.get(connection.vendor)
    if collation is None:
        raise ReconcileAborted(f"No binary collation known for {connection.vendor}.")
    expression: Any = F("key")
    if order == storage.LISTING_ORDER_SEGMENTS:
        expression = Replace(F("key"), Value("/"), Value(SEGMENT_SEPARATOR))
    return Collate(expression, collation)


def _row_stream(prefix: str, order: str, before: datetime) -> Iterator[_Row]:
    """Rows under ``prefix`` created before ``before``, in listing order, page by page:
    the files' current objects merged with their earlier versions'."""
    sort_key = _python_sort_key(order)
    return heapq.merge(
        _current_rows(prefix, order, before),
        _earlier_version_rows(prefix, order, before),
        key=lambda row: sort_key(row.key),
    )


def _current_rows(prefix: str, order: str, before: datetime) -> Iterator[_Row]:
    rows = StoredFile.objects.filter(key__startswith=prefix, created_at__lt=before)
    fields = ("id", "key", "size", "checksum", "status", "status_detail")
    yield from _pages(rows, order, fields, lambda values: _Row(*values))


def _earlier_version_rows(prefix: str, order: str, before: datetime) -> Iterator[_Row]:
    rows = FileVersion.objects.filter(key__startswith=prefix, created_at__lt=before).exclude(
        key=F("file__key")
    )
    fields = ("file_id", "key", "size", "checksum", "id")
    ok = StoredFile.Status.OK
    yield from _pages(
        rows, order, fields, lambda values: _Row(*values[:4], ok, "", version_id=values[4])
    )


def _pages(rows: Any, order: str, fields: tuple, build: Callable[[tuple], _Row]) -> Iterator[_Row]:
    rows = rows.annotate(sort_key=_db_sort_expression(order)).order_by("sort_key")
    last: str | None = None
    while True:
        page = rows if last is None else rows.filter(sort_key__gt=last)
        batch = list(page.values_list(*fields, "sort_key")[:ROW_PAGE])
        yield from (build(values[:-1]) for values in batch)
        if len(batch) < ROW_PAGE:
            return
        last = batch[-1][-1]
