"""What the model is told: the files in context and the conversation so far.

Every tagged file of the user, every file of the session (created in it or attached
to one of its messages) and every file carrying a ``#tag`` named in the message is
considered: a text file by its content, a document (PDF, Office, image) by its
extracted text, page-labelled, and any other binary by a manifest line. The text
shares one budget of ``CHAT_CONTEXT_MAX_CHARS`` characters; :mod:`chat.retrieval`
decides which files go whole and which are searched for the message's best
passages (each labelled with file and page, and cited by the reply). Bytes are read
with ``max_bytes`` so a huge file is never loaded whole, and a truncation is always
written out in the text the model sees.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from chat.branches import on_show
from chat.models import ChatSession, Message
from chat.retrieval import DocumentText, RetrievalPlan, retrieval_plan, tag_files
from chat.selectors import context_files
from chatui.errors import DomainError
from chatui.executors import thread_pool
from files.documents.retrieve import Passage
from files.models import StoredFile
from files.services import file_read_bytes

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are the assistant of chatui, a chat where users keep their files. Answer "
    "concisely. The user's files in context are given below; call a tool when it "
    "helps, naming files by their id."
)
HISTORY_MAX_MESSAGES = 40
CONTEXT_READER_THREADS = 8  # S3 reads for context, across all chats of the process
BYTES_PER_CHAR_MAX = 4  # UTF-8: a character's worth of bytes, at most
BINARY_TYPE_PREFIXES = ("image/", "audio/", "video/", "font/")
BINARY_TYPES = {
    "application/pdf",
    "application/zip",
    "application/gzip",
    "application/x-tar",
    "application/x-7z-compressed",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
}
TEXTUAL_EXCEPTIONS = {"image/svg+xml"}


@dataclass(frozen=True)
class ContextFile:
    """One file as the model sees it; ``text`` is None for a binary file."""

    id: str
    name: str
    content_type: str
    size: int
    reason: str  # "attached", "session", "tagged" or "tag #name"
    text: str | None = None  # a document's: its extracted text, "[page N]"-labelled
    truncation: str = ""  # e.g. "[… truncated 12,345 characters]"
    unreadable: str = ""  # why the bytes could not be read, when they could not
    pages: int | None = None  # a document's page count
    searched: bool = False  # too large to go whole: searched for passages instead

    def manifest_line(self) -> str:
        pages = f", {self.pages} pages" if self.pages else ""
        line = f"- {self.name} ({self.content_type}, {self.size:,} bytes{pages}, id {self.id})"
        return f"{line}: could not be read ({self.unreadable})" if self.unreadable else line


@dataclass
class ChatContext:
    files: list[ContextFile] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)  # retrieved for this message
    citations: list[Passage] = field(default_factory=list)  # the best of what was given

    @property
    def text_files(self) -> list[ContextFile]:
        return [f for f in self.files if f.text is not None]

    @property
    def binary_files(self) -> list[ContextFile]:
        return [f for f in self.files if f.text is None and not f.searched]

    @property
    def searched_files(self) -> list[ContextFile]:
        return [f for f in self.files if f.searched]

    def render_files(self) -> str:
        """The files block of the system prompt."""
        if not self.files:
            return "No files are in context."
        parts = [f"Files in context ({len(self.files)}):"]
        parts.extend(_file_block(item) for item in self.text_files)
        if self.binary_files:
            parts.append("Binary files (listed, content not shown):")
            parts.extend(item.manifest_line() for item in self.binary_files)
        if self.searched_files:
            parts.append("Files too large to include whole (searched for this message):")
            parts.extend(item.manifest_line() for item in self.searched_files)
            parts.append(_passages_block(self.passages))
        return "\n\n".join(parts)

    def citation_list(self) -> list[dict[str, Any]]:
        return [passage.citation() for passage in self.citations]

    def openai_messages(self) -> list[dict[str, Any]]:
        """System prompt with the files, then the conversation, in the chat format."""
        system = {"role": "system", "content": f"{SYSTEM_PROMPT}\n\n{self.render_files()}"}
        return [system, *self.history]


def _file_block(item: ContextFile) -> str:
    pages = f' pages="{item.pages}"' if item.pages else ""
    return (
        f'<file name="{item.name}" id="{item.id}" type="{item.content_type}" '
        f'size="{item.size}"{pages} reason="{item.reason}">\n{item.text}'
        + (f"\n{item.truncation}" if item.truncation else "")
        + "\n</file>"
    )


def _passages_block(passages: list[Passage]) -> str:
    if not passages:
        return "No passage of them matches this message."
    blocks = [
        f'<passage file="{p.filename}" id="{p.file_id}" page="{p.page}">\n{p.text.strip()}'
        "\n</passage>"
        for p in passages
    ]
    return "Passages retrieved for this message (cite them as file, page):\n\n" + "\n\n".join(
        blocks
    )


@dataclass(frozen=True)
class ContextPlan:
    """What the context needs from the database: the files to include, each with its
    reason, and the history. Their bytes are read from storage by :func:`context_read`."""

    files: list[tuple[StoredFile, str]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    retrieval: RetrievalPlan = field(default_factory=RetrievalPlan)


def context_plan(*, user: Any, session: ChatSession, message: Message | None = None) -> ContextPlan:
    """The database half of the context for answering ``message`` (the newest user
    message of ``session``, a chat of ``user``'s): two or three indexed queries, no
    storage call, so it fits in the trip to the database thread that saves the message.
    With indexed files in context it also reads their extracted text and searches it."""
    candidates = _context_candidates(user=user, session=session, message=message)
    linked = any(getattr(stored, "linked", False) for stored, _ in candidates)
    history = _history(session=session, attachments=linked)
    query = user_text(message.content) if message is not None else ""
    candidates += _tagged_in_message(user, query, candidates)
    texts = [f for f, _ in candidates if not is_binary_type(f.content_type)]
    documents = [
        f
        for f, _ in candidates
        if is_binary_type(f.content_type) and f.text_status == StoredFile.TextStatus.READY
    ]
    if not texts and not documents:
        return ContextPlan(candidates, history)
    retrieval = retrieval_plan(user=user, texts=texts, documents=documents, query=query)
    return ContextPlan(candidates, history, retrieval)


def _tagged_in_message(
    user: Any, query: str, candidates: list[tuple[StoredFile, str]]
) -> list[tuple[StoredFile, str]]:
    if "#" not in query:
        return []
    present = {stored.pk for stored, _ in candidates}
    return [(f, reason) for f, reason in tag_files(user=user, text=query) if f.pk not in present]


def context_read(plan: ContextPlan) -> ChatContext:
    """The storage half, for sync code (tests, commands): the text files' bytes (within
    the budget) read concurrently on the context pool, no database. Not to be called
    from a thread of that pool (it waits on it)."""
    files = list(_readers().map(_context_file, _read_jobs(plan)))
    return _context(plan, files)


def context_build(
    *, user: Any, session: ChatSession, message: Message | None = None
) -> ChatContext:
    """Both halves in one call, for sync code (tests, commands)."""
    return context_read(context_plan(user=user, session=session, message=message))


async def context_gather(plan: ContextPlan) -> ChatContext:
    """:func:`context_read` for the reply: each file's S3 read goes to the context pool,
    all of them at once, never to the one thread every socket shares for database work;
    a file with nothing to read (a binary, an empty file) needs no thread at all."""
    jobs = _read_jobs(plan)
    read = sync_to_async(_context_file, thread_sensitive=False, executor=_readers())
    reads = {i: read(job) for i, job in enumerate(jobs) if job.reads_storage()}
    done = dict(zip(reads, await asyncio.gather(*reads.values()), strict=True))
    files = [done[i] if i in done else _context_file(job) for i, job in enumerate(jobs)]
    return _context(plan, files)


def _readers() -> ThreadPoolExecutor:
    return thread_pool("chat-context", CONTEXT_READER_THREADS)


@dataclass(frozen=True)
class _ReadJob:
    """One file of the context: ``share`` characters of its text from storage, or its
    extracted ``document`` text, or neither (a manifest line; ``searched`` if too large)."""

    stored: StoredFile
    reason: str
    share: int | None
    document: DocumentText | None = None
    searched: bool = False

    def reads_storage(self) -> bool:
        return bool(self.share) and self.stored.size > 0


def _context_candidates(
    *, user: Any, session: ChatSession, message: Message | None
) -> list[tuple[StoredFile, str]]:
    """Each file once, most specific reason first: attached to ``message`` (newest
    first), then the session's (oldest first), then the user's tagged files (oldest
    first), from one query."""
    files = context_files(user=user, session=session, message=message)
    attached = [f for f in reversed(files) if f.attached]
    in_session = [f for f in files if not f.attached and (f.session_id == session.id or f.linked)]
    tagged = [f for f in files if not f.attached and f.session_id != session.id and not f.linked]
    return (
        [(f, "attached") for f in attached]
        + [(f, "session") for f in in_session]
        + [(f, "tagged") for f in tagged]
    )


def _read_jobs(plan: ContextPlan) -> list[_ReadJob]:
    """Each candidate with what the retrieval plan gives it, in order."""
    retrieval = plan.retrieval
    searched = set(retrieval.searched)
    return [
        _ReadJob(
            stored,
            reason,
            retrieval.shares.get(stored.pk),
            retrieval.documents.get(stored.pk),
            stored.pk in searched,
        )
        for stored, reason in plan.files
    ]


def _context_file(job: _ReadJob) -> ContextFile:
    if job.document is not None:
        return _document(job.stored, job.reason, job.document)
    if job.share is None:
        return _manifest(job.stored, job.reason, searched=job.searched)
    return _file_read(job.stored, job.reason, job.share)


def _context(plan: ContextPlan, files: list[ContextFile]) -> ChatContext:
    retrieval = plan.retrieval
    return ChatContext(
        files=files,
        history=plan.history,
        passages=retrieval.passages,
        citations=retrieval.citations,
    )


def _document(stored: StoredFile, reason: str, document: DocumentText) -> ContextFile:
    left_out = f"[… truncated {document.left_out:,} characters]" if document.left_out else ""
    return ContextFile(
        **_meta(stored, reason), text=document.render(), truncation=left_out, pages=stored.pages
    )


def _file_read(stored: StoredFile, reason: str, share: int) -> ContextFile:
    max_bytes = share * BYTES_PER_CHAR_MAX
    try:
        data = file_read_bytes(file=stored, max_bytes=max_bytes, truncate=True) if share else b""
    except DomainError as exc:  # one unreadable file must not silence the whole chat
        logger.warning("context file unreadable file_id=%s code=%s", stored.id, exc.code)
        return _manifest(stored, reason, unreadable=exc.message)
    if b"\x00" in data[:8192]:
        return _manifest(stored, reason)
    complete = len(data) >= stored.size
    text = text_decode(data, complete=complete)
    shown, truncation = text_truncate(text, share, unread_bytes=max(stored.size - len(data), 0))
    return ContextFile(**_meta(stored, reason), text=shown, truncation=truncation)


def _manifest(
    stored: StoredFile, reason: str, unreadable: str = "", *, searched: bool = False
) -> ContextFile:
    return ContextFile(
        **_meta(stored, reason), unreadable=unreadable, pages=stored.pages, searched=searched
    )


def _meta(stored: StoredFile, reason: str) -> dict[str, Any]:
    return {
        "id": str(stored.id),
        "name": stored.filename,
        "content_type": stored.content_type,
        "size": stored.size,
        "reason": reason,
    }


def is_binary_type(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    if kind in TEXTUAL_EXCEPTIONS:
        return False
    return kind in BINARY_TYPES or kind.startswith(BINARY_TYPE_PREFIXES)


def text_decode(data: bytes, *, complete: bool) -> str:
    """UTF-8 (BOM dropped), else cp1252 with replacement characters.

    A prefix read with ``max_bytes`` may end inside a multi-byte character; that
    tail is dropped rather than letting it push a UTF-8 file into the fallback.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if not complete and exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8-sig")
        return data.decode("cp1252", errors="replace")


