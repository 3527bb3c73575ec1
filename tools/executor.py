"""The tool executor: the one service that runs a tool for a user.

``tool_run`` validates the arguments against the tool's schema, resolves file
parameters to files the user may read (their own, or shared with them: the one
can-read check, ``files.selectors.file_get_readable``; inputs are only read, never
changed, so a shared original stays as it is), reads their bytes within the input
limits, runs the tool in a killable child process (:mod:`tools.sandbox`),
stores what it generated under the user's ``generated/`` prefix and records a
:class:`~tools.models.ToolRun`. Every failure is a DomainError; none leaves a
generated file behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from chatui.errors import (
    DomainError,
    FileNotFound,
    HostileInput,
    InvalidInput,
    InvalidToolArguments,
    ToolInputTooLarge,
    ToolMemoryExceeded,
    ToolTimeout,
    UnreadableInput,
)
from chatui.ids import uuid_or_none
from chatui.text import text_check, text_storable
from chatui.zip_limits import zip_input_check
from files.keys import display_filename
from files.models import StoredFile
from files.selectors import (
    file_get_for_user,
    file_get_readable,
    file_list_for_user,
    files_get_readable,
)
from files.services import file_delete, file_read_bytes, file_upload
from files.sessions import session_id_for_user
from files.version_rows import version_revert_latest
from files.versions import tool_output_previous

from .base import MULTI_FILE_PARAM, SINGLE_FILE_PARAMS, GeneratedFile, InputFile, Tool
from .document_inputs import extracted_input, search_arguments, uses_extracted_text
from .models import ToolRun
from .registry import tool_get
from .run_slots import run_slot
from .sandbox import Limits, run_isolated

logger = logging.getLogger(__name__)

MAX_RECORDED_ARGUMENT_CHARS = 10_000
# Long unbroken base64 (optionally a data: URL) is file content, not an answer.
BASE64_RUN = re.compile(r"(?:data:[\w/+.-]+;base64,)?[A-Za-z0-9+/]{200,}={0,2}")
CONTROL_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ToolRunOutcome:
    text: str
    files: list[StoredFile]
    run: ToolRun
    # The versions the run read: [{"file_id", "version"}] (a message records them).
    inputs: list[dict[str, Any]] = dataclasses.field(default_factory=list)


# --- Arguments ---------------------------------------------------------------------


@cache
def _validator(tool_cls: type[Tool]) -> Draft202012Validator:
    return Draft202012Validator(tool_cls.parameters)


def _error_text(error: ValidationError) -> str:
    where = ".".join(str(part) for part in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


def validate_arguments(tool: Tool, arguments: Any) -> dict[str, Any]:
    """The arguments if they match the tool's schema; InvalidToolArguments otherwise."""
    if not isinstance(arguments, dict):
        raise InvalidToolArguments("The tool's arguments must be a JSON object.")
    text_check(arguments, field="arguments")
    errors = list(_validator(type(tool)).iter_errors(arguments))
    if errors:
        best = best_match(errors)
        raise InvalidToolArguments(
            f"{tool.name}: {_error_text(best)}", errors=[_error_text(e) for e in errors[:10]]
        )
    given = [p for p in SINGLE_FILE_PARAMS if p in arguments]
    if set(SINGLE_FILE_PARAMS) <= set(tool.file_params()) and len(given) != 1:
        raise InvalidToolArguments(f"{tool.name}: give exactly one of file_id or filename.")
    return dict(arguments)


# --- Files in ------------------------------------------------------------------------


def _file_by_name(*, user: Any, filename: str, session_id: uuid.UUID | None) -> StoredFile:
    """The file called ``filename``: the newest such in the chat session (names are not
    unique; the latest is the one a user means), else the user's only file of that name
    (case ignored). Several candidates outside the chat are a question back, not a guess."""
    if session_id is None:
        raise InvalidToolArguments("filename works only within a chat session; use file_id.")
    in_chat = file_list_for_user(user=user, session_id=session_id)
    found = in_chat.filter(filename=filename).first()
    if found is None:
        found = _only_file_named(user=user, filename=filename)
    return file_get_for_user(user=user, file_id=found.pk)  # the full ownership check


