"""zip_files: one ZIP archive of several chosen files."""

from __future__ import annotations

import io
import time
import unicodedata
import zipfile

from files.keys import numbered_names
from tools.base import (
    GeneratedFile,
    InputFile,
    Tool,
    ToolResult,
    multi_file_property,
    object_schema,
)

MAX_FILES = 100
MAX_MEMBER_CHARS = 120
# Already-compressed formats gain nothing from deflate; storing them is faster.
STORED_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/zip")


def safe_member_name(filename: str) -> str:
    """A flat, harmless member name: no directories, no ``..``, no control characters,
    no leading dots, so unzipping cannot write outside the target folder."""
    name = "".join(c for c in filename if unicodedata.category(c)[0] != "C")
    name = name.replace("/", "_").replace("\\", "_").replace(":", "_")
    while ".." in name:
        name = name.replace("..", ".")
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_MEMBER_CHARS:
        _stem, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 16 else ""
        name = name[: MAX_MEMBER_CHARS - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return name or "file"


def unique_member_names(filenames: list[str]) -> list[str]:
    """Safe member names; files that share a name all survive (``a (2).txt``)."""
    return numbered_names([safe_member_name(filename) for filename in filenames])


def build_zip(files: list[InputFile]) -> bytes:
    buffer = io.BytesIO()
    now = time.localtime()[:6]
    with zipfile.ZipFile(buffer, "w") as archive:
        members = unique_member_names([f.filename for f in files])
        for file, member in zip(files, members, strict=True):
            info = zipfile.ZipInfo(member, date_time=now)
            info.external_attr = 0o644 << 16
            stored = file.content_type.startswith(STORED_TYPES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.writestr(info, file.content)
    return buffer.getvalue()


def _archive_name(name: str) -> str:
    name = safe_member_name(name)
    return name if name.lower().endswith(".zip") else f"{name}.zip"


class ZipFilesTool(Tool):
    name = "zip_files"
    description = "Put several files into one ZIP archive (files sharing a name are numbered)."
    parameters = object_schema(
        {
            "file_ids": multi_file_property("the files to archive", max_items=MAX_FILES),
            "archive_name": {
                "type": "string",
                "maxLength": 120,
                "description": "Name of the archive (default files.zip).",
            },
        },
        required=["file_ids"],
    )

    def run(self, *, files: list[InputFile], archive_name: str = "files.zip") -> ToolResult:
        content = build_zip(files)
        name = _archive_name(archive_name)
        members = unique_member_names([f.filename for f in files])
        text = f"{name}: {len(files)} files, {len(content):,} bytes ({', '.join(members)})"
        return ToolResult(text=text, files=[GeneratedFile(name, content, "application/zip")])
