"""Reads for the tool forms: which of the user's files a tool accepts, and the column
names of a CSV file (for drop-downs). Both go through the files app's ownership check."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from chatui.errors import InvalidInput
from files.models import StoredFile
from files.selectors import file_get_readable, file_list_for_user
from files.services import file_read_bytes

from .base import ACCEPT_MARKER, InputFile
from .builtin.tabular import table_from_csv
from .registry import tool_get

TOOL_FILES_MAX = 50
HEADER_READ_BYTES = 64 * 1024


def tool_accepted_extensions(tool_name: str) -> list[str]:
    """The extensions the tool's file parameters accept ([] = any file)."""
    properties = tool_get(tool_name).parameters.get("properties", {})
    found: list[str] = []
    for spec in properties.values():
        found += [ext for ext in spec.get(ACCEPT_MARKER, []) if ext not in found]
    return found


def tool_files_for_user(*, user: Any, tool_name: str, q: str | None = None) -> list[StoredFile]:
    """The user's newest files (name search ``q``) that ``tool_name`` can read."""
    files = file_list_for_user(user=user, q=q or None)
    extensions = tool_accepted_extensions(tool_name)
    if extensions:
        by_name = Q()
        for extension in extensions:
            by_name |= Q(filename__iendswith=extension)
        files = files.filter(by_name)
    return list(files[:TOOL_FILES_MAX])


def csv_columns_for_user(*, user: Any, file_id: str) -> list[str]:
    """The column names of the user's CSV file, read from its first 64 KiB."""
    file = file_get_readable(user=user, file_id=file_id)
    head = file_read_bytes(file=file, max_bytes=HEADER_READ_BYTES, truncate=True)
    if file.size > HEADER_READ_BYTES:
        head = head[: head.rfind(b"\n") + 1] or head  # whole lines only
    table = table_from_csv(
        InputFile(str(file.pk), file.filename, file.content_type, len(head), head)
    )
    if not table.has_header:
        raise InvalidInput(f"{file.filename} has no header row, so its columns have no names.")
    return table.columns
