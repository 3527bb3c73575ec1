"""Export all of one user's files into a zip with a ``manifest.json``.

Blobs are streamed from S3 into the archive chunk by chunk (``ZipFile.open(name,
"w")``), so memory stays flat whatever the file sizes. The archive is written to
a temporary file beside the target and renamed at the end: a failed export never
leaves a half-written zip under the requested name.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.utils import timezone

from chatui.errors import InvalidInput
from chatui.models import User

from .. import storage
from ..keys import safe_filename
from ..models import StoredFile
from ..services import file_open

CHUNK_BYTES = 1024 * 1024
ZIP64_FROM_BYTES = 1 << 30  # below 2 GiB with room to spare; above it, zip64 headers
FILES_DIR = "files/"


@dataclass
class ExportResult:
    path: Path
    files: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)


def check_output_path(output: Path, *, overwrite: bool = False) -> Path:
    """The resolved path, or InvalidInput saying why it cannot be written."""
    output = output.expanduser().resolve()
    if output.is_dir():
        raise InvalidInput(f"{output} is a directory; give a file name such as export.zip.")
    if output.exists() and not overwrite:
        raise InvalidInput(f"{output} already exists; remove it or pass --overwrite.")
    parent = output.parent
    if not parent.is_dir():
        raise InvalidInput(f"The directory {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidInput(f"The directory {parent} is not writable.")
    return output


def files_export(
    *,
    owner: User,
    output: Path,
    overwrite: bool = False,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
) -> ExportResult:
    """Write ``owner``'s files and a manifest to ``output`` (a zip)."""
    output = check_output_path(output, overwrite=overwrite)
    result = ExportResult(path=output)
    files = (
        StoredFile.objects.filter(owner=owner).select_related("owner").order_by("created_at", "id")
    )
    total = files.count()
    fd, partial = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".part", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            _write_archive(
                archive, owner, files.iterator(chunk_size=500), total, result, on_progress
            )
        os.replace(partial, output)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return result


def _write_archive(
    archive: zipfile.ZipFile,
    owner: User,
    files: Any,
    total: int,
    result: ExportResult,
    on_progress: Callable[[int, int], None],
) -> None:
    names = _UniqueNames()
    # Manifest entries wait in a temporary file, not a list: flat memory for many files.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as entries:
        for done, file in enumerate(files, start=1):
            entry = _export_one(archive, file, names.take(file.filename), result)
            entries.write(json.dumps(entry, ensure_ascii=False) + "\n")
            on_progress(done, total)
        entries.seek(0)
        _write_manifest(archive, owner, result.files, entries)


def _export_one(
    archive: zipfile.ZipFile, file: StoredFile, member: str, result: ExportResult
) -> dict[str, Any]:
    entry = _manifest_entry(file, member)
    info = zipfile.ZipInfo(member, date_time=_zip_time(file.created_at))
    info.compress_type = zipfile.ZIP_DEFLATED
    digest = hashlib.sha256()
    try:
        with (
            file_open(file=file) as stream,
            archive.open(info, "w", force_zip64=file.size >= ZIP64_FROM_BYTES) as target,
        ):
            for chunk in stream.iter_chunks(CHUNK_BYTES):
                digest.update(chunk)
                target.write(chunk)
    except storage.BlobMissing:
        result.problems.append(f"{file.key}: the blob is missing; not in the archive")
        return {**entry, "path": None, "missing": True}
    if file.checksum and digest.hexdigest() != file.checksum:
        result.problems.append(f"{file.key}: the bytes do not match the recorded sha256")
        entry["checksum_mismatch"] = digest.hexdigest()
    result.files += 1
    result.bytes += file.size
    return entry


def _manifest_entry(file: StoredFile, member: str) -> dict[str, Any]:
    return {
        "path": member,
        "filename": file.filename,
        "key": file.key,
        "size": file.size,
        "checksum": file.checksum,
        "content_type": file.content_type,
        "category": file.category,
        "source": file.source,
        "source_tool": file.source_tool,
        "tags": file.tags,
        "tagged": file.tagged,
        "created_at": file.created_at.isoformat(),
    }


def _write_manifest(archive: zipfile.ZipFile, owner: User, count: int, entries: IO[str]) -> None:
    head = {"user": owner.email, "exported_at": timezone.now().isoformat(), "files_exported": count}
    info = zipfile.ZipInfo("manifest.json", date_time=_zip_time(timezone.now()))
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w") as target:
        target.write(json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "files": [\n')
        for index, line in enumerate(entries):
            target.write((",\n" if index else "").encode() + line.rstrip("\n").encode())
        target.write(b"\n]}\n")


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


class _UniqueNames:
    """Member names under ``files/``: safe (no ``..``, no separators) and unique, also
    when compared case-insensitively (the archive is unpacked on macOS and Windows)."""

    def __init__(self) -> None:
        self._taken: set[str] = {"manifest.json"}

    def take(self, filename: str) -> str:
        base = safe_filename(filename)
        stem, dot, ext = base.rpartition(".")
        if not dot or not stem:
            stem, dot, ext = base, "", ""
        candidate, number = base, 1
        while (FILES_DIR + candidate).lower() in self._taken:
            number += 1
            candidate = f"{stem} ({number}){dot}{ext}"
        self._taken.add((FILES_DIR + candidate).lower())
        return FILES_DIR + candidate
