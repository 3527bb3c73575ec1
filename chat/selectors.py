"""Reads of chat sessions, messages and the files that belong to a session."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery

from chat.models import ChatSession, Message
from chatui.errors import ChatNotFound
from chatui.ids import uuid_or_none
from files.keys import numbered_names
from files.models import StoredFile
from files.selectors import files_readable_among
from files.sharing.access import files_shared_among, shared_with_condition
from files.trash import file_kept_reasons


def session_list_for_user(*, user: Any, q: str | None = None) -> QuerySet[ChatSession]:
    """The user's chats, newest first; with ``q``, those whose title or any message
    contains it (case ignored), each annotated with ``match``: the first such message."""
    sessions = ChatSession.objects.filter(owner=user)
    if q:
        matching = Message.objects.filter(session=OuterRef("pk"), content__icontains=q)
        sessions = sessions.annotate(
            match=Subquery(matching.order_by("created_at").values("content")[:1])
        ).filter(Q(title__icontains=q) | Q(match__isnull=False))
    return sessions.order_by("-updated_at", "-created_at")


def match_snippet(text: str | None, q: str, *, width: int = 60) -> str:
    """A short excerpt of ``text`` around the first ``q`` (case ignored)."""
    if not text:
        return ""
    at = text.lower().find(q.lower())
    start = max(0, at - width // 2) if at >= 0 else 0
    excerpt = " ".join(text[start : start + width + len(q)].split())
    return ("…" if start else "") + excerpt + ("…" if start + width + len(q) < len(text) else "")


def session_get_for_user(*, user: Any, session_id: Any) -> ChatSession:
    """The user's own session; any other id (someone else's, malformed) is not found."""
    parsed = uuid_or_none(session_id)
    session = ChatSession.objects.filter(owner=user, id=parsed).first() if parsed else None
    if session is None:
        raise ChatNotFound()
    return session


def session_owned_by(user: Any, session_id: uuid.UUID) -> bool:
    """Whether ``session_id`` is a chat of ``user``'s: files and tools ask this (through
    ``files.sessions``) before linking a file or a run to a chat."""
    return ChatSession.objects.filter(owner=user, id=session_id).exists()


def reply_streaming(*, user: Any, session_id: uuid.UUID) -> bool:
    """Whether the user's chat has an answer still being written (its row ``streaming``)."""
    return Message.objects.filter(
        session_id=session_id,
        session__owner=user,
        role=Message.Role.ASSISTANT,
        status=Message.Status.STREAMING,
    ).exists()


def session_files(*, session: ChatSession) -> QuerySet[StoredFile]:
    """Files created in the session (uploaded into it, generated in it) and files
    attached to its messages, oldest first: the owner's, and files others share with
    the owner that are attached here while the share lasts (asked anew each time)."""
    mine = Q(owner_id=session.owner_id) & (Q(session_id=session.id) | Q(messages__session=session))
    shared = shared_with_condition(user=session.owner_id)
    if shared is not None:
        mine |= Q(messages__session=session) & shared
    return (
        StoredFile.objects.filter(mine, trashed_at__isnull=True)
        .distinct()
        .select_related("owner")
        .order_by("created_at", "id")
    )


def context_files(
    *, user: Any, session: ChatSession, message: Message | None = None
) -> list[StoredFile]:
    """The files a reply's context considers: the user's tagged files, the files created
    in ``session`` and the files attached to its messages, oldest first, each flagged
    ``linked`` (attached to a message of the session) and ``attached`` (to ``message``).
    Other users' files attached to the session's messages come too while ``user`` may
    still read them (a share): asked before every reply, so revoking a share takes the
    file out of an open chat's next answer.

    Written as SQL because it runs before every reply: the ORM spent ~1.6 ms building
    the same annotated queryset (two correlated EXISTS) against ~0.1 ms for this. It is
    an index lookup on the owner, so a user with no files costs one empty lookup.
    ``owner`` is set to ``user`` (the query guarantees it) instead of joined.
    """
    sql = _CONTEXT_FILES_SQL.format(**_tables())
    files = list(StoredFile.objects.raw(sql, _context_params(user, session, message)))
    foreign = [stored for stored in files if stored.owner_id != user.pk]
    for stored in files:
        stored.linked, stored.attached = bool(stored.linked), bool(stored.attached)
        if stored.owner_id == user.pk:
            stored.owner = user
    if not foreign:
        return files
    readable = {f.pk for f in files_readable_among(user=user, files=foreign)}
    return [f for f in files if f.owner_id == user.pk or f.pk in readable]


