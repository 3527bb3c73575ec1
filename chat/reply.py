"""Writing the assistant's reply: provider rounds, tool calls, and what the chat sees.

``reply_generate`` runs as an asyncio task of the chat (``chat.reply_runner``), so
``stop`` can cancel it. It reports progress as events to an async ``sink`` (turned
into frames for the chat's group) and saves the reply twice: an empty ``streaming``
row first, with the id every streamed frame names, then the whole answer at the
end. A cancelled reply is saved with what was streamed so far and status
``stopped`` (or ``cancel_status()``: ``error`` once timed out); a failing model saves what it had
with status ``error`` and re-raises, so the runner sends one ``error`` frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from channels.db import database_sync_to_async
from django.conf import settings

from chat.context import ContextPlan, context_gather, context_plan
from chat.db import chat_db
from chat.llm import Cited, LLMProvider, LLMRequest, TextDelta, ToolCall, provider_get
from chat.llm.batching import text_batched
from chat.models import ChatSession, Message
from chat.selectors import session_files
from chat.services import reply_finish
from chat.tooling import ToolOutcome, tool_call_execute, tool_specs_get
from chatui.errors import DomainError
from chatui.executors import thread_pool
from chatui.text import text_storable
from files.api.serializers import StoredFileOutputSerializer
from files.models import StoredFile

logger = logging.getLogger(__name__)

# Tool calls wait on a child process for up to TOOLS_TIMEOUT_S: they run on a pool of
# their own, never on the one thread every socket shares for database work.
TOOL_RUN_THREADS = 8

# Asked after a stopped answer (which the context ends with) to have the model go on.
CONTINUE_ASK = (
    "Continue your previous answer exactly where it stopped. Do not repeat what you "
    "already wrote and do not comment on the interruption."
)


@dataclass(frozen=True)
class Token:
    type: ClassVar[str] = "token"
    content: str


@dataclass(frozen=True)
class ToolStarted:
    type: ClassVar[str] = "tool_start"
    call_id: str
    name: str
    arguments: Any


@dataclass(frozen=True)
class ToolCompleted:
    type: ClassVar[str] = "tool_complete"
    call_id: str
    name: str
    arguments: Any
    result: str
    files: list[dict[str, Any]]
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class FilesChanged:
    type: ClassVar[str] = "files_update"
    files: list[dict[str, Any]]


@dataclass(frozen=True)
class ReplyCompleted:
    type: ClassVar[str] = "response_complete"
    content: str
    status: str
    citations: list[dict[str, Any]] = field(default_factory=list)


ReplyEvent = Token | ToolStarted | ToolCompleted | FilesChanged | ReplyCompleted
Sink = Callable[[ReplyEvent], Awaitable[None]]


@dataclass
class _Reply:
    """What the reply has produced so far; saved whatever way it ends."""

    user: Any
    session: ChatSession
    user_message: Message
    message_id: uuid.UUID
    sink: Sink
    text: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    files: list[StoredFile] = field(default_factory=list)
    file_versions: list[dict[str, Any]] = field(default_factory=list)  # what it read
    # The passages the model was given (the context's citations), or, from a provider
    # that quotes (``Cited``), the passages it quoted.
    citations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def content(self) -> str:
        return "".join(self.text)


async def reply_generate(
    *,
    user: Any,
    session: ChatSession,
    user_message: Message,
    sink: Sink,
    message_id: uuid.UUID,
    provider: LLMProvider | None = None,
    plan: ContextPlan | None = None,
    continuing: Message | None = None,
    cancel_status: Callable[[], str] = lambda: Message.Status.STOPPED,
) -> None:
    """Answer ``user_message`` (already saved) and save the assistant message.

    ``message_id`` is the answer's ``streaming`` row (``services.reply_open``, saved
    with the question), finished in place; ``continuing``, a stopped answer already
    ``streaming`` again, is extended. ``plan`` is the one ``context_plan`` gives for
    it, when the caller made it in the same trip to the database thread.
    """
    reply = _Reply(user, session, user_message, message_id, sink)
    if continuing is not None:
        reply.text.append(continuing.content)
        reply.tool_calls.extend(continuing.tool_calls)
        reply.file_versions.extend(continuing.file_versions)
        reply.citations.extend(continuing.citations)
    try:
        chosen = provider or provider_get(user_message.content)
        await _rounds_run(reply, chosen, plan, continuing is not None)
    except asyncio.CancelledError:
        await asyncio.shield(_reply_end(reply, cancel_status()))
        raise
    except Exception:  # the consumer reports it; the row must not stay ``streaming``
        await asyncio.shield(_reply_save(reply, Message.Status.ERROR))
        raise
    await _reply_end(reply, Message.Status.COMPLETE)


async def _rounds_run(
    reply: _Reply, provider: LLMProvider, plan: ContextPlan | None, continuing: bool = False
) -> None:
    """Ask the model, run the tools it calls, feed their results back; the last
    round offers no tools, so the model must answer in words."""
    if plan is None:
        plan = await chat_db(context_plan)(
            user=reply.user, session=reply.session, message=reply.user_message
        )
    reply.file_versions.extend({"file_id": str(f.id), "version": f.version} for f, _ in plan.files)
    reply.file_versions.extend(  # retrieved passages: the version each was read from
        {"file_id": p.file_id, "version": p.version} for p in plan.retrieval.passages
    )
    context = await context_gather(plan)
    reply.citations = context.citation_list() if provider.cites_context else []
    tools = await tool_specs_get()
    messages = context.openai_messages()
    if continuing:
        messages.append({"role": "user", "content": CONTINUE_ASK})
    for round_number in range(settings.LLM_MAX_TOOL_ROUNDS + 1):
        offered = tools if round_number < settings.LLM_MAX_TOOL_ROUNDS else []
        request = LLMRequest(messages=messages, tools=offered, context=context)
        text, calls = await _round_stream(reply, provider, request)
        if not calls:
            return
        messages.append(_assistant_turn(text, calls))
        for call in calls:
            messages.append(await _tool_call_run(reply, call))
    logger.warning("reply stopped after %s tool rounds", settings.LLM_MAX_TOOL_ROUNDS)


async def _round_stream(
    reply: _Reply, provider: LLMProvider, request: LLMRequest
) -> tuple[str, list[ToolCall]]:
    """One round; the text goes out in batches (``text_batched``), a frame per batch."""
    text: list[str] = []
    calls: list[ToolCall] = []
    async with contextlib.aclosing(text_batched(provider.stream(request))) as events:
        async for event in events:
            if isinstance(event, TextDelta) and event.text:
                text.append(event.text)
                reply.text.append(event.text)
                await reply.sink(Token(event.text))
            elif isinstance(event, ToolCall):
                calls.append(event)
            elif isinstance(event, Cited):
                reply.citations = event.citations
    return "".join(text), calls


def _assistant_turn(text: str, calls: list[ToolCall]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": text or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in calls
        ],
    }


async def _tool_call_run(reply: _Reply, call: ToolCall) -> dict[str, Any]:
    """Run one call and return the ``tool`` message for the model. A tool that
    fails (bad arguments, unknown name, its own error) is reported to the model
    and the chat as that call's result, so the model can correct itself."""
    arguments = _arguments_decode(call.arguments)
    await reply.sink(ToolStarted(call.id, call.name, arguments))
    try:
        runners = thread_pool("chat-tools", TOOL_RUN_THREADS)
        outcome: ToolOutcome = await database_sync_to_async(
            tool_call_execute, thread_sensitive=False, executor=runners
        )(
            user=reply.user,
            name=call.name,
            arguments=arguments,
            session=reply.session,
            message=reply.user_message,
        )
        result, error = outcome.text, None
        reply.file_versions.extend(outcome.inputs)
    except DomainError as exc:
        outcome, result, error = ToolOutcome(text="", files=[]), f"Error: {exc.message}", exc
    await _tool_call_report(reply, call, arguments, result, outcome.files, error)
    return {"role": "tool", "tool_call_id": call.id, "content": result}


