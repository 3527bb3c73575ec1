"""Writes of chat sessions and messages.

The reply itself (provider, tool calls, streaming) is async and lives in
``chat.reply.reply_generate``; it calls the writes below through
``chat.db.chat_db``, each one a short transaction, so SQLite's single
writer is held for milliseconds at a time.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from chat.branches import tree_of
from chat.models import ChatSession, Message
from chat.selectors import session_files_to_delete, session_get_for_user
from chatui.errors import DomainError, InvalidInput, NotFound
from chatui.ids import uuid_or_none
from chatui.text import text_check
from files.models import StoredFile
from files.selectors import file_get_readable, files_get_readable
from files.trash import file_trash
from tools.models import ToolRun

TITLE_MAX = 200
TITLE_FROM_MESSAGE = 60
MESSAGE_MAX_CHARS = 100_000
MESSAGE_MAX_FILES = 20
LEAF = object()  # message_create's default parent: the end of the branch on show


def session_create(*, owner: Any, title: str = "") -> ChatSession:
    return ChatSession.objects.create(owner=owner, title=_title_clean(title))


def session_rename(*, session: ChatSession, title: str) -> ChatSession:
    session.title = _title_clean(title)
    session.save(update_fields=["title", "updated_at"])
    return session


def _title_clean(title: str) -> str:
    text_check(title, field="title")
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"A chat title has at most {TITLE_MAX} characters.")
    return title


def session_delete(*, session: ChatSession, keep_files: bool = False) -> int:
    """Delete the chat and its messages; return how many files went to the trash.

    The files created in the chat go to the trash (restorable for FILES_TRASH_DAYS),
    except those something else still uses: tagged, made elsewhere, used by a message
    of another chat (``session_file_fates`` says which and why); with ``keep_files``
    every file stays. All in one transaction: the chat and its files' fate together.
    """
    trashed = 0
    with transaction.atomic():
        if not keep_files:
            for stored in session_files_to_delete(session=session):
                file_trash(file=stored)
                trashed += 1
        # files and tool runs keep a chat's id, not a foreign key: detach them here
        StoredFile.objects.filter(owner_id=session.owner_id, session_id=session.id).update(
            session_id=None
        )
        ToolRun.objects.filter(user_id=session.owner_id, session_id=session.id).update(
            session_id=None
        )
        session.delete()  # messages cascade
    return trashed


def message_create(
    *,
    session: ChatSession,
    role: str,
    content: str = "",
    files: Iterable[StoredFile] = (),
    tool_calls: list[dict[str, Any]] | None = None,
    status: str = Message.Status.COMPLETE,
    message_id: uuid.UUID | None = None,
    file_versions: Iterable[dict[str, Any]] = (),
    citations: list[dict[str, Any]] | None = None,
    parent_id: uuid.UUID | None | object = LEAF,
) -> Message:
    """Store a message after ``parent_id`` (by default the end of the branch on show),
    make it the branch's end, and mark the chat as recently used (its first user
    message names an untitled chat). ``file_versions``: the versions it used besides
    its own ``files`` (recorded at their current version)."""
    with transaction.atomic(savepoint=False):  # inside chat_message_post: no savepoint trip
        message = _message_insert(
            session=session,
            role=role,
            parent_id=session.leaf_id if parent_id is LEAF else parent_id,
            message_id=message_id,
            content=content,
            files=files,
            tool_calls=tool_calls,
            status=status,
            file_versions=file_versions,
            citations=citations,
        )
        session.leaf = message
        _session_touch(session, role=role, content=content)
    return message


def _message_insert(*, files: Iterable[StoredFile] = (), **fields: Any) -> Message:
    """The message's row and its file links; the chat's row is the caller's to update."""
    files = list(files)
    message = _message_row(files=files, **fields)
    message.save(force_insert=True)
    if files:
        message.files.add(*files)  # a new row has no links to read and replace
    return message


def _message_row(
    *,
    session: ChatSession,
    role: str,
    parent_id: Any,
    message_id: uuid.UUID | None = None,
    content: str = "",
    files: Iterable[StoredFile] = (),
    tool_calls: list[dict[str, Any]] | None = None,
    status: str = Message.Status.COMPLETE,
    file_versions: Iterable[dict[str, Any]] = (),
    citations: list[dict[str, Any]] | None = None,
) -> Message:
    """A message's row, not yet saved (its file links are the saver's to add)."""
    return Message(
        id=message_id or uuid.uuid4(),
        session=session,
        parent_id=parent_id,
        role=role,
        content=content,
        tool_calls=tool_calls or [],
        citations=citations or [],
        status=status,
        file_versions=versions_used(files, file_versions),
    )


