"""The files REST API: each view parses, calls one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatui.errors import FileTooLarge, InvalidInput
from chatui.json_limits import LimitedJSONParser

from .. import services, trash, versions
from ..asgi_upload import request_body
from ..models import StoredFile
from ..selectors import (
    ORDERINGS,
    file_get_for_user,
    file_get_readable,
    file_list_for_user,
    stats_subject_for,
    user_file_stats,
)
from ..sessions import session_id_for_user
from ..sharing.audit import client_ip
from ..validation import parse_tags_json
from .downloads import download_response
from .serializers import StoredFileOutputSerializer

VERSION_PARAMETER = OpenApiParameter(
    "version", int, required=False, description="A version number; default: the current one."
)


def _file_at_requested_version(request: Request, file_id: str, action: str = "read") -> StoredFile:
    """The file as of ``?version=N`` (the current version without it), for anyone who
    may read it (the owner, or a user it is shared with: the read is audited)."""
    number = versions.version_number_parse(request.query_params.get("version"))
    file = file_get_readable(
        user=request.user, file_id=file_id, action=action, ip=client_ip(request)
    )
    return versions.file_at_version(file=file, number=number)


class FilePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _content_length(request: Request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise InvalidInput("Content-Length is not a number.") from None


def _reject_oversized_json(request: Request) -> None:
    """413 before a JSON body is parsed (it is never read into memory whole)."""
    if _content_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        raise FileTooLarge(
            "JSON uploads are limited to "
            f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)} MB; use multipart/form-data.",
            max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        )


class FileListCreateApi(APIView):
    # multipart/form-data is parsed by services.file_upload_multipart as it arrives;
    # DRF's MultiPartParser is listed only so the request's media type is accepted.
    parser_classes = [MultiPartParser, LimitedJSONParser]

    class FilterSerializer(serializers.Serializer):
        source = serializers.ChoiceField(StoredFile.Source.values, required=False)
        file_type = serializers.ChoiceField(StoredFile.Source.values, required=False)
        category = serializers.ChoiceField(StoredFile.Category.values, required=False)
        q = serializers.CharField(required=False, max_length=200)
        tagged = serializers.BooleanField(required=False, allow_null=True, default=None)
        session = serializers.UUIDField(required=False)
        checksum = serializers.RegexField(r"^[0-9a-f]{64}$", required=False)  # sha256: duplicates
        ordering = serializers.ChoiceField(ORDERINGS, required=False, default="-created_at")
        shared = serializers.ChoiceField(
            ["with_me", "by_me"],
            required=False,
            help_text="with_me: other users' files shared with you (user_email is the owner's); "
            "by_me: your files that a live share or link points at.",
        )
        page = serializers.IntegerField(required=False, min_value=1)
        page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)

    class FormFieldsSerializer(serializers.Serializer):
        """The form fields besides the file (the file part streams to S3)."""

        tags = serializers.CharField(required=False, allow_blank=True)
        session = serializers.UUIDField(required=False, allow_null=True)

    class MultipartInputSerializer(FormFieldsSerializer):
        """The whole form, for the API schema."""

        file = serializers.FileField(allow_empty_file=True, use_url=False)

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
            "checksum": data.get("checksum"),
            "session_id": session_id_for_user(
                user=self.request.user, session_id=data.get("session")
            ),
            "ordering": data["ordering"],
            "shared": data.get("shared"),
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
        replace = request.query_params.get("replace")
        if replace:  # "new version" of a same-named file instead of a second file
            from .versions import version_upload_from_request

            target = file_get_for_user(user=request.user, file_id=replace)
            file = version_upload_from_request(request, target)
            return Response(StoredFileOutputSerializer(file).data, status=status.HTTP_201_CREATED)
        if request.content_type.startswith("multipart/"):
            file = services.file_upload_multipart(
                owner=request.user,
                body=request_body(request._request),
                content_type=request.META.get("CONTENT_TYPE", ""),
                content_length=_content_length(request),
                clean_fields=self._clean_fields,
            )
        else:
            _reject_oversized_json(request)
            file = self._upload_json(request)
        return Response(StoredFileOutputSerializer(file).data, status=status.HTTP_201_CREATED)

    def _clean_fields(self, fields: dict[str, str]) -> dict[str, Any]:
        """The form's small fields as ``FileUpload.finish``'s keyword arguments."""
        form = self.FormFieldsSerializer(data=fields)
        form.is_valid(raise_exception=True)
        return {
            "tags": parse_tags_json(form.validated_data.get("tags")),
            "session_id": form.validated_data.get("session"),
        }

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
    @extend_schema_serializer(component_name="FilePatchInput")
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
        parameters=[
            OpenApiParameter("include", str, enum=["content"], required=False),
            VERSION_PARAMETER,
        ],
        responses=DetailOutputSerializer,
    )
    def get(self, request: Request, file_id: str) -> Response:
        file = _file_at_requested_version(request, file_id)
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

    @extend_schema(
        operation_id="files_delete",
        parameters=[
            OpenApiParameter(
                "permanent",
                bool,
                required=False,
                description="Delete for good (every version) instead of moving to the trash; "
                "also for a file already in the trash.",
            )
        ],
        responses={204: None},
    )
    def delete(self, request: Request, file_id: str) -> Response:
        permanent = request.query_params.get("permanent", "")
        if permanent not in ("", "true", "false", "1", "0"):
            raise InvalidInput("permanent must be true or false.", field="permanent")
        if permanent in ("true", "1"):
            file = file_get_for_user(user=request.user, file_id=file_id, include_trashed=True)
            services.file_delete(file=file)
        else:
            trash.file_trash(file=file_get_for_user(user=request.user, file_id=file_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileDownloadApi(APIView):
    @extend_schema(
        operation_id="files_download",
        parameters=[OpenApiParameter("inline", bool, required=False), VERSION_PARAMETER],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            (206, "application/octet-stream"): OpenApiTypes.BINARY,
            302: None,
            416: None,
        },
    )
    def get(self, request: Request, file_id: str) -> HttpResponse:
        inline = request.query_params.get("inline") in {"1", "true"}
        file = _file_at_requested_version(request, file_id, "preview" if inline else "download")
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
                "current_bytes": serializers.IntegerField(help_text="current versions"),
                "old_versions_bytes": serializers.IntegerField(help_text="earlier versions"),
                "trash_files": serializers.IntegerField(),
                "trash_bytes": serializers.IntegerField(help_text="every version, in the trash"),
                "quota_bytes": serializers.IntegerField(help_text="0 means unlimited"),
                "quota_used": serializers.IntegerField(help_text="current + old versions + trash"),
                "quota_used_fraction": serializers.FloatField(),
                "by_category": serializers.DictField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request: Request, email: str) -> Response:
        subject = stats_subject_for(requester=request.user, email=email)
        return Response(user_file_stats(user=subject))
