"""The chat history REST API: each view parses, calls one service or selector, renders.

Another user's chat is always 404, never 403: its existence is not disclosed.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat import services
from chat.selectors import (
    match_snippet,
    session_file_fates,
    session_files,
    session_get_for_user,
    session_list_for_user,
)
from chat.serializers import MessageOutputSerializer, SessionOutputSerializer, session_payload
from files.api.serializers import StoredFileOutputSerializer


class ChatPagination(PageNumberPagination):
    page_size = 30
    page_size_query_param = "page_size"
    max_page_size = 200


class BranchMessageOutputSerializer(MessageOutputSerializer):
    """A message of the branch on show, with its place among its versions."""

    parent_id = serializers.UUIDField(allow_null=True)
    siblings = serializers.ListField(child=serializers.UUIDField())
    sibling_index = serializers.IntegerField()

    class Meta(MessageOutputSerializer.Meta):
        fields = [*MessageOutputSerializer.Meta.fields, "parent_id", "siblings", "sibling_index"]
        read_only_fields = fields


class ChatDetailOutputSerializer(SessionOutputSerializer):
    messages = BranchMessageOutputSerializer(many=True)
    files = StoredFileOutputSerializer(many=True)

    class Meta(SessionOutputSerializer.Meta):
        fields = [*SessionOutputSerializer.Meta.fields, "messages", "files"]


class ChatListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, allow_blank=True, max_length=200)

    class QuerySerializer(serializers.Serializer):
        # a CharField refuses NUL (400), which PostgreSQL cannot compare text with (a 500)
        q = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="chats_list",
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="Search: chats whose title or message text contains this; each "
                "result then carries `match`, an excerpt of the first matching message.",
            )
        ],
        responses=SessionOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data["q"][:200]
        paginator = ChatPagination()
        sessions = session_list_for_user(user=request.user, q=q or None)
        page = paginator.paginate_queryset(sessions, request, view=self)
        rows = SessionOutputSerializer(page, many=True).data
        if q:
            for row, session in zip(rows, page, strict=True):
                row["match"] = match_snippet(getattr(session, "match", None), q)
        return paginator.get_paginated_response(rows)

    @extend_schema(
        operation_id="chats_create",
        request=InputSerializer,
        responses={201: SessionOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = services.session_create(owner=request.user, **body.validated_data)
        return Response(SessionOutputSerializer(session).data, status=status.HTTP_201_CREATED)


class ChatDetailApi(APIView):
    @extend_schema_serializer(component_name="ChatPatchInput")
    class PatchInputSerializer(serializers.Serializer):
        title = serializers.CharField(allow_blank=True, max_length=200)

    class DeleteQuerySerializer(serializers.Serializer):
        keep_files = serializers.BooleanField(required=False, default=False)

    @extend_schema(operation_id="chats_retrieve", responses=ChatDetailOutputSerializer)
    def get(self, request: Request, session_id: str) -> Response:
        session = session_get_for_user(user=request.user, session_id=session_id)
        return Response(session_payload(session))

    @extend_schema(
        operation_id="chats_update",
        request=PatchInputSerializer,
        responses=SessionOutputSerializer,
    )
    def patch(self, request: Request, session_id: str) -> Response:
        body = self.PatchInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = session_get_for_user(user=request.user, session_id=session_id)
        session = services.session_rename(session=session, title=body.validated_data["title"])
        return Response(SessionOutputSerializer(session).data)

    @extend_schema(
        operation_id="chats_delete",
        parameters=[
            OpenApiParameter(
                "keep_files",
                bool,
                required=False,
                description="Keep the chat's files (detached from it) instead of deleting them.",
            )
        ],
        responses=inline_serializer("ChatDeleted", {"deleted_files": serializers.IntegerField()}),
    )
    def delete(self, request: Request, session_id: str) -> Response:
        query = self.DeleteQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        session = session_get_for_user(user=request.user, session_id=session_id)
        deleted = services.session_delete(
            session=session, keep_files=query.validated_data["keep_files"]
        )
        return Response({"deleted_files": deleted})


class ChatFilesApi(APIView):
    @extend_schema(operation_id="chats_files", responses=StoredFileOutputSerializer(many=True))
    def get(self, request: Request, session_id: str) -> Response:
        session = session_get_for_user(user=request.user, session_id=session_id)
        return Response(StoredFileOutputSerializer(session_files(session=session), many=True).data)


class ChatDeletePreviewApi(APIView):
    @extend_schema(
        operation_id="chats_delete_preview",
        responses=inline_serializer(
            "ChatDeletePreview",
            {
                "files_to_delete": serializers.IntegerField(
                    help_text="How many files go to the trash."
                ),
                "files": serializers.ListField(
                    child=serializers.CharField(), help_text="Names of the files trashed."
                ),
                "kept_files": serializers.ListField(
                    child=serializers.CharField(), help_text="Names of the chat's files kept."
                ),
                "details": serializers.ListField(
                    child=inline_serializer(
                        "ChatDeleteFileFate",
                        {
                            "id": serializers.UUIDField(),
                            "filename": serializers.CharField(),
                            "size": serializers.IntegerField(),
                            "fate": serializers.ChoiceField(["trash", "keep"]),
                            "reasons": serializers.ListField(
                                child=serializers.CharField(),
                                help_text="tagged, made_elsewhere, used_by_other_chat",
                            ),
                        },
                    )
                ),
                "trash_days": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request: Request, session_id: str) -> Response:
        session = session_get_for_user(user=request.user, session_id=session_id)
        fates = session_file_fates(session=session)
        return Response(
            {
                "files_to_delete": sum(not reasons for _, reasons in fates),
                "files": [file.filename for file, reasons in fates if not reasons],
                "kept_files": [file.filename for file, reasons in fates if reasons],
                "details": [
                    {
                        "id": str(file.pk),
                        "filename": file.filename,
                        "size": file.size,
                        "fate": "keep" if reasons else "trash",
                        "reasons": reasons,
                    }
                    for file, reasons in fates
                ],
                "trash_days": settings.FILES_TRASH_DAYS,
            }
        )
