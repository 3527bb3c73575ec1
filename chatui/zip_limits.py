"""Refusing zip bombs before a parser opens them (XLSX, DOCX, PPTX, ODF, ZIP).

A zip's central directory declares each entry's uncompressed size, and reading it
costs only the directory, not the data. ``zip_input_check`` holds those totals
(``chatui.zip_totals``, which document extraction reads too) against the tools'
limits; Python's ``zipfile`` (which openpyxl and the other parsers read through)
stops every entry at its declared size and checks its CRC, so an entry that lies
about its size cannot inflate past what was checked.
Shared by the tool executor and any extraction code (``files`` may import it).
"""

from __future__ import annotations

import io
import zipfile

from django.conf import settings

from .errors import HostileInput
from .zip_totals import zip_totals

ZIP_MAGIC = b"PK\x03\x04"


def zip_input_check(content: bytes, filename: str) -> None:
    """HostileInput when the zip in ``content`` inflates past ``TOOLS_MAX_UNZIPPED_MB``
    or holds more than ``TOOLS_MAX_ZIP_ENTRIES`` entries; other bytes pass untouched."""
    if not content.startswith(ZIP_MAGIC):
        return
    try:
        totals = zip_totals(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        return  # not a readable zip: the parser says so in its own words
    max_entries = settings.TOOLS_MAX_ZIP_ENTRIES
    if totals.entries > max_entries:
        raise HostileInput(
            f"{filename} holds {totals.entries:,} zip entries; at most {max_entries:,} are read.",
            reason="zip_entries",
        )
    unzipped = totals.unzipped_bytes
    max_bytes = settings.TOOLS_MAX_UNZIPPED_MB * 1024 * 1024
    if unzipped > max_bytes:
        raise HostileInput(
            f"{filename} inflates to {unzipped:,} bytes; at most {max_bytes:,} are read "
            "(a compressed file this expansive is refused as a zip bomb).",
            reason="zip_uncompressed_size",
        )
