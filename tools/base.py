"""The tool interface: what a tool declares, what it receives and what it returns.

A tool never sees an object key, a URL or a credential. The executor
(`tools.executor.tool_run`) resolves the file parameters it declares into
:class:`InputFile` values carrying the bytes, and stores the
:class:`GeneratedFile` values it returns. Tools run in a separate process with
no database access, so this module deliberately imports nothing from Django.

File parameters use the same names in every tool and are marked in the schema
with ``"x-file": true``:

* ``file_id`` (a file's id) or ``filename`` (a file's name within the chat
  session) -> the tool's ``run`` receives ``file: InputFile``;
* ``file_ids`` (a list of ids) -> ``run`` receives ``files: list[InputFile]``.

Every other parameter reaches ``run`` as a keyword argument under its own name,
already validated against ``parameters``; absent optional parameters are simply
not passed, so ``run`` declares their defaults.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

FILE_MARKER = "x-file"
# Schema extensions for forms (stripped before an LLM sees the schema):
# "x-accept" on a file parameter lists the filename extensions the tool reads;
# "x-column" marks a parameter whose value is a column name of the chosen CSV file.
ACCEPT_MARKER = "x-accept"
COLUMN_MARKER = "x-column"
CSV_EXTENSIONS = (".csv", ".tsv")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")
SINGLE_FILE_PARAMS = ("file_id", "filename")
MULTI_FILE_PARAM = "file_ids"
FILE_PARAMS = (*SINGLE_FILE_PARAMS, MULTI_FILE_PARAM)
# Keys the API reserves next to a tool's arguments in a run request.
RESERVED_PARAMS = ("session", "file", "files")
TOOL_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # OpenAI function names allow this


@dataclass(frozen=True)
class InputFile:
    """One of the user's files, as a tool sees it: metadata and bytes, nothing else."""

    id: str
    filename: str
    content_type: str
    size: int
    content: bytes = field(repr=False)
    # A document's extracted text, one string per page, when the tool reads extracted
    # text (``Tool.reads_extracted_text``) and the file has it; ``content`` is then empty.
    pages: tuple[str, ...] | None = field(default=None, repr=False)

    def text(self) -> str:
        """The content decoded as text (see :func:`decode_text`)."""
        return decode_text(self.content)[0]

    @property
    def stem(self) -> str:
        """The filename without its extension, for naming what a tool derives from it."""
        stem, dot, _ext = self.filename.rpartition(".")
        return (stem if dot and stem else self.filename) or "file"


@dataclass(frozen=True)
class GeneratedFile:
    """A file a tool made; the executor stores it under the user's ``generated/`` prefix."""

    filename: str
    content: bytes = field(repr=False)
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class ToolResult:
    text: str
    files: list[GeneratedFile] = field(default_factory=list)


class Tool:
    """Subclass, set the three class attributes and implement :meth:`run`.

    ``parameters`` is a JSON schema of type ``object`` with
    ``additionalProperties: false``; it is both what the executor validates the
    arguments against and what an LLM sees for function calling (without the
    ``x-file`` markers, see :meth:`function_spec`).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    parameters: ClassVar[dict[str, Any]]
    # A document (PDF, Office, image) with extracted text reaches ``run`` as that text,
    # by page (``InputFile.pages``), instead of its bytes.
    reads_extracted_text: ClassVar[bool] = False
    # The executor searches the user's extracted text for ``query`` (within ``file_ids``
    # or the files tagged ``tag``) and passes ``passages`` (dicts: file_id, filename,
    # page, text, snippet, version) instead of any file's bytes.
    searches_documents: ClassVar[bool] = False

    def run(self, **kwargs: Any) -> ToolResult:
        raise NotImplementedError

    @classmethod
    def file_params(cls) -> list[str]:
        """The parameters the executor resolves into files, in declaration order."""
        properties = cls.parameters.get("properties", {})
        return [name for name, spec in properties.items() if spec.get(FILE_MARKER)]

    @classmethod
    def function_spec(cls) -> ToolSpec:
        """What a model is offered for this tool (schema extensions removed)."""
        return ToolSpec(cls.name, cls.description, strip_extensions(cls.parameters))


@dataclass(frozen=True)
class ToolSpec:
    """A tool as a model sees it; the one place its OpenAI ``tools`` entry is built."""

    name: str
    description: str
    parameters: dict[str, Any]

    def openai_format(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


def strip_extensions(schema: Any) -> Any:
    """A copy of ``schema`` without ``x-*`` keys, which strict LLM APIs reject."""
    if isinstance(schema, dict):
        return {
            key: strip_extensions(value)
            for key, value in schema.items()
            if not (isinstance(key, str) and key.startswith("x-"))
        }
    if isinstance(schema, list):
        return [strip_extensions(item) for item in schema]
    return copy.copy(schema)


def single_file_properties(
    description: str = "the file", *, accept: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Schema properties for a tool that reads one file, by id or by name; ``accept``
    names the extensions a form offers (any file when empty)."""
    marks: dict[str, Any] = {FILE_MARKER: True}
    if accept:
        marks[ACCEPT_MARKER] = list(accept)
    return {
        "file_id": {
            "type": "string",
            "description": f"Id of {description}.",
            **marks,
        },
        "filename": {
            "type": "string",
            "maxLength": 255,
            "description": (
                f"Name of {description} within the current chat (the newest file with "
                "that name); use instead of file_id."
            ),
            **marks,
        },
    }


def multi_file_property(description: str = "the files", *, max_items: int = 20) -> dict[str, Any]:
    """Schema property for a tool that reads several files by id."""
    return {
        "type": "array",
        "items": {"type": "string"},
        "minItems": 1,
        "maxItems": max_items,
        "uniqueItems": True,
        "description": f"Ids of {description}.",
        FILE_MARKER: True,
    }


def object_schema(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """An OpenAI-function-compatible parameters schema."""
    return {
        "type": "object",
        "properties": properties,
        "required": required or [],
        "additionalProperties": False,
    }


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_text(content: bytes) -> tuple[str, str]:
    """Decode bytes a user uploaded as text and say which encoding was used.

    UTF-8 (with or without a BOM) first, UTF-16 when it carries a BOM, then
    latin-1, which maps every byte and so always succeeds: spreadsheets exported
    on Windows are often latin-1 and must still be readable.
    """
    if content.startswith(_UTF16_BOMS):
        try:
            return content.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        if content.startswith(b"\xef\xbb\xbf"):
            return content.decode("utf-8-sig"), "utf-8-sig"
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return content.decode("latin-1"), "latin-1"


def looks_binary(content: bytes) -> bool:
    """A NUL byte near the start means this is not text worth searching or showing."""
    head = content[:8192]
    return b"\x00" in head and not head.startswith(_UTF16_BOMS)