def text_truncate(text: str, limit: int, *, unread_bytes: int = 0) -> tuple[str, str]:
    """Cut ``text`` to ``limit`` characters and say how much was left out.

    When bytes were left unread the count is an estimate (a byte per character),
    and the marker says so with ``~``.
    """
    cut = max(len(text) - limit, 0)
    if not cut and not unread_bytes:
        return text, ""
    approx = "~" if unread_bytes else ""
    return text[:limit], f"[… truncated {approx}{cut + unread_bytes:,} characters]"


ATTACHMENT_NOTE_PREFIX = "[attached: "


def _history(*, session: ChatSession, attachments: bool = True) -> list[dict[str, Any]]:
    """The latest user and assistant turns, oldest first, within the context budget.

    Read as plain values, plus one query for attachment notes when some file is
    attached in the chat (``attachments``): this runs before every reply, and model
    instances for 40 messages cost more than the queries.
    """
    rows = list(
        Message.objects.filter(
            on_show(session, HISTORY_MAX_MESSAGES * 2),  # the branch the chat shows
            role__in=(Message.Role.USER, Message.Role.ASSISTANT),
        )
        .exclude(status=Message.Status.STREAMING, content="")  # the answer being written
        .order_by("-created_at", "-id")
        .values_list("id", "role", "content", "tool_calls")[:HISTORY_MAX_MESSAGES]
    )
    user_ids = [row[0] for row in rows if row[1] == Message.Role.USER]
    attached = _attachments(user_ids) if attachments else {}
    history: list[dict[str, Any]] = []
    used = 0
    for message_id, role, content, tool_calls in rows:  # newest first: the oldest drop out
        text = _history_content(content, tool_calls, attached.get(message_id, []))
        used += len(text)
        if history and used > settings.CHAT_CONTEXT_MAX_CHARS:
            break
        if text:
            history.append({"role": role, "content": text})
    return history[::-1]