def versions_used(
    files: Iterable[StoredFile], more: Iterable[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """``[{"file_id", "version"}]``, each (file, version) once, in first-seen order."""
    seen: dict[tuple[str, int], None] = {}
    for entry in [*({"file_id": str(f.pk), "version": f.version} for f in files), *more]:
        seen.setdefault((str(entry["file_id"]), int(entry["version"])), None)
    return [{"file_id": file_id, "version": version} for file_id, version in seen]


def _session_touch(session: ChatSession, *, role: str, content: str) -> None:
    fields = ["updated_at", "leaf"]
    if _title_from_message(session, role=role, content=content):
        fields.append("title")
    session.save(update_fields=fields)


def _title_from_message(session: ChatSession, *, role: str, content: str) -> bool:
    """Name an untitled chat after its first user message; whether it did."""
    if session.title or role != Message.Role.USER or not content.strip():
        return False
    session.title = " ".join(content.split())[:TITLE_FROM_MESSAGE]
    return True


def chat_message_post(
    *,
    user: Any,
    session_id: Any,
    content: str,
    file_ids: list[str],
    answer_id: uuid.UUID | None = None,
) -> tuple[ChatSession, Message]:
    """Store the user's message before any reply is attempted, so it survives a
    failing model. The files must be the user's own (or shared with them).

    With ``answer_id``, the answer's row is saved with it, empty and ``streaming``
    (see :func:`reply_open`), in the same write: one transaction and one update of the
    chat's row for both, as this runs for every message sent."""
    message_content_check(content, file_ids)
    with transaction.atomic():
        session = session_get_for_user(user=user, session_id=session_id)
        files = files_get_readable(user=user, file_ids=file_ids)
        if answer_id is None:
            return session, message_create(
                session=session, role=Message.Role.USER, content=content, files=files
            )
        return session, _message_and_answer_insert(session, content, files, answer_id)


def chat_start(
    *, user: Any, content: str, file_ids: list[str], answer_id: uuid.UUID
) -> tuple[ChatSession, Message | None, DomainError | None]:
    """A new chat with its first message and the answer's ``streaming`` row after it
    (see :func:`chat_message_post`), in one transaction of two INSERTs (the chat's
    row; the message's and the answer's rows together): a soak of
    new chats showed each statement holding SQLite's write lock costs every writer.
    The chat's row is written whole, titled from the message and naming the answer as
    its branch's end (foreign keys are checked at commit), so it needs no UPDATE and
    nothing is read back. A refused message (its text, a file the user may not read)
    still opens the chat, empty, and comes back as the third value. The files are
    resolved in a savepoint, as opening a shared one records the access. The text is
    checked and the chat's row made before the transaction begins, as SQLite's write
    lock is held from its ``BEGIN`` on."""
    try:
        message_content_check(content, file_ids)
    except DomainError as exc:
        return session_create(owner=user), None, exc
    session = ChatSession(owner=user, leaf_id=answer_id)
    _title_from_message(session, role=Message.Role.USER, content=content)
    with transaction.atomic():
        try:
            with transaction.atomic() if file_ids else contextlib.nullcontext():
                files = files_get_readable(user=user, file_ids=file_ids)
        except DomainError as exc:
            return session_create(owner=user), None, exc
        session.save(force_insert=True)
        message, _ = _message_and_answer_rows(session, None, content, files, answer_id)
    return session, message, None


def _message_and_answer_insert(
    session: ChatSession, content: str, files: list[StoredFile], answer_id: uuid.UUID
) -> Message:
    """The user's message at the end of the branch on show, its answer's ``streaming``
    row after it as the new end, and the chat's row updated once for both."""
    message, session.leaf = _message_and_answer_rows(
        session, session.leaf_id, content, files, answer_id
    )
    _session_touch(session, role=Message.Role.USER, content=content)
    return message


def _message_and_answer_rows(
    session: ChatSession,
    parent_id: Any,
    content: str,
    files: list[StoredFile],
    answer_id: uuid.UUID,
) -> tuple[Message, Message]:
    """The user's message after ``parent_id`` and its answer's empty ``streaming`` row
    after it, in one INSERT (each statement is a turn for SQLite's write lock); the
    chat's row is the caller's to write."""
    message = _message_row(
        session=session, role=Message.Role.USER, parent_id=parent_id, content=content, files=files
    )
    answer = _message_row(
        session=session,
        role=Message.Role.ASSISTANT,
        parent_id=message.id,
        message_id=answer_id,
        status=Message.Status.STREAMING,
    )
    Message.objects.bulk_create([message, answer])
    if files:
        message.files.add(*files)  # new rows have no links to read and replace
    return message, answer


def message_content_check(content: str, file_ids: list[str]) -> None:
    """Checks that need no database, run before a new chat is created for the message."""
    text_check(content, field="content")
    if not content.strip() and not file_ids:
        raise InvalidInput("A message needs some text or a file.")
    if len(content) > MESSAGE_MAX_CHARS:
        raise InvalidInput(f"A message has at most {MESSAGE_MAX_CHARS:,} characters.")
    if len(file_ids) > MESSAGE_MAX_FILES:
        raise InvalidInput(f"A message carries at most {MESSAGE_MAX_FILES} files.")


def attach_file_to_session(*, user: Any, session: ChatSession, file_id: Any) -> StoredFile:
    """Bring one of the user's existing files into the chat.

    Recorded as a system message carrying the file, so the file is in the chat's
    context and file list from now on, while its own home is untouched: deleting
    the chat does not delete a file that was only attached to it.
    """
    stored = file_get_readable(user=user, file_id=file_id)
    message_create(
        session=session,
        role=Message.Role.SYSTEM,
        content=f"Attached {stored.filename}",
        files=[stored],
    )
    return stored


# --- Replies and branches ----------------------------------------------------------------


def reply_open(*, session: ChatSession, question: Message, message_id: uuid.UUID) -> Message:
    """The answer's row, saved empty and ``streaming`` before the model is asked, so a
    tab that opens the chat mid-reply shows it, and a writer that dies leaves a trace."""
    return message_create(
        session=session,
        role=Message.Role.ASSISTANT,
        status=Message.Status.STREAMING,
        message_id=message_id,
        parent_id=question.id,
    )


def reply_finish(
    *,
    message_id: uuid.UUID,
    content: str,
    tool_calls: list[dict[str, Any]],
    files: Iterable[StoredFile],
    status: str,
    file_versions: Iterable[dict[str, Any]] = (),
    citations: list[dict[str, Any]] | None = None,
) -> None:
    """The answer as it ended (complete, stopped, error) in place of its ``streaming``
    row, with the versions it read and the passages it cited."""
    files = list(files)
    # One UPDATE is atomic by itself: a transaction only when file links come with it.
    with transaction.atomic() if files else contextlib.nullcontext():
        Message.objects.filter(id=message_id).update(
            content=content,
            tool_calls=tool_calls,
            status=status,
            file_versions=versions_used(files, file_versions),
            citations=citations or [],
        )
        if files:
            Message.files.through.objects.bulk_create(
                [Message.files.through(message_id=message_id, storedfile=f) for f in files],
                ignore_conflicts=True,
            )


def replies_interrupted(*, session: ChatSession) -> int:
    """Mark the chat's ``streaming`` answers, whose writer is gone, ``interrupted``."""
    return Message.objects.filter(session=session, status=Message.Status.STREAMING).update(
        status=Message.Status.INTERRUPTED
    )


def _message_in(session: ChatSession, message_id: Any, role: str) -> Message:
    message = Message.objects.filter(session=session, id=uuid_or_none(message_id), role=role)
    found = message.first()
    if found is None:
        raise NotFound(f"No {role} message with that id in this chat.")
    return found


def message_edit_post(
    *, user: Any, session_id: Any, message_id: Any, content: str
) -> tuple[ChatSession, Message]:
    """A new version of a user message, beside the old one (same parent, same files);
    the old one and the answers after it stay reachable as a branch."""
    with transaction.atomic():
        session = session_get_for_user(user=user, session_id=session_id)
        original = _message_in(session, message_id, Message.Role.USER)
        files = list(original.files.all())
        message_content_check(content, [str(f.id) for f in files])
        message = message_create(
            session=session,
            role=Message.Role.USER,
            content=content,
            files=files,
            parent_id=original.parent_id,
        )
    return session, message


def reply_regenerate_point(
    *, user: Any, session_id: Any, message_id: Any
) -> tuple[ChatSession, Message]:
    """The user message an answer replied to, made the end of the branch on show so a
    new answer (a sibling of the old one) follows it."""
    with transaction.atomic():
        session = session_get_for_user(user=user, session_id=session_id)
        answer = _message_in(session, message_id, Message.Role.ASSISTANT)
        question = Message.objects.filter(id=answer.parent_id, role=Message.Role.USER).first()
        if question is None:
            raise InvalidInput("This answer does not follow a message of yours.")
        session.leaf = question
        session.save(update_fields=["leaf"])
    return session, question


def reply_continue_point(
    *, user: Any, session_id: Any, message_id: Any
) -> tuple[ChatSession, Message, Message]:
    """A stopped (or failed, or interrupted) answer, made ``streaming`` again and the
    end of the branch on show, with the user message it answers."""
    with transaction.atomic():
        session = session_get_for_user(user=user, session_id=session_id)
        answer = _message_in(session, message_id, Message.Role.ASSISTANT)
        unfinished = (Message.Status.STOPPED, Message.Status.ERROR, Message.Status.INTERRUPTED)
        if answer.status not in unfinished:
            raise InvalidInput("Only a stopped or unfinished answer can be continued.")
        question = Message.objects.filter(id=answer.parent_id).first()
        if question is None:
            raise InvalidInput("This answer does not follow a message of yours.")
        answer.status = Message.Status.STREAMING
        answer.save(update_fields=["status"])
        session.leaf = answer
        session.save(update_fields=["leaf"])
    return session, question, answer


def branch_switch(*, user: Any, session_id: Any, message_id: Any) -> ChatSession:
    """Show the branch through ``message_id``, down to its newest message."""
    with transaction.atomic():
        session = session_get_for_user(user=user, session_id=session_id)
        tree = tree_of(session)
        wanted = uuid_or_none(message_id)
        if wanted is None or all(row[0] != wanted for row in tree.rows):
            raise NotFound("No message with that id in this chat.")
        session.leaf_id = tree.newest_leaf_below(wanted)
        session.save(update_fields=["leaf"])
    return session
