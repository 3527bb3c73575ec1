"""An upload form (``multipart/form-data``) parsed while it arrives.

The ``file`` part goes straight into a :class:`~files.services.FileUpload` chunk by
chunk; the small fields (``tags``, ``session``) are collected. Fields may come
before or after the file (browsers keep the order of the form), so they are
validated when the body is complete. Parsing is python-multipart's; the
file name is cleaned the way Django's own multipart parser cleans it, so both
doors store the same name for the same request.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.http import parse_header_parameters
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError

from chatui.errors import FileTooLarge, InvalidInput

from .asgi_upload import RequestBodyStream

if TYPE_CHECKING:
    from .services import FileUpload

READ_BATCH_BYTES = 1024 * 1024
FILE_FIELD = "file"

StartUpload = Callable[[str, str], "FileUpload"]  # (filename, part content type)


class StreamedUploadForm:
    """Feed it a body with :meth:`read_from`; then ``upload`` and ``fields`` are set.

    Use it as a context manager: an error anywhere (bad form, too large, storage
    down, a failed row) aborts the upload, so nothing is left in the bucket.
    """

    def __init__(self, content_type: str, start_upload: StartUpload) -> None:
        self._start_upload = start_upload
        self.upload: FileUpload | None = None
        self.fields: dict[str, str] = {}
        self._field_bytes = 0
        self._part: _Part | None = None
        self._complete = False
        self._parser = MultipartParser(_boundary(content_type), self._callbacks())

    def read_from(self, body: RequestBodyStream, *, max_body_bytes: int) -> None:
        try:
            while chunk := body.read_sync(READ_BATCH_BYTES):
                if body.received > max_body_bytes:
                    raise FileTooLarge(max_bytes=max_body_bytes)
                self._parser.write(chunk)
        except MultipartParseError:
            raise InvalidInput("The multipart body is malformed.") from None
        if not self._complete:
            raise InvalidInput("The multipart body ended before its closing boundary.")
        if self.upload is None:
            raise InvalidInput("No file was submitted.", field=FILE_FIELD)

    def __enter__(self) -> StreamedUploadForm:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: Any) -> None:
        if exc_type is not None and self.upload is not None:
            self.upload.abort()

    # --- parser callbacks ---------------------------------------------------------

    def _callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._on_part_begin,
            "on_header_field": lambda data, start, end: self._part.header_name(data[start:end]),
            "on_header_value": lambda data, start, end: self._part.header_value(data[start:end]),
            "on_header_end": lambda: self._part.header_end(),
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        }

    def _on_part_begin(self) -> None:
        self._part = _Part()

    def _on_headers_finished(self) -> None:
        part = self._part
        if part.name == FILE_FIELD and part.filename is not None:
            if self.upload is not None:
                raise InvalidInput("Send one file per request.", field=FILE_FIELD)
            filename = _sanitize_file_name(part.filename)
            if filename is not None:
                self.upload = self._start_upload(filename, part.content_type)
                part.upload = self.upload

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part.upload is not None:
            part.upload.write(memoryview(data)[start:end])
            return
        if part.filename is not None:
            return  # a file part we do not store (another name, or a name Django drops)
        self._field_bytes += end - start
        if self._field_bytes > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise InvalidInput("The form fields are too large.")
        part.value += data[start:end]

    def _on_part_end(self) -> None:
        part = self._part
        if part.upload is None and part.filename is None and part.name:
            if len(self.fields) >= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:
                raise InvalidInput("The form has too many fields.")
            try:
                self.fields.setdefault(part.name, part.value.decode("utf-8"))
            except UnicodeDecodeError:
                raise InvalidInput("Form fields must be UTF-8.", field=part.name) from None

    def _on_end(self) -> None:
        self._complete = True


class _Part:
    """The headers and (for a small field) the value of the part being parsed."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self._name = bytearray()
        self._value = bytearray()
        self.value = bytearray()
        self.upload: FileUpload | None = None

    def header_name(self, data: bytes) -> None:
        self._name += data

    def header_value(self, data: bytes) -> None:
        self._value += data

    def header_end(self) -> None:
        name = self._name.decode("latin-1").strip().lower()
        self.headers[name] = self._value.decode("utf-8", "replace").strip()
        self._name, self._value = bytearray(), bytearray()

    @property
    def _disposition(self) -> dict[str, str]:
        return parse_header_parameters(self.headers.get("content-disposition", ""))[1]

    @property
    def name(self) -> str:
        return self._disposition.get("name", "")

    @property
    def filename(self) -> str | None:
        return self._disposition.get("filename")

    @property
    def content_type(self) -> str:
        return parse_header_parameters(self.headers.get("content-type", ""))[0]


def _boundary(content_type: str) -> bytes:
    media_type, params = parse_header_parameters(content_type)
    boundary = params.get("boundary", "")
    if media_type != "multipart/form-data" or not boundary or len(boundary) > 200:
        raise InvalidInput("A multipart/form-data body needs a boundary.")
    try:
        return boundary.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidInput("The multipart boundary must be ASCII.") from None


def _sanitize_file_name(file_name: str) -> str | None:
    """What Django's ``MultiPartParser.sanitize_file_name`` keeps (None: drop the part)."""
    file_name = html.unescape(file_name)
    file_name = file_name.rsplit("/")[-1].rsplit("\\")[-1]
    file_name = "".join(char for char in file_name if char.isprintable())
    return None if file_name in {"", ".", ".."} else file_name
