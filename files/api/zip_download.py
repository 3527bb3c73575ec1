"""``GET /api/files/zip?ids=…``: several of the user's files as one zip, streamed.

The archive is built while it is sent (stream-zip, from PyPI): each member is read
from S3 chunk by chunk through ``services.file_open`` and nothing is stored — no
``files.zip`` in the user's files, nothing counted against the quota. Every id goes
through the one can-read check (``files_get_readable``; one query for the user's own
files) before a byte is sent. The body is sent the way a download's is
(:func:`files.api.downloads.body_iterator`: under ASGI from the same bounded reader thread).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView
from stream_zip import ZIP_64, stream_zip

from .. import services
from ..keys import numbered_names
from ..models import StoredFile
from ..selectors import files_get_readable
from ..sharing.audit import client_ip
from .downloads import CHUNK_BYTES, body_iterator, content_disposition

ZIP_MAX_FILES = 500
MEMBER_MODE = 0o600


def member_names(files: list[StoredFile]) -> list[str]:
    """Each file's name in the archive, flat (no directories); repeats numbered."""
    flat = [f.filename.replace("/", "_").replace("\\", "_") or "file" for f in files]
    return numbered_names(flat)


def _member_chunks(file: StoredFile) -> Iterator[bytes]:
    with services.file_open(file=file) as stream:
        yield from stream.iter_chunks(CHUNK_BYTES)


def zip_chunks(files: list[StoredFile]) -> Iterator[bytes]:
    """The zip archive of ``files``, in chunks, built as it is read."""
    members: Iterable[Any] = (
        (name, file.created_at.replace(tzinfo=None), MEMBER_MODE, ZIP_64, _member_chunks(file))
        for name, file in zip(member_names(files), files, strict=True)
    )
    return stream_zip(members, chunk_size=CHUNK_BYTES)


class _ChunkReader:
    """A chunk iterator as the stream :func:`body_iterator` reads (``read``,
    ``iter_chunks``, ``close``; ``length`` -1: not known ahead)."""

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
        body = body_iterator(request._request, reader)  # the same body as a download's
        response = StreamingHttpResponse(body, content_type="application/zip")
        response["Content-Disposition"] = content_disposition(_zip_name(files), inline=False)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


def _zip_name(files: list[StoredFile]) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return f"{files[0].filename}.zip" if len(files) == 1 else f"files-{stamp}.zip"
