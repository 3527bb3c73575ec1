"""Reads of chat sessions, messages and the files that belong to a session."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from chat.models import ChatSession, Message
from chatui.errors import ChatNotFound
from files.models import StoredFile


def session_list_for_user(*, user: Any) -> QuerySet[ChatSession]:
    return ChatSession.objects.filter(owner=user).order_by("-updated_at", "-created_at")


def session_get_for_user(*, user: Any, session_id: Any) -> ChatSession:
    """The user's own session; any other id (someone else's, malformed) is not found."""
    try:
        parsed = uuid.UUID(str(session_id))
    except ValueError:
        raise ChatNotFound() from None
    session = ChatSession.objects.filter(owner=user, id=parsed).first()
    if session is None:
        raise ChatNotFound()
    return session


def message_list_for_session(*, session: ChatSession) -> QuerySet[Message]:
    return (
        Message.objects.filter(session=session)
        .order_by("created_at", "id")
        .prefetch_related(
            Prefetch(
                "files",
                queryset=StoredFile.objects.select_related("owner").order_by("created_at", "id"),
            )
        )
    )


def session_files(*, session: ChatSession) -> QuerySet[StoredFile]:
    """Files created in the session (uploaded into it, generated in it) and files
    attached to its messages, oldest first. Owner-filtered as well: a file only
    ever belongs to its owner's chats."""
    return (
        StoredFile.objects.filter(owner_id=session.owner_id)
        .filter(Q(session=session) | Q(messages__session=session))
        .distinct()
        .select_related("owner")
        .order_by("created_at", "id")
    )


def session_files_by_name(*, session: ChatSession) -> dict[str, StoredFile]:
    """The session's files by name, oldest first; a later file with a name already
    taken gets ``name (2).ext``, ``name (3).ext``..., so none hides another."""
    by_name: dict[str, StoredFile] = {}
    for stored in session_files(session=session):
        by_name[_unique_name(stored.filename, by_name)] = stored
    return by_name


def _unique_name(filename: str, taken: dict[str, StoredFile]) -> str:
    if filename not in taken:
        return filename
    stem, dot, ext = filename.rpartition(".")
    if not dot or not stem:
        stem, ext = filename, ""
    suffix = f".{ext}" if ext else ""
    number = 2
    while f"{stem} ({number}){suffix}" in taken:
        number += 1
    return f"{stem} ({number}){suffix}"


def session_files_to_delete(*, session: ChatSession) -> QuerySet[StoredFile]:
    """What deleting the chat removes: files created in it, except the tagged ones.
    Files only attached to its messages were made elsewhere and stay."""
    return StoredFile.objects.filter(
        owner_id=session.owner_id, session=session, tagged=False
    ).select_related("owner")


def session_file_count_to_delete(*, session: ChatSession) -> int:
    return session_files_to_delete(session=session).count()