def _attachments(message_ids: list[Any]) -> dict[Any, list[str]]:
    links = Message.files.through.objects.filter(message_id__in=message_ids)
    notes: dict[Any, list[str]] = {}
    for message_id, filename, file_id in links.values_list(
        "message_id", "storedfile__filename", "storedfile_id"
    ).order_by("storedfile__created_at", "storedfile_id"):
        notes.setdefault(message_id, []).append(attachment_note(filename, file_id))
    return notes


def attachment_note(filename: str, file_id: Any) -> str:
    return f"{ATTACHMENT_NOTE_PREFIX}{filename} (id {file_id})]"


def user_text(content: str) -> str:
    """A user turn as the user typed it, without the attachment notes appended above.

    The offline assistant reads commands (``/plot_csv {...}``) from it, so a command
    sent together with an attachment still parses.
    """
    lines = content.split("\n")
    while lines and lines[-1].startswith(ATTACHMENT_NOTE_PREFIX) and lines[-1].endswith(")]"):
        lines.pop()
    return "\n".join(lines)


def _history_content(content: str, tool_calls: list[dict[str, Any]], attached: list[str]) -> str:
    """An assistant turn keeps a short note of the tools it ran, so follow-ups make sense."""
    notes = [
        f"[tool {call.get('name')} ran: {str(call.get('result') or call.get('error') or '')[:300]}]"
        for call in tool_calls or []
    ]
    return "\n".join(filter(None, [content, *attached, *notes]))