# The user's own files, then (UNION ALL) other users' files linked to the session.
_CONTEXT_FILES_SQL = """
SELECT * FROM (
    SELECT f.*,
        EXISTS (SELECT 1 FROM {links} l JOIN {messages} m ON m.id = l.message_id
                WHERE l.storedfile_id = f.id AND m.session_id = %s) AS linked,
        EXISTS (SELECT 1 FROM {links} l
                WHERE l.storedfile_id = f.id AND l.message_id = %s) AS attached
    FROM {files} f
    WHERE f.owner_id = %s AND f.trashed_at IS NULL
    UNION ALL
    SELECT f.*, TRUE AS linked,
        EXISTS (SELECT 1 FROM {links} l
                WHERE l.storedfile_id = f.id AND l.message_id = %s) AS attached
    FROM {files} f
    WHERE f.owner_id <> %s AND f.trashed_at IS NULL AND f.id IN (
        SELECT l.storedfile_id FROM {links} l JOIN {messages} m ON m.id = l.message_id
        WHERE m.session_id = %s)
) c
WHERE c.tagged OR c.session_id = %s OR c.linked
ORDER BY c.created_at, c.id
"""


def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "files": quote(StoredFile._meta.db_table),
        "messages": quote(Message._meta.db_table),
        "links": quote(Message.files.through._meta.db_table),
    }


def _context_params(user: Any, session: ChatSession, message: Message | None) -> list[Any]:
    """Parameters as the database stores them (a UUID is hex text on SQLite)."""
    uuid_of = Message._meta.pk.get_db_prep_value  # type: ignore[union-attr]
    session_id = uuid_of(session.id, connection)
    message_id = uuid_of(message.pk, connection) if message is not None else None
    own = [session_id, message_id, user.pk]
    return [*own, message_id, user.pk, session_id, session_id]


def session_files_by_name(*, session: ChatSession) -> dict[str, StoredFile]:
    """The session's files by name, oldest first; a later file with a name already
    taken gets ``name (2).ext``, ``name (3).ext``..., so none hides another."""
    files = list(session_files(session=session))
    return dict(zip(numbered_names([f.filename for f in files]), files, strict=True))


def session_files_to_delete(*, session: ChatSession) -> QuerySet[StoredFile]:
    """What deleting the chat moves to the trash: files created in it, except those
    something else still uses (see :func:`session_file_fates`)."""
    return StoredFile.objects.filter(
        pk__in=[file.pk for file, reasons in session_file_fates(session=session) if not reasons]
    ).select_related("owner")


def session_file_fates(*, session: ChatSession) -> list[tuple[StoredFile, list[str]]]:
    """Each of the chat's files with the reasons deleting the chat keeps it (none: it
    goes to the trash): tagged, made elsewhere (only attached here), used by a message
    of another chat, shared (a live share or link); ``files.trash.file_kept_reasons``
    decides."""
    files = list(session_files(session=session))
    own = [f.pk for f in files if f.owner_id == session.owner_id]
    shared = files_shared_among(owner=session.owner_id, file_ids=own)
    elsewhere = set(
        Message.files.through.objects.filter(storedfile_id__in=[f.pk for f in files])
        .exclude(message__session_id=session.id)
        .values_list("storedfile_id", flat=True)
    )
    return [
        (
            file,
            file_kept_reasons(
                file=file,
                session_id=session.id,
                used_by_other_chat=file.pk in elsewhere,
                shared=file.pk in shared,
            ),
        )
        for file in files
    ]


def session_file_count_to_delete(*, session: ChatSession) -> int:
    return session_files_to_delete(session=session).count()