def _only_file_named(*, user: Any, filename: str) -> StoredFile:
    candidates = list(file_list_for_user(user=user).filter(filename__iexact=filename)[:5])
    if not candidates:
        raise FileNotFound(f"There is no file named {filename!r} in this chat or in your files.")
    if len(candidates) > 1:
        when = ", ".join(f.created_at.strftime("%Y-%m-%d %H:%M") for f in candidates)
        raise InvalidToolArguments(
            f"Which {filename} do you mean? You have {len(candidates)}"
            f"{'+' if len(candidates) == 5 else ''} files with that name (uploaded {when}) and "
            "none in this chat. Pick one with @ in the message box so it is attached."
        )
    return candidates[0]


def _named_files(
    tool: Tool, arguments: dict[str, Any], *, user: Any, session_id: uuid.UUID | None
) -> dict[str, list[StoredFile]]:
    """The StoredFile rows the arguments name, keyed by the run() argument they feed."""
    if "file_id" in arguments:
        return {"file": [file_get_readable(user=user, file_id=arguments["file_id"])]}
    if "filename" in arguments:
        named = _file_by_name(user=user, filename=arguments["filename"], session_id=session_id)
        return {"file": [named]}
    if MULTI_FILE_PARAM in arguments:
        return {"files": files_get_readable(user=user, file_ids=list(arguments[MULTI_FILE_PARAM]))}
    return {}


def _check_input_size(files: list[StoredFile]) -> None:
    per_file = settings.TOOLS_MAX_INPUT_FILE_BYTES
    total_limit = settings.TOOLS_MAX_INPUT_TOTAL_BYTES
    for file in files:
        if file.size > per_file:
            raise ToolInputTooLarge(
                f"{file.filename} is {file.size:,} bytes; tools read files of at most "
                f"{per_file:,} bytes.",
                max_bytes=per_file,
            )
    total = sum(file.size for file in files)
    if total > total_limit:
        raise ToolInputTooLarge(
            f"The files total {total:,} bytes; a tool reads at most {total_limit:,} bytes at once.",
            max_bytes=total_limit,
        )


def _as_input(tool: Tool, file: StoredFile, user: Any) -> InputFile:
    if tool.reads_extracted_text and uses_extracted_text(file):
        return extracted_input(user=user, file=file)
    content = file_read_bytes(file=file, max_bytes=settings.TOOLS_MAX_INPUT_FILE_BYTES)
    zip_input_check(content, file.filename)  # before any parser sees a zip-based file
    return InputFile(str(file.pk), file.filename, file.content_type, len(content), content)


