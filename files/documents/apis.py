"""Document text endpoints: one page of a file's text, and search in file contents.

``GET /api/files/{id}/text?page=N`` (whoever may read the file) and
``GET /api/search?q=...`` (paginated like the file list, with its filters; the
user's own files and those shared with them). Each view parses, calls one
selector, renders.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Max
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from chatui.errors import InvalidInput, TextNotAvailable

from ..models import StoredFile
from ..selectors import file_get_readable, files_readable_among
from ..sharing.audit import client_ip
from ..versions import file_at_version
from .index import page_text
from .models import TextChunk
from .search import SearchHit, search_chunks


class FileTextApi(APIView):
    class InputSerializer(serializers.Serializer):
        page = serializers.IntegerField(required=False, min_value=1, default=1)
        version = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(
        operation_id="files_text",
        parameters=[InputSerializer],
        responses=inline_serializer(
            "FileText",
            {
                "file_id": serializers.UUIDField(),
                "filename": serializers.CharField(),
                "page": serializers.IntegerField(),
                "pages": serializers.IntegerField(),
                "text": serializers.CharField(),
            },
        ),
    )
    def get(self, request: Request, file_id: str) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        file = file_get_readable(user=request.user, file_id=file_id, ip=client_ip(request))
        number = params.validated_data.get("version")
        if number is not None and number != file.version:
            file = file_at_version(file=file, number=number)
            file.pages = TextChunk.objects.filter(file=file, version=number).aggregate(
                pages=Max("page")
            )["pages"]
            file.text_status = StoredFile.TextStatus.READY if file.pages else "none"
        page = params.validated_data["page"]
        _require_text(file, page)
        return Response(
            {
                "file_id": str(file.pk),
                "filename": file.filename,
                "page": page,
                "pages": file.pages,
                "text": page_text(file=file, page=page),
            }
        )


def _require_text(file: StoredFile, page: int) -> None:
    if file.text_status != StoredFile.TextStatus.READY:
        raise TextNotAvailable(
            f"This file's text is {file.get_text_status_display().lower()}.",
            text_status=file.text_status,
            text_error=file.text_error,
        )
    if page > (file.pages or 0):
        raise InvalidInput(f"page must be between 1 and {file.pages}.", field="page")


class SearchApi(APIView):
    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=500)
        source = serializers.ChoiceField(StoredFile.Source.values, required=False)
        category = serializers.ChoiceField(StoredFile.Category.values, required=False)
        name = serializers.CharField(required=False, max_length=200, help_text="in file names")
        tagged = serializers.BooleanField(required=False, allow_null=True, default=None)
        shared = serializers.ChoiceField(
            ["with_me", "by_me"],
            required=False,
            help_text="with_me: only files others share with you; by_me: only your files that "
            "you share. Without it: your files and the files shared with you.",
        )
        page = serializers.IntegerField(required=False, min_value=1, default=1)
        page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)

    class HitSerializer(serializers.Serializer):
        file_id = serializers.UUIDField()
        filename = serializers.CharField()
        page = serializers.IntegerField()
        offset = serializers.IntegerField()
        snippet = serializers.CharField(help_text="Plain text around the match.")
        snippet_html = serializers.CharField(help_text="The snippet, escaped, matches in <mark>.")
        rank = serializers.FloatField(help_text="Higher is better.")
        shared_by = serializers.EmailField(
            allow_null=True, help_text="The owner's email when the file is shared with you."
        )

    @extend_schema(
        operation_id="files_search",
        parameters=[FilterSerializer],
        responses=inline_serializer(
            "SearchResults",
            {
                "count": serializers.IntegerField(help_text="Exact up to 1000, else 1001."),
                "count_exact": serializers.BooleanField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": HitSerializer(many=True),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        params = self.FilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        result = search_chunks(
            user=request.user,
            q=data["q"],
            filters=_filters(data),
            page=data["page"],
            page_size=data["page_size"],
        )
        _audit_shared(request, result.hits)
        return Response(
            {
                "count": result.count,
                "count_exact": result.count_exact,
                "next": _page_link(request, data["page"] + 1, result.count, data["page_size"]),
                "previous": _page_link(request, data["page"] - 1, result.count, data["page_size"]),
                "results": self.HitSerializer(result.hits, many=True).data,
            }
        )


def _filters(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": data.get("source"),
        "category": data.get("category"),
        "q": data.get("name"),
        "tagged": data.get("tagged"),
        "shared": data.get("shared"),
    }


def _audit_shared(request: Request, hits: list[SearchHit]) -> None:
    """A snippet of a shared file is a read of it: one audit row per such file shown."""
    theirs = list(dict.fromkeys(hit.file_id for hit in hits if hit.shared_by))
    if theirs:
        files = list(StoredFile.objects.select_related("owner").filter(pk__in=theirs))
        files_readable_among(user=request.user, files=files, ip=client_ip(request))


def _page_link(request: Request, page: int, count: int, page_size: int) -> str | None:
    if page < 1 or (page - 1) * page_size >= count:
        return None
    url = request.build_absolute_uri()
    return remove_query_param(url, "page") if page == 1 else replace_query_param(url, "page", page)
