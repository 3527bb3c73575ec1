"""Versions and trash API: history, new version, restore, diff; the trash.

``GET|POST /api/files/{id}/versions``, ``POST /api/files/{id}/versions/{n}/restore``,
``GET /api/files/{id}/diff?from=&to=``, ``GET /api/trash`` (``DELETE``: empty it) and
``POST /api/files/{id}/restore``. Owner only: every view starts at ``file_get_for_user``.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatui.json_limits import LimitedJSONParser

from .. import services, trash, versions
from ..asgi_upload import request_body
from ..models import StoredFile
from ..selectors import file_get_for_user
from ..validation import decode_base64_strict
from .files import FilePagination, _content_length, _reject_oversized_json
from .serializers import FileVersionOutputSerializer, StoredFileOutputSerializer


class FileVersionsApi(APIView):
    parser_classes = [MultiPartParser, LimitedJSONParser]

    class VersionMultipartInputSerializer(serializers.Serializer):
        file = serializers.FileField(use_url=False)

    class VersionJsonInputSerializer(serializers.Serializer):
        content_base64 = serializers.CharField(allow_blank=True, trim_whitespace=False)
        content_type = serializers.CharField(required=False, allow_blank=True, max_length=255)

    @extend_schema(
        operation_id="files_versions_list", responses=FileVersionOutputSerializer(many=True)
    )
    def get(self, request: Request, file_id: str) -> Response:
        file = file_get_for_user(user=request.user, file_id=file_id)
        rows = versions.version_list(file=file)
        return Response(FileVersionOutputSerializer(rows, many=True, context={"file": file}).data)

    @extend_schema(
        operation_id="files_versions_create",
        request={
            "multipart/form-data": VersionMultipartInputSerializer,
            "application/json": VersionJsonInputSerializer,
        },
        responses={201: StoredFileOutputSerializer},
    )
    def post(self, request: Request, file_id: str) -> Response:
        file = file_get_for_user(user=request.user, file_id=file_id)
        file = version_upload_from_request(request, file)
        return Response(StoredFileOutputSerializer(file).data, status=status.HTTP_201_CREATED)


def version_upload_from_request(request: Request, file: StoredFile) -> StoredFile:
    """The request's body (multipart streamed to S3, or JSON base64) as ``file``'s next
    version; also ``POST /api/files?replace=<id>`` (the same-name drop's "new version")."""
    if request.content_type.startswith("multipart/"):
        return services.file_upload_multipart(
            owner=request.user,
            body=request_body(request._request),
            content_type=request.META.get("CONTENT_TYPE", ""),
            content_length=_content_length(request),
            clean_fields=lambda fields: {},
            version_of=file,
        )
    _reject_oversized_json(request)
    body = FileVersionsApi.VersionJsonInputSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    return versions.version_upload(
        file=file,
        content=decode_base64_strict(body.validated_data["content_base64"]),
        content_type_hint=body.validated_data.get("content_type", ""),
    )


class FileVersionRestoreApi(APIView):
    @extend_schema(
        operation_id="files_versions_restore",
        request=None,
        responses={201: StoredFileOutputSerializer},
    )
    def post(self, request: Request, file_id: str, number: str) -> Response:
        file = file_get_for_user(user=request.user, file_id=file_id)
        parsed = versions.version_number_parse(number or "0")  # a typed 400 unless N >= 1
        file = versions.version_restore(file=file, number=parsed or 0)
        return Response(StoredFileOutputSerializer(file).data, status=status.HTTP_201_CREATED)


class FileDiffApi(APIView):
    class InputSerializer(serializers.Serializer):
        from_ = serializers.IntegerField(min_value=1)
        to = serializers.IntegerField(min_value=1, required=False)

        def get_fields(self) -> dict[str, serializers.Field]:
            fields = super().get_fields()
            fields["from"] = fields.pop("from_")  # a Python keyword as a query parameter
            return fields

    @extend_schema(
        operation_id="files_diff",
        parameters=[InputSerializer],
        responses=inline_serializer(
            "FileDiff",
            {
                "file_id": serializers.UUIDField(),
                "from": serializers.IntegerField(),
                "to": serializers.IntegerField(),
                "diff": serializers.CharField(help_text="unified diff"),
                "added": serializers.IntegerField(),
                "removed": serializers.IntegerField(),
                "truncated": serializers.BooleanField(),
            },
        ),
    )
    def get(self, request: Request, file_id: str) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        file = file_get_for_user(user=request.user, file_id=file_id)
        new = params.validated_data.get("to") or file.version
        return Response(
            versions.version_diff(file=file, old=params.validated_data["from"], new=new)
        )


class TrashApi(APIView):
    @extend_schema(operation_id="trash_list", responses=StoredFileOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        paginator = FilePagination()
        page = paginator.paginate_queryset(
            trash.trash_list_for_user(user=request.user), request, view=self
        )
        return paginator.get_paginated_response(StoredFileOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="trash_empty",
        responses=inline_serializer("TrashEmptied", {"deleted_files": serializers.IntegerField()}),
    )
    def delete(self, request: Request) -> Response:
        deleted = 0
        for file in trash.trash_list_for_user(user=request.user).select_related("owner"):
            services.file_delete(file=file)
            deleted += 1
        return Response({"deleted_files": deleted})


class FileRestoreApi(APIView):
    @extend_schema(operation_id="files_restore", request=None, responses=StoredFileOutputSerializer)
    def post(self, request: Request, file_id: str) -> Response:
        file = file_get_for_user(user=request.user, file_id=file_id, include_trashed=True)
        return Response(StoredFileOutputSerializer(trash.file_untrash(file=file)).data)
