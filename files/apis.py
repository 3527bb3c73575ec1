"""The files REST API: each view parses, calls one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatui.errors import FileTooLarge, InvalidInput, InvalidJson, JsonTooDeep
from chatui.json_limits import LimitedJSONParser, json_loads_limited

from . import services
from .asgi_upload import RequestBodyStream, streamed_body
from .downloads import download_response
from .health import health_report
from .models import StoredFile
from .multipart_stream import StreamedUploadForm
from .selectors import (
    ORDERINGS,
    file_get_for_user,
    file_list_for_user,
    stats_subject_for,
    user_file_stats,
)
from .serializers import StoredFileOutputSerializer
from .sessions import session_id_for_user

MULTIPART_OVERHEAD_BYTES = 64 * 1024  # boundaries, part headers, the small form fields


class FilePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class LimitedUploadHandler(FileUploadHandler):
    """Aborts a multipart upload as soon as the file part passes the limit.

    ``Content-Length`` catches honest oversized requests before the body is
    parsed; this catches chunked requests that send no length.
    """

    def __init__(self, request: Any = None, *, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            services.check_upload_size(self.received)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _content_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise InvalidInput("Content-Length is not a number.") from None


def _reject_oversized_multipart(request: Request) -> int:
    """413 by ``Content-Length`` alone; returns the file size it implies (at least)."""
    length = _content_length(request)
    if length > services.max_upload_bytes() + MULTIPART_OVERHEAD_BYTES:
        services.check_upload_size(length - MULTIPART_OVERHEAD_BYTES)
    return max(length - MULTIPART_OVERHEAD_BYTES, 0)


def _reject_oversized_body(request: Request) -> None:
    """413 before the body is parsed (it is never read into memory whole)."""
    length = _content_length(request)
    if request.content_type.startswith("multipart/"):
        _reject_oversized_multipart(request)
        limit = services.max_upload_bytes()
        request._request.upload_handlers.insert(0, LimitedUploadHandler(limit=limit))
    elif length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        raise FileTooLarge(
            "JSON uploads are limited to "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)} MB; use multipart/form-data.",
            max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        )


def _parse_tags_field(raw: Any) -> dict[str, str] | None:
    """Multipart forms carry tags as a JSON string."""
    if raw in (None, ""):
        return None
    if isinstance(raw, dict):
        return raw
    try:
        return json_loads_limited(raw)
    except JsonTooDeep:
        raise
    except (InvalidJson, TypeError):
        raise InvalidInput("tags must be a JSON object.", field="tags") from None


class FileListCreateApi(APIView):
    parser_classes = [MultiPartParser, LimitedJSONParser]

    class FilterSerializer(serializers.Serializer):
        source = serializers.ChoiceField(StoredFile.Source.values, required=False)
        file_type = serializers.ChoiceField(StoredFile.Source.values, required=False)
        category = serializers.ChoiceField(StoredFile.Category.values, required=False)
        q = serializers.CharField(required=False, max_length=200)
        tagged = serializers.BooleanField(required=False, allow_null=True, default=None)
        session = serializers.UUIDField(required=False)
        ordering = serializers.ChoiceField(ORDERINGS, required=False, default="-created_at")
        page = serializers.IntegerField(required=False, min_value=1)
        page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)

    class MultipartInputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True, use_url=False)
        tags = serializers.CharField(required=False, allow_blank=True)
        session = serializers.UUIDField(required=False, allow_null=True)

    class StreamedFieldsSerializer(serializers.Serializer):
        """The form fields besides the file, when the file itself was streamed."""

        tags = serializers.CharField(required=False, allow_blank=True)
        session = serializers.UUIDField(required=False, allow_null=True)

    class JsonInputSerializer(serializers.Serializer):
        filename = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=4096)
        content_base64 = serializers.CharField(allow_blank=True, trim_whitespace=False)
        content_type = serializers.CharField(required=False, allow_blank=True, max_length=255)
        tags = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
        session = serializers.UUIDField(required=False, allow_null=True)

    @extend_schema(
        operation_id="files_list",
        parameters=[FilterSerializer],
        responses=StoredFileOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        files = file_list_for_user(user=request.user, **self._filter_kwargs(filters.validated_data))
        paginator = FilePagination()
        page = paginator.paginate_queryset(files, request, view=self)
        data = StoredFileOutputSerializer(page, many=True).data
        return paginator.get_paginated_response(data)

    def _filter_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "source": data.get("source") or data.get("file_type"),
            "category": data.get("category"),
            "q": data.get("q"),
            "tagged": data.get("tagged"),
            "session_id": session_id_for_user(
                user=self.request.user, session_id=data.get("session")
            ),
            "ordering": data["ordering"],
        }

    @extend_schema(
        operation_id="files_upload",
        request={
            "multipart/form-data": MultipartInputSerializer,
            "application/json": JsonInputSerializer,
        },
        responses={201: StoredFileOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        body = streamed_body(request._request)
        if body is not None:
            file = self._upload_streamed(request, body)
            return Response(StoredFileOutputSerializer(file).data, status=status.HTTP_201_CREATED)
        _reject_oversized_body(request)
        if request.content_type.startswith("multipart/"):
            file = self._upload_multipart(request)
        else:
            file = self._upload_json(request)
        return Response(StoredFileOutputSerializer(file).data, status=status.HTTP_201_CREATED)

    def _upload_multipart(self, request: Request) -> StoredFile:
        form = self.MultipartInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        return services.file_upload(
            owner=request.user,
            content=upload,
            filename=upload.name or "",
            content_type_hint=upload.content_type or "",
            tags=_parse_tags_field(form.validated_data.get("tags")),
            session_id=form.validated_data.get("session"),
        )

    def _upload_streamed(self, request: Request, body: RequestBodyStream) -> StoredFile:
        """Under ASGI: 413 before reading a byte, then body -> parser -> S3 parts."""
        expected_size = _reject_oversized_multipart(request)

        def start_upload(filename: str, content_type: str) -> services.FileUpload:
            return services.FileUpload(
                owner=request.user,
                filename=filename,
                content_type_hint=content_type,
                expected_size=expected_size,
            )

        max_body = services.max_upload_bytes() + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        with StreamedUploadForm(request.META.get("CONTENT_TYPE", ""), start_upload) as form:
            form.read_from(body, max_body_bytes=max_body + MULTIPART_OVERHEAD_BYTES)
            fields = self.StreamedFieldsSerializer(data=form.fields)
            fields.is_valid(raise_exception=True)
            return form.upload.finish(  # type: ignore[union-attr]  (read_from checked it)
                tags=_parse_tags_field(fields.validated_data.get("tags")),
                session_id=fields.validated_data.get("session"),
            )

    def _upload_json(self, request: Request) -> StoredFile:
        body = self.JsonInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        return services.file_upload_base64(
            owner=request.user,
            filename=data["filename"],
            content_base64=data["content_base64"],
            content_type_hint=data.get("content_type", ""),
            tags=data.get("tags"),
            session_id=data.get("session"),
        )


class FileDetailApi(APIView):
    class PatchInputSerializer(serializers.Serializer):
        filename = serializers.CharField(required=False, max_length=4096)
        tags = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
        tagged = serializers.BooleanField(required=False, allow_null=True, default=None)

    class DetailOutputSerializer(StoredFileOutputSerializer):
        content_base64 = serializers.CharField(required=False)

        class Meta(StoredFileOutputSerializer.Meta):
            fields = [*StoredFileOutputSerializer.Meta.fields, "content_base64"]

    @extend_schema(
        operation_id="files_retrieve",
        parameters=[OpenApiParameter("include", str, enum=["content"], required=False)],
        responses=DetailOutputSerializer,
    )
    def get(self, request: Request, file_id: str) -> Response:
        file = file_get_for_user(user=request.user, file_id=file_id)
        data = dict(StoredFileOutputSerializer(file).data)
        include = request.query_params.get("include", "")
        if include not in ("", "content"):
            raise InvalidInput("include must be 'content'.", field="include")
        if include == "content":
            data["content_base64"] = services.file_read_base64(file=file)
        return Response(data)

    @extend_schema(
        operation_id="files_update",
        request=PatchInputSerializer,
        responses=StoredFileOutputSerializer,
    )
    def patch(self, request: Request, file_id: str) -> Response:
        body = self.PatchInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        file = file_get_for_user(user=request.user, file_id=file_id)
        file = services.file_update(file=file, **body.validated_data)
        return Response(StoredFileOutputSerializer(file).data)

    @extend_schema(operation_id="files_delete", responses={204: None})
    def delete(self, request: Request, file_id: str) -> Response:
        file = file_get_for_user(user=request.user, file_id=file_id)
        services.file_delete(file=file)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileDownloadApi(APIView):
    @extend_schema(
        operation_id="files_download",
        parameters=[OpenApiParameter("inline", bool, required=False)],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            (206, "application/octet-stream"): OpenApiTypes.BINARY,
            302: None,
            416: None,
        },
    )
    def get(self, request: Request, file_id: str) -> HttpResponse:
        file = file_get_for_user(user=request.user, file_id=file_id)
        inline = request.query_params.get("inline") in {"1", "true"}
        return download_response(request._request, file, inline=inline)


class UserFileStatsApi(APIView):
    @extend_schema(
        operation_id="files_stats",
        responses=inline_serializer(
            "FileStats",
            {
                "total_files": serializers.IntegerField(),
                "total_size": serializers.IntegerField(),
                "upload_count": serializers.IntegerField(),
                "generated_count": serializers.IntegerField(),
                "quota_bytes": serializers.IntegerField(help_text="0 means unlimited"),
                "quota_used": serializers.IntegerField(),
                "quota_used_fraction": serializers.FloatField(),
                "by_category": serializers.DictField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request: Request, email: str) -> Response:
        subject = stats_subject_for(requester=request.user, email=email)
        return Response(user_file_stats(user=subject))


class HealthApi(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="health",
        responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        report = health_report()
        healthy = report["status"] == "ok"
        return Response(report, status=200 if healthy else 503)
