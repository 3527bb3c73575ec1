"""The shapes of sessions and messages, shared by the history API and the websocket."""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework import serializers

from chat.branches import Tree, branch_fields, message_path
from chat.models import ChatSession, Message
from chat.selectors import session_files
from files.api.serializers import StoredFileOutputSerializer
from files.models import StoredFile


class FileVersionUsedSerializer(serializers.Serializer):
    file_id = serializers.UUIDField()
    version = serializers.IntegerField()


class MessageOutputSerializer(serializers.ModelSerializer):
    """A message; its ``files`` shown at the versions it used (``version`` and
    ``download_url`` of that version, ``current_version`` the file's newest)."""

    files = StoredFileOutputSerializer(many=True, read_only=True)
    file_versions = FileVersionUsedSerializer(many=True, read_only=True)

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
            "file_versions",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Message) -> dict[str, Any]:
        data = super().to_representation(instance)
        if data.get("files"):
            data["files"] = files_at_used_versions(data["files"], instance.file_versions)
        return data


def files_at_used_versions(
    files: list[dict[str, Any]], used: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """File payloads pointed at the version the message used, when it is not the
    current one: an old answer opens "report.pdf v2" after v3 exists."""
    version_of = {str(entry["file_id"]): int(entry["version"]) for entry in used or []}
    shown = []
    for file in files:
        version = version_of.get(str(file["id"]))
        file = {**file, "current_version": file.get("version")}
        if version is not None and version != file["current_version"]:
            file["version"] = version
            file["download_url"] = f"{file['download_url']}?version={version}"
        shown.append(file)
    return shown


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
    """A session with the branch of its history on show and its files (what a chat
    page shows). Each message also carries ``parent_id``, ``siblings`` (its
    alternatives' ids, oldest first, itself included) and ``sibling_index``."""
    messages, tree = message_path(session)
    return {
        **SessionOutputSerializer(session).data,
        "messages": [
            _with_branch(row, tree) for row in MessageOutputSerializer(messages, many=True).data
        ],
        "files": StoredFileOutputSerializer(session_files(session=session), many=True).data,
    }


def new_session_payload(session: ChatSession) -> dict[str, Any]:
    """:func:`session_payload` of a chat created in this transaction, before anything is
    in it: no message and no file yet, so no query (reading its files would scan all of
    the owner's files for none)."""
    return {**SessionOutputSerializer(session).data, "messages": [], "files": []}


def _with_branch(row: dict[str, Any], tree: Tree) -> dict[str, Any]:
    return {**row, **branch_fields(tree, uuid.UUID(row["id"]))}


def message_payload(message: Message, *, files: list[StoredFile] | None = None) -> dict[str, Any]:
    """The message as ``MessageOutputSerializer`` shows it. ``files``: its files, in
    display order, when the caller knows them (a message just saved without files
    passes ``[]``), which spares a query on every chat message."""
    if files is None:
        payload = dict(MessageOutputSerializer(message).data)
    else:
        payload = dict(_MessageWithoutFilesSerializer(message).data)
        payload["files"] = (
            files_at_used_versions(
                StoredFileOutputSerializer(files, many=True).data, message.file_versions
            )
            if files
            else []
        )
    return {**payload, **message_branch(message)}


def message_branch(message: Message) -> dict[str, Any]:
    """A new message's branch fields: alone under its parent until edited or regenerated."""
    parent = str(message.parent_id) if message.parent_id else None
    return {"parent_id": parent, "siblings": [str(message.id)], "sibling_index": 0}