def resolve_file_arguments(
    tool: Tool,
    arguments: dict[str, Any],
    *,
    user: Any,
    session_id: uuid.UUID | None,
    inputs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """run() keyword arguments: file parameters replaced by the files' contents (or, for
    a tool that searches documents, by the passages found in them), and the versions
    read appended to ``inputs``."""
    named = _named_files(tool, arguments, user=user, session_id=session_id)
    if inputs is not None:
        inputs.extend(
            {"file_id": str(file.pk), "version": file.version}
            for files in named.values()
            for file in files
        )
    if tool.searches_documents:
        return search_arguments(arguments, named.get("files"), user=user)
    read = [f for files in named.values() for f in files]
    if tool.reads_extracted_text:  # a document's text is capped, not its bytes
        read = [f for f in read if not uses_extracted_text(f)]
    _check_input_size(read)
    kwargs = {k: v for k, v in arguments.items() if k not in tool.file_params()}
    if "file" in named:
        kwargs["file"] = _as_input(tool, named["file"][0], user)
    if "files" in named:
        kwargs["files"] = [_as_input(tool, file, user) for file in named["files"]]
    return kwargs


# --- Results out ---------------------------------------------------------------------


def bounded_text(text: str) -> str:
    """The text result without file content, length capped: no flood of bytes."""
    text = BASE64_RUN.sub(lambda m: f"[binary data removed: {len(m.group()):,} characters]", text)
    control = CONTROL_CHAR.search(text)
    if control is not None:
        removed = len(text) - control.start()
        text = text[: control.start()] + f"[binary data removed: {removed:,} characters]"
    limit = settings.TOOLS_MAX_TEXT_CHARS
    if len(text) > limit:
        text = text[:limit] + f"\n[truncated: {len(text) - limit:,} more characters]"
    return text


def _discard(files: list[StoredFile]) -> None:
    """Best-effort removal of what a failed run stored: a new file goes, a version the
    run added to an earlier output is undone (``file.added_version``)."""
    for file in files:
        try:
            if getattr(file, "added_version", False):
                version_revert_latest(file=file)
            else:
                file_delete(file=file)
        except DomainError:
            logger.exception("could not remove generated file id=%s; files_reconcile will", file.pk)


def inputs_digest(tool_name: str, arguments: dict[str, Any]) -> str:
    """What makes two runs "the same inputs": the tool and its validated arguments
    (file ids and names, not their bytes: a regenerated chart of an edited table is
    the chart's next version)."""
    text = json.dumps([tool_name, arguments], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def store_generated(
    *,
    user: Any,
    tool_name: str,
    files: list[GeneratedFile],
    session_id: uuid.UUID | None,
    digest: str = "",
    run_id: uuid.UUID | None = None,
) -> list[StoredFile]:
    """Store every generated file or none: a failure removes those already stored.

    An output this tool made before from the same inputs (``digest``) under the same
    name becomes that file's next version instead of a second file."""
    stored: list[StoredFile] = []
    fields = {"tool_inputs_digest": digest, "tool_run_id": str(run_id or "")}
    try:
        for generated in files:
            previous = tool_output_previous(
                owner=user,
                tool=tool_name,
                filename=display_filename(generated.filename),
                inputs_digest=digest,
            )
            file = file_upload(
                owner=user,
                content=generated.content,
                filename=generated.filename,
                content_type_hint=generated.content_type,
                source=StoredFile.Source.TOOL,
                source_tool=tool_name,
                session_id=session_id,
                version_of=previous,
                version_fields={**fields, "source": "tool", "source_tool": tool_name},
            )
            file.added_version = previous is not None
            stored.append(file)
    except BaseException:
        _discard(stored)
        raise
    return stored


# --- Records ---------------------------------------------------------------------------


@dataclass
class _RunContext:
    user: Any
    tool_name: str
    arguments: Any
    session_id: uuid.UUID | None
    message_id: uuid.UUID | None
    started: float
    run_id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.run_id,
            "user": self.user,
            "tool_name": self.tool_name,
            "arguments": _recordable(self.arguments),
            "session_id": self.session_id,
            "message_id": self.message_id,
            "duration_ms": round((time.monotonic() - self.started) * 1000),
        }


def _recordable(arguments: Any) -> Any:
    """Arguments as stored: they hold ids and names only, but may still be huge junk."""
    text = json.dumps(text_storable(arguments), default=str, ensure_ascii=False)
    if len(text) <= MAX_RECORDED_ARGUMENT_CHARS:
        return json.loads(text)
    return {"_truncated": text[:MAX_RECORDED_ARGUMENT_CHARS]}


def _record_failure(context: _RunContext, exc: DomainError) -> ToolRun:
    status = ToolRun.Status.TIMEOUT if isinstance(exc, ToolTimeout) else ToolRun.Status.ERROR
    run = ToolRun.objects.create(
        **context.fields(), status=status, error_code=exc.code, error_message=exc.message
    )
    if isinstance(exc, (HostileInput, ToolMemoryExceeded, UnreadableInput)):
        logger.warning(  # the input's fault: the reason, no traceback
            "tool refused its input tool=%s code=%s reason=%s",
            run.tool_name,
            exc.code,
            exc.message,
        )
    else:
        logger.info(
            "tool run tool=%s status=%s code=%s duration_ms=%s",
            run.tool_name,
            status,
            exc.code,
            run.duration_ms,
        )
    return run


def _record_success(context: _RunContext, stored: list[StoredFile]) -> ToolRun:
    try:  # one INSERT is atomic by itself: a transaction only when output files come too
        with transaction.atomic() if stored else contextlib.nullcontext():
            run = ToolRun.objects.create(**context.fields(), status=ToolRun.Status.SUCCESS)
            if stored:  # (even an empty add() opens a transaction)
                run.files.add(*stored)
    except BaseException:
        _discard(stored)
        raise
    logger.info(
        "tool run tool=%s status=success files=%d duration_ms=%s",
        run.tool_name,
        len(stored),
        run.duration_ms,
    )
    return run


# --- The service -------------------------------------------------------------------------


def _limits() -> Limits:
    return Limits(
        timeout_s=settings.TOOLS_TIMEOUT_S,
        max_file_bytes=settings.TOOLS_MAX_OUTPUT_FILE_BYTES,
        max_total_bytes=settings.TOOLS_MAX_OUTPUT_TOTAL_BYTES,
        max_memory_bytes=settings.TOOLS_MAX_MEMORY_MB * 1024 * 1024,
    )


def _message_id(message: Any) -> uuid.UUID | None:
    """A Message (anything with a UUID ``pk``), a UUID, or None."""
    value = getattr(message, "pk", message)
    parsed = uuid_or_none(value)
    if value is not None and parsed is None:
        raise InvalidInput("message must be a message id.", field="message")
    return parsed


def _execute(
    tool: Tool,
    arguments: Any,
    *,
    user: Any,
    session_id: uuid.UUID | None,
    run_id: uuid.UUID | None = None,
    inputs: list[dict[str, Any]] | None = None,
) -> tuple[str, list[StoredFile]]:
    validated = validate_arguments(tool, arguments)
    with run_slot(user.pk):
        kwargs = resolve_file_arguments(
            tool, validated, user=user, session_id=session_id, inputs=inputs
        )
        result = run_isolated(tool, kwargs, _limits())
    text = bounded_text(result.text if isinstance(result.text, str) else str(result.text))
    stored = store_generated(
        user=user,
        tool_name=tool.name,
        files=result.files,
        session_id=session_id,
        digest=inputs_digest(tool.name, validated),
        run_id=run_id,
    )
    return text, stored


def tool_run(
    *,
    user: Any,
    name: str,
    arguments: Any,
    session_id: Any = None,
    message: Any = None,
) -> ToolRunOutcome:
    """Run the tool ``name`` for ``user`` and store what it generates.

    ``arguments`` is the JSON object an LLM or API client sent (file ids, not
    contents). ``session_id`` (a chat of the user's, checked through
    ``files.sessions``) links generated files and the run to a chat and lets
    ``filename`` find files in it; ``message`` (a chat Message or its UUID) is
    recorded on the run. Raises UnknownTool (404, nothing recorded),
    InvalidInput (a session that is not the user's), and after recording a
    failed run: InvalidToolArguments, FileNotFound, ToolInputTooLarge,
    ToolError (and its ToolTimeout, ToolOutputTooLarge, ImageTooLarge kinds),
    or the file store's own errors (StorageUnavailable, QuotaExceeded, ...).
    """
    tool = tool_get(name)
    session = session_id_for_user(user=user, session_id=session_id)
    context = _RunContext(
        user, tool.name, arguments, session, _message_id(message), time.monotonic()
    )
    try:
        inputs: list[dict[str, Any]] = []
        text, stored = _execute(
            tool, arguments, user=user, session_id=session, run_id=context.run_id, inputs=inputs
        )
    except DomainError as exc:
        _record_failure(context, exc)
        raise
    run = _record_success(context, stored)
    return ToolRunOutcome(text=text, files=stored, run=run, inputs=inputs)
