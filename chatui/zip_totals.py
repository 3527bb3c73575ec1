"""What a zip declares it holds, read from its central directory alone (no data is
inflated): how many entries, and their uncompressed sizes summed. The one reader of
those figures for the zip-bomb checks of tool inputs (``chatui.zip_limits``) and of
document extraction (``files.documents.extract``, in a child process without Django,
so this module imports none)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class ZipTotals:
    entries: int
    unzipped_bytes: int


def zip_totals(source: str | IO[bytes]) -> ZipTotals:
    """The totals of the zip at ``source`` (a path or a binary file); raises
    ``zipfile.BadZipFile`` (or ``OSError``, ``ValueError``, ``EOFError``) when it is
    not a readable zip. Python's ``zipfile``, which the parsers read through, stops each
    entry at its declared size, so an entry cannot inflate past what is counted here."""
    with zipfile.ZipFile(source) as archive:
        entries = archive.infolist()
    return ZipTotals(len(entries), sum(entry.file_size for entry in entries))
