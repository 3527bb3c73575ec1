"""The shapes of sessions and messages, shared by the history API and the websocket."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from chat.models import ChatSession, Message
from chat.selectors import message_list_for_session, session_files
from files.api.serializers import StoredFileOutputSerializer
from files.models import StoredFile


class MessageOutputSerializer(serializers.ModelSerializer):
    files = StoredFileOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "role",
            "content",
            "tool_calls",
            "citations",
            "status",
            "files",
            "created_at",
        ]
        read_only_fields = fields


class _MessageWithoutFilesSerializer(MessageOutputSerializer):
    """``MessageOutputSerializer`` minus ``files``, for a caller that has them already."""

    class Meta(MessageOutputSerializer.Meta):
        fields = [name for name in MessageOutputSerializer.Meta.fields if name != "files"]
        read_only_fields = fields


class SessionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatSession
        fields = ["id", "title", "created_at", "updated_at"]
        read_only_fields = fields


def session_payload(session: ChatSession) -> dict[str, Any]:
    """A session with its whole history and its files (what a chat page shows)."""
    return {
        **SessionOutputSerializer(session).data,
        "messages": MessageOutputSerializer(
            message_list_for_session(session=session), many=True
        ).data,
        "files": StoredFileOutputSerializer(session_files(session=session), many=True).data,
    }


def message_payload(message: Message, *, files: list[StoredFile] | None = None) -> dict[str, Any]:
    """The message as ``MessageOutputSerializer`` shows it. ``files``: its files, in
    display order, when the caller knows them (a message just saved without files
    passes ``[]``), which spares a query on every chat message."""
    if files is None:
        return dict(MessageOutputSerializer(message).data)
    payload = dict(_MessageWithoutFilesSerializer(message).data)
    payload["files"] = StoredFileOutputSerializer(files, many=True).data if files else []
    return payload
