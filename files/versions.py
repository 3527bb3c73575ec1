"""File versions: reading one, listing them, uploading and restoring, diffing two.

A version is an immutable object with its own key (see :mod:`files.version_rows`
for how a new one becomes current). Reading "version N" hands the callers the
file row with that version's object in place of the current one (:func:`file_at_version`),
so downloads, previews and extracted text all go through their one usual path.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

from django.db.models import QuerySet

from chatui.errors import FileTooLarge, InvalidInput, NotFound
from chatui.models import User

from . import services
from .limits import MIB
from .models import FileVersion, StoredFile
from .version_rows import CURRENT_FIELDS

DIFF_MAX_BYTES = 1 * MIB  # each side of a diff
DIFF_MAX_LINES = 5000  # of the diff's output
RESTORE_CHUNK_BYTES = MIB


class VersionNotFound(NotFound):
    code = "version_not_found"
    default_message = "This file has no such version."


class NotText(InvalidInput):
    code = "not_text"
    default_message = "Only text files can be compared line by line."


def version_number_parse(value: Any) -> int | None:
    """``?version=N`` as an int (None when absent); anything else is a typed 400."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or str(value).strip() != str(number):
        raise InvalidInput("version must be a positive whole number.", field="version")
    return number


def version_get(*, file: StoredFile, number: int) -> FileVersion:
    version = file.versions.filter(number=number).first()
    if version is None:
        raise VersionNotFound(version=number)
    return version


def file_at_version(*, file: StoredFile, number: int | None) -> StoredFile:
    """``file`` as it was at version ``number`` (the row itself for None or the current
    one): an unsaved copy whose key, size, checksum, etag, type and ``version`` are
    that version's. Reading the current version costs no query."""
    if number is None or number == file.version:
        return file
    version = version_get(file=file, number=number)
    view = copy.copy(file)
    for name in CURRENT_FIELDS:
        setattr(view, name, getattr(version, name))
    view.version = number
    view.save = _read_only  # type: ignore[method-assign]
    return view


def _read_only(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("An earlier version of a file is read-only.")


def version_list(*, file: StoredFile) -> QuerySet[FileVersion]:
    return file.versions.order_by("-number")


def version_upload(*, file: StoredFile, content: bytes, content_type_hint: str = "") -> StoredFile:
    """A new version of ``file`` from bytes in hand (the API streams through
    ``services.file_upload_multipart(version_of=...)``)."""
    return services.file_upload(
        owner=file.owner,
        content=content,
        filename=file.filename,
        content_type_hint=content_type_hint,
        version_of=file,
    )


def version_restore(*, file: StoredFile, number: int) -> StoredFile:
    """Restore version ``number``: its bytes become a new version (history is kept).

    The bytes are copied to a new object through the one write path, so every
    version keeps an object of its own and purging an old one never breaks another.
    """
    old = file_at_version(file=file, number=number)
    generated = file.source == StoredFile.Source.TOOL
    with services.FileUpload(
        owner=file.owner,
        filename=file.filename,
        content_type_hint=old.content_type,
        source=file.source,
        source_tool=file.source_tool if generated else "",
        expected_size=old.size,
        version_of=file,
    ) as upload:
        with services.file_open(file=old) as stream:
            for chunk in stream.iter_chunks(RESTORE_CHUNK_BYTES):
                upload.write(chunk)
        return upload.finish(source=FileVersion.Source.RESTORE, restored_from=number)


def version_diff(*, file: StoredFile, old: int, new: int) -> dict[str, Any]:
    """A unified line diff between two versions of a text file (each side at most
    ``DIFF_MAX_BYTES``; the output cut at ``DIFF_MAX_LINES`` lines)."""
    sides = [file_at_version(file=file, number=number) for number in (old, new)]
    texts = [_text_of(side) for side in sides]
    lines = difflib.unified_diff(
        texts[0].splitlines(keepends=True),
        texts[1].splitlines(keepends=True),
        fromfile=f"{file.filename} v{old}",
        tofile=f"{file.filename} v{new}",
    )
    out: list[str] = []
    truncated = False
    added = removed = 0
    for line in lines:
        if len(out) >= DIFF_MAX_LINES:
            truncated = True
            break
        out.append(line if line.endswith("\n") else line + "\n")
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return {
        "file_id": str(file.pk),
        "from": old,
        "to": new,
        "diff": "".join(out),
        "added": added,
        "removed": removed,
        "truncated": truncated,
    }


def _text_of(file: StoredFile) -> str:
    if file.size > DIFF_MAX_BYTES:
        raise FileTooLarge(
            f"Version {file.version} is larger than {DIFF_MAX_BYTES} bytes; download it instead.",
            max_bytes=DIFF_MAX_BYTES,
        )
    data = services.file_read_bytes(file=file)
    if b"\x00" in data:
        raise NotText()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotText() from None


def tool_output_previous(
    *, owner: User, tool: str, filename: str, inputs_digest: str
) -> StoredFile | None:
    """The file a tool made before from the same inputs under the same name (not in
    the trash): a regeneration adds a version to it instead of a new file."""
    if not inputs_digest:
        return None
    version = (
        FileVersion.objects.filter(
            tool_inputs_digest=inputs_digest,
            source_tool=tool,
            file__owner=owner,
            file__filename=filename,
            file__source=StoredFile.Source.TOOL,
            file__trashed_at__isnull=True,
        )
        .select_related("file", "file__owner")
        .order_by("-file__created_at", "-number")
        .first()
    )
    return version.file if version else None
