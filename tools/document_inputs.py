"""How documents reach a tool: as their extracted text, or as search passages.

The executor resolves a tool's file parameters through the one ownership check
(``files.selectors``); for a tool that reads extracted text
(``Tool.reads_extracted_text``, e.g. ``text_search``) a document whose text is
ready arrives as that text, by page, instead of bytes the tool could not read; for a
tool that searches documents (``Tool.searches_documents``, ``search_files``) the
executor runs the search here, through ``files.documents``' selectors, which read
only files the user may read (their own and those shared with them),
and the tool only formats the passages.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.conf import settings

from chatui.errors import InvalidToolArguments
from files.documents.reading import pages_read
from files.documents.retrieve import files_with_tag, passages_retrieve
from files.models import StoredFile
from files.selectors import files_readable_among

from .base import InputFile

DEFAULT_PASSAGES = 8
# Files whose bytes are text already: read as they are, never as extracted text.
TEXT_APPLICATION_TYPES = frozenset(
    {"application/json", "application/xml", "application/javascript", "image/svg+xml"}
)


def uses_extracted_text(file: StoredFile) -> bool:
    """A document (not a text file) whose extracted text is ready."""
    kind = file.content_type.split(";")[0].strip().lower()
    textual = kind.startswith("text/") or kind in TEXT_APPLICATION_TYPES
    return not textual and file.text_status == StoredFile.TextStatus.READY


def extracted_input(*, user: Any, file: StoredFile) -> InputFile:
    """The file as its extracted text by page, within the tools' per-file input limit."""
    pages, _left_out = pages_read(
        user=user, file_id=file.pk, max_chars=settings.TOOLS_MAX_INPUT_FILE_BYTES
    )
    by_page = [""] * (file.pages or max((p.page for p in pages), default=0))
    for page in pages:
        if page.page <= len(by_page):
            by_page[page.page - 1] = page.text
    return InputFile(str(file.pk), file.filename, file.content_type, 0, b"", tuple(by_page))


def search_arguments(
    arguments: dict[str, Any], named: list[StoredFile] | None, *, user: Any
) -> dict[str, Any]:
    """``run`` arguments of a searching tool: its own, plus ``passages`` for its query
    within the named files and the files tagged ``tag`` (all the user's files if
    neither is given). An unknown tag is a question back, not an empty answer."""
    scope: list[StoredFile] | None = list(named) if named is not None else None
    tag = arguments.get("tag")
    if tag:
        tagged = files_readable_among(
            user=user, files=list(files_with_tag(user=user, name=tag)[:200])
        )
        if not tagged:
            raise InvalidToolArguments(f"No file you can read carries the tag {tag!r}.")
        scope = [*(scope or []), *tagged]
    limit = arguments.get("max_results", DEFAULT_PASSAGES)
    found = passages_retrieve(
        user=user,
        query=arguments["query"],
        file_ids=None if scope is None else [f.pk for f in scope],
        limit=limit,
    )
    if scope is None:
        _audit_shared(user, found)
    kept = {k: v for k, v in arguments.items() if k not in ("file_ids", "max_results")}
    return {**kept, "passages": [asdict(passage) for passage in found]}


def _audit_shared(user: Any, passages: list[Any]) -> None:
    """A search over everything the user may read can quote files shared with them: each
    such file gets its audit row, as a named one got it when the executor resolved it."""
    ids = {passage.file_id for passage in passages}
    theirs = StoredFile.objects.select_related("owner").filter(pk__in=ids).exclude(owner=user)
    if ids and (foreign := list(theirs)):
        files_readable_among(user=user, files=foreign)
