"""The tools REST API: list the tools, run one. Each view parses, calls one
service, renders; errors are the project's typed ``{code, message}``."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatui.errors import InvalidToolArguments
from files.api.serializers import StoredFileOutputSerializer

from .executor import tool_run
from .registry import tool_get, tool_list
from .selectors import csv_columns_for_user, tool_files_for_user

ERROR_RESPONSE = OpenApiResponse(description='A typed error: {"code": ..., "message": ...}.')


class ToolListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        description = serializers.CharField()
        parameters = serializers.JSONField(
            help_text='JSON schema of the arguments; file parameters carry "x-file": true.'
        )

        class Meta:
            ref_name = "ToolDescription"

    @extend_schema(
        operation_id="tools_list",
        summary="The tools this site offers",
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(tool_list(), many=True).data)


class ToolRunApi(APIView):
    class InputSerializer(serializers.Serializer):
        session = serializers.UUIDField(required=False, allow_null=True)

    class OutputSerializer(serializers.Serializer):
        text = serializers.CharField()
        files = StoredFileOutputSerializer(many=True)
        run_id = serializers.UUIDField(source="run.id")

        class Meta:
            ref_name = "ToolRunResult"

    @extend_schema(
        operation_id="tools_run",
        summary="Run a tool on your files",
        description=(
            "The body is the tool's arguments (see GET /api/tools), plus an optional "
            "`session` (a chat id) that generated files are linked to and in which "
            "`filename` is looked up. Generated files are stored with source=tool."
        ),
        request=OpenApiTypes.OBJECT,
        examples=[
            OpenApiExample(
                "plot_csv",
                value={"file_id": "0b7c...", "x": "month", "y": ["sales"], "kind": "line"},
                request_only=True,
            )
        ],
        responses={
            200: OutputSerializer,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            413: ERROR_RESPONSE,
            422: ERROR_RESPONSE,
            504: ERROR_RESPONSE,
        },
    )
    def post(self, request: Request, name: str) -> Response:
        arguments, session_id = self._parse(request)
        outcome = tool_run(user=request.user, name=name, arguments=arguments, session_id=session_id)
        return Response(self.OutputSerializer(outcome).data)

    def _parse(self, request: Request) -> tuple[dict[str, Any], Any]:
        if not isinstance(request.data, dict):
            raise InvalidToolArguments("The body must be a JSON object of the tool's arguments.")
        arguments = dict(request.data)
        params = self.InputSerializer(data={"session": arguments.pop("session", None)})
        params.is_valid(raise_exception=True)
        return arguments, params.validated_data.get("session")


class ToolFilesApi(APIView):
    """The user's files a tool accepts (its ``x-accept`` extensions), newest first."""

    class QuerySerializer(serializers.Serializer):
        q = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="tools_files",
        summary="Your files this tool can read",
        parameters=[OpenApiParameter("q", str, description="Part of the file name.")],
        responses={200: StoredFileOutputSerializer(many=True), 404: ERROR_RESPONSE},
    )
    def get(self, request: Request, name: str) -> Response:
        tool_get(name)  # an unknown tool is a typed 404
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)  # NUL is a 400 (PostgreSQL cannot compare it)
        q = query.validated_data["q"]
        files = tool_files_for_user(user=request.user, tool_name=name, q=q)
        return Response(StoredFileOutputSerializer(files, many=True).data)


class ToolColumnsApi(APIView):
    """The column names of a CSV file, for a tool form's column drop-downs."""

    @extend_schema(
        operation_id="tools_columns",
        summary="Column names of one of your CSV files",
        parameters=[OpenApiParameter("file", str, required=True, description="The file's id.")],
        responses={200: OpenApiTypes.OBJECT, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    def get(self, request: Request, name: str) -> Response:
        tool_get(name)
        columns = csv_columns_for_user(
            user=request.user, file_id=request.query_params.get("file", "")
        )
        return Response({"columns": columns})
