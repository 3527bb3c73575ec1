"""``GET /api/files/zip?ids=…``: several of the user's files as one zip, streamed.

The archive is built while it is sent (stream-zip, from PyPI): each member is read
from S3 chunk by chunk through ``services.file_open`` and nothing is stored — no
``files.zip`` in the user's files, nothing counted against the quota. Every id goes
through the one can-read check (``files_get_readable``; one query for the user's own
files) before a byte is sent.
Under ASGI the body is produced by the same bounded reader thread as downloads
(:func:`files.api.downloads.read_ahead`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView
from stream_zip import ZIP_64, stream_zip

from .. import services
from ..models import StoredFile
from ..selectors import files_get_readable
from ..sharing.audit import client_ip
from .downloads import CHUNK_BYTES, content_disposition, read_ahead

ZIP_MAX_FILES = 500
MEMBER_MODE = 0o600


def unique_member_names(files: list[StoredFile]) -> list[str]:
    """Each file's name in the archive; repeated names become ``name (2).ext``."""
    taken: set[str] = set()
    names = []
    for file in files:
        name = file.filename.replace("/", "_").replace("\\", "_") or "file"
        stem, dot, ext = name.rpartition(".")
        stem, suffix = (stem, f".{ext}") if dot and stem else (name, "")
        candidate, number = name, 2
        while candidate.lower() in taken:
            candidate, number = f"{stem} ({number}){suffix}", number + 1
        taken.add(candidate.lower())
        names.append(candidate)
    return names


def _member_chunks(file: StoredFile) -> Iterator[bytes]:
    with services.file_open(file=file) as stream:
        yield from stream.iter_chunks(CHUNK_BYTES)


def zip_chunks(files: list[StoredFile]) -> Iterator[bytes]:
    """The zip archive of ``files``, in chunks, built as it is read."""
    members: Iterable[Any] = (
        (name, file.created_at.replace(tzinfo=None), MEMBER_MODE, ZIP_64, _member_chunks(file))
        for name, file in zip(unique_member_names(files), files, strict=True)
    )
    return stream_zip(members, chunk_size=CHUNK_BYTES)


class _ChunkReader:
    """``read(n)`` / ``close()`` over a chunk iterator, for the downloads' reader thread."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self.length = -1

    def read(self, _size: int = -1) -> bytes:
        """The next non-empty chunk; b"" only at the end (read_ahead stops on it)."""
        for chunk in self._chunks:
            if chunk:
                return chunk
        return b""

    def iter_chunks(self, _size: int) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


class FileZipApi(APIView):
    class QuerySerializer(serializers.Serializer):
        ids = serializers.ListField(
            child=serializers.CharField(max_length=64), min_length=1, max_length=ZIP_MAX_FILES
        )

    @extend_schema(
        operation_id="files_zip",
        parameters=[OpenApiParameter("ids", str, many=True, required=True, explode=True)],
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        query = self.QuerySerializer(data={"ids": request.query_params.getlist("ids")})
        query.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(query.validated_data["ids"]))
        files = files_get_readable(
            user=request.user, file_ids=ids, action="download", ip=client_ip(request)
        )
        reader = _ChunkReader(zip_chunks(files))
        raw = request._request  # the Django request: ASGI bodies must be async iterators
        body = read_ahead(reader) if isinstance(raw, ASGIRequest) else reader.iter_chunks(0)
        response = StreamingHttpResponse(body, content_type="application/zip")
        response["Content-Disposition"] = content_disposition(_zip_name(files), inline=False)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


def _zip_name(files: list[StoredFile]) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return f"{files[0].filename}.zip" if len(files) == 1 else f"files-{stamp}.zip"