async def _tool_call_report(
    reply: _Reply,
    call: ToolCall,
    arguments: Any,
    result: str,
    files: list[StoredFile],
    error: DomainError | None,
) -> None:
    reply.files.extend(files)
    reply.tool_calls.append(
        {
            "id": call.id,
            "name": call.name,
            "arguments": text_storable(arguments),  # the model's, refused if unstorable
            "result": text_storable(result),
            "file_ids": [str(f.id) for f in files],
            "error": error.as_dict() if error else None,
        }
    )
    metadata = files_metadata(files)  # rows fresh from the executor, owner in hand: no query
    completed = ToolCompleted(
        call.id, call.name, arguments, result, metadata, error.as_dict() if error else None
    )
    await reply.sink(completed)
    if files:
        await reply.sink(FilesChanged(await session_files_metadata(reply.session)))


def _arguments_decode(raw: str) -> Any:
    """The model's JSON arguments; text that is not JSON goes to the tool as is,
    so the executor's validation names the problem."""
    try:
        return json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        return raw


async def _reply_end(reply: _Reply, status: str) -> None:
    await _reply_save(reply, status)
    await reply.sink(ReplyCompleted(reply.content, status, reply.citations))


async def _reply_save(reply: _Reply, status: str) -> None:
    await chat_db(reply_finish)(
        message_id=reply.message_id,
        content=text_storable(reply.content),  # a model may stream NUL; PostgreSQL refuses it
        files=reply.files,
        tool_calls=reply.tool_calls,
        status=status,
        file_versions=reply.file_versions,
        citations=reply.citations,
    )


def files_metadata(files: list[StoredFile]) -> list[dict[str, Any]]:
    """Files as the file API shows them, so the chat links to the same downloads."""
    return list(StoredFileOutputSerializer(files, many=True).data)


async def session_files_metadata(session: ChatSession) -> list[dict[str, Any]]:
    return await chat_db(_session_files_metadata)(session)


def _session_files_metadata(session: ChatSession) -> list[dict[str, Any]]:
    return files_metadata(list(session_files(session=session)))
