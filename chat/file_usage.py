"""Which chats used a file, and at which version: the versions panel's "used in".

``GET /api/files/{id}/chats`` (owner only: the file goes through ``file_get_for_user``
and only the owner's chats are searched). A message used a file when it carries it
(``files``) or recorded one of its versions (``file_versions``: context, retrieval,
tool inputs). Lives in chat: files knows a chat only as an opaque id.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.models import Message
from files.models import StoredFile
from files.selectors import file_get_for_user

USAGE_MAX_MESSAGES = 2000  # the newest; a history panel, not an audit


def file_usage(*, user: Any, file: StoredFile) -> list[dict[str, Any]]:
    """``[{session_id, title, versions: [N...], last_used}]``, most recently used first."""
    file_id = str(file.pk)
    used = Q(files=file) | Q(file_versions__icontains=file_id)
    rows = (
        Message.objects.filter(used, session__owner=user)
        .distinct()
        .select_related("session")
        .order_by("-created_at")[:USAGE_MAX_MESSAGES]
    )
    chats: dict[Any, dict[str, Any]] = {}
    for message in rows:
        versions = {
            int(entry["version"])
            for entry in message.file_versions or []
            if str(entry.get("file_id")) == file_id
        } or {file.version}
        chat = chats.setdefault(
            message.session_id,
            {
                "session_id": str(message.session_id),
                "title": message.session.title,
                "versions": set(),
                "last_used": message.created_at,
            },
        )
        chat["versions"] |= versions
    return [{**chat, "versions": sorted(chat["versions"])} for chat in chats.values()]


class FileChatsApi(APIView):
    @extend_schema(
        operation_id="files_chats",
        responses=inline_serializer(
            "FileChatUsage",
            {
                "session_id": serializers.UUIDField(),
                "title": serializers.CharField(),
                "versions": serializers.ListField(child=serializers.IntegerField()),
                "last_used": serializers.DateTimeField(),
            },
            many=True,
        ),
    )
    def get(self, request: Request, file_id: str) -> Response:
        file = file_get_for_user(user=request.user, file_id=file_id)
        return Response(file_usage(user=request.user, file=file))
