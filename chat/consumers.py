"""The chat websocket: translates frames to services and reply events to frames.

One socket views one chat at a time and joins that chat's group
(``chat.session.<uuid>``), so every tab of the chat sees the same conversation:
the user's message and every frame of the reply go to the group. The reply runs
as an asyncio task owned by the socket that asked for it; ``stop`` from any tab
cancels it (directly, or through the group), and closing that socket stops it
too, saved with what was streamed so far. ``DomainError`` becomes an ``error``
frame here and only here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import transaction

from chat import services
from chat.context import ContextPlan, context_plan
from chat.db import chat_db
from chat.models import ChatSession, Message
from chat.protocol import (
    AttachFileFrame,
    ChatFrame,
    ClientFrame,
    LoadSessionFrame,
    StopFrame,
    frame_parse,
)
from chat.reply import ReplyEvent, reply_generate, session_files_metadata
from chat.reply_lock import ReplyLock, reply_lock_acquire, reply_lock_held
from chat.selectors import session_get_for_user
from chat.serializers import message_payload
from chat.serializers import session_payload as session_payload_of
from chatui.errors import Busy, DomainError
from chatui.ids import uuid_or_none
from chatui.rate_limits import rate_limit_hit

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401


def group_name(session_id: uuid.UUID | str) -> str:
    return f"chat.session.{session_id}"


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accepted, then closed: a close before accepting is an HTTP 403 at the
            # handshake, which a browser cannot tell from any other failure; 4401 lets
            # the page send the visitor to sign in.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.session_id: uuid.UUID | None = None
        self.reply_task: asyncio.Task[None] | None = None
        self.reply_session_id: uuid.UUID | None = None
        await self.accept()

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Run the handler without Channels' per-message ``aclose_old_connections``.

        That call is a trip to the one thread every socket shares for database work,
        made for every frame relayed from the group (each token): under load, tokens
        would queue behind other chats' queries. This consumer reaches the database
        only through ``chat_db`` (Channels' ``database_sync_to_async`` on a pool of its
        own), which closes stale connections itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return  # refused in connect
        await self._reply_cancel(wait=True)
        await self._group_leave()

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        try:
            frame = frame_parse(text_data, bytes_data)
            await self._dispatch(frame)
        except DomainError as exc:
            await self.send_json({"type": "error", **exc.as_dict()})
        except Exception:
            logger.exception("chat frame failed")
            await self.send_json(_internal_error())

    async def _dispatch(self, frame: ClientFrame) -> None:
        if isinstance(frame, ChatFrame):
            await self._chat(frame)
        elif isinstance(frame, LoadSessionFrame):
            await self._load_session(frame)
        elif isinstance(frame, AttachFileFrame):
            await self._attach_file(frame)
        elif isinstance(frame, StopFrame):
            await self._stop(frame)

    # --- client frames ---------------------------------------------------------

    async def _load_session(self, frame: LoadSessionFrame) -> None:
        session, payload = await _session_load(user=self.user, session_id=frame.session_id)
        await self._group_join(session.id)
        await self.send_json({"type": "session", "session_id": str(session.id), **payload})

    async def _chat(self, frame: ChatFrame) -> None:
        # per-user limit (RATE_LIMIT_CHAT): an `error` frame `rate_limited` past it
        await sync_to_async(rate_limit_hit, thread_sensitive=False)("chat", self.user.pk)
        await self._busy_check(frame.session_id)
        services.message_content_check(frame.content, frame.file_ids)
        switching = frame.session_id is None or uuid_or_none(frame.session_id) != self.session_id
        begun = await _chat_begin(user=self.user, frame=frame, with_session=switching)
        if begun.session_payload is not None:
            await self._group_join(begun.session.id)
            frame_out = {"type": "session", "session_id": str(begun.session.id)}
            await self.send_json({**frame_out, **begun.session_payload})
        if begun.error is not None:
            raise begun.error
        await self._group_frame(begun.session.id, {"type": "message", "message": begun.payload})
        await self._reply_start(begun)

    async def _attach_file(self, frame: AttachFileFrame) -> None:
        session = await chat_db(session_get_for_user)(user=self.user, session_id=frame.session_id)
        await chat_db(services.attach_file_to_session)(
            user=self.user, session=session, file_id=frame.file_id
        )
        await self._group_join(session.id)
        files = await session_files_metadata(session)
        await self._group_frame(session.id, {"type": "files_update", "files": files})

    async def _stop(self, frame: StopFrame) -> None:
        target = frame.session_id or (str(self.session_id) if self.session_id else None)
        if self.reply_task is not None and str(self.reply_session_id) == target:
            await self._reply_cancel(wait=False)
        elif target is not None:
            session = await chat_db(session_get_for_user)(
                user=self.user, session_id=target
            )  # only a chat of one's own can be stopped through its group
            await self.channel_layer.group_send(
                group_name(session.id), {"type": "chat.stop", "session_id": str(session.id)}
            )

    # --- the reply -------------------------------------------------------------

    async def _busy_check(self, session_id: str | None) -> None:
        if self.reply_task is not None:
            raise Busy("Your previous message is still being answered; stop it or wait.")
        chat_id = uuid_or_none(session_id) if session_id is not None else None
        if chat_id is not None and await reply_lock_held(chat_id):  # a tab in any process
            raise Busy()

    async def _reply_start(self, begun: _ChatBegun) -> None:
        lock = await reply_lock_acquire(begun.session.id)
        if lock is None:  # another tab, in any process, won the race since _busy_check
            raise Busy()
        self.reply_session_id = begun.session.id
        self.reply_task = asyncio.create_task(self._reply_run(begun, uuid.uuid4(), lock))

    async def _reply_run(self, begun: _ChatBegun, message_id: uuid.UUID, lock: ReplyLock) -> None:
        session = begun.session

        async def sink(event: ReplyEvent) -> None:
            frame = {"type": event.type, "message_id": str(message_id), **dataclasses.asdict(event)}
            await self._group_frame(session.id, frame)

        try:
            await reply_generate(
                user=self.user,
                session=session,
                user_message=begun.message,
                message_id=message_id,
                sink=sink,
                plan=begun.plan,
            )
        except DomainError as exc:
            await self._group_frame(session.id, {"type": "error", **exc.as_dict()})
        except Exception:
            logger.exception("chat reply failed session_id=%s", session.id)
            await self._group_frame(session.id, _internal_error())
        finally:
            await lock.release()
            self.reply_task = None
            self.reply_session_id = None

    async def _reply_cancel(self, *, wait: bool) -> None:
        task = self.reply_task
        if task is None:
            return
        task.cancel()
        if wait:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- groups ----------------------------------------------------------------

    async def _group_join(self, session_id: uuid.UUID) -> None:
        if session_id == self.session_id:
            return
        await self._group_leave()
        await self.channel_layer.group_add(group_name(session_id), self.channel_name)
        self.session_id = session_id

    async def _group_leave(self) -> None:
        if self.session_id is not None:
            await self.channel_layer.group_discard(group_name(self.session_id), self.channel_name)
            self.session_id = None

    async def _group_frame(self, session_id: uuid.UUID, frame: dict[str, Any]) -> None:
        frame = {"session_id": str(session_id), **frame}
        await self.channel_layer.group_send(
            group_name(session_id), {"type": "chat.frame", "frame": frame}
        )

    # --- channel-layer handlers ------------------------------------------------

    async def chat_frame(self, event: dict[str, Any]) -> None:
        await self.send_json(event["frame"])

    async def chat_stop(self, event: dict[str, Any]) -> None:
        if self.reply_task is not None and str(self.reply_session_id) == event["session_id"]:
            await self._reply_cancel(wait=False)


@dataclasses.dataclass(frozen=True)
class _ChatBegun:
    session: ChatSession
    session_payload: dict[str, Any] | None  # for the ``session`` frame, when the socket switches
    message: Message | None = None  # None when ``error``
    payload: dict[str, Any] = dataclasses.field(default_factory=dict)  # the ``message`` frame's
    plan: ContextPlan = dataclasses.field(default_factory=ContextPlan)  # the model's context
    error: DomainError | None = None  # the message was refused; the chat was still opened


@chat_db
def _chat_begin(*, user: Any, frame: ChatFrame, with_session: bool) -> _ChatBegun:
    """Everything a ``chat`` frame needs from the database before the reply, in one trip
    to the chat's database pool: the chat (created for a ``null`` id) and its
    history when the socket switches to it, the message saved, and what the reply's
    context needs from the database (its files' bytes are read off this thread).
    A refused message still opens the chat, as a ``load_session`` would have."""
    opened, session_payload, refused = None, None, None
    with transaction.atomic():  # a new chat and its first message: one write transaction
        if frame.session_id is None or with_session:
            opened = _session_open(user=user, session_id=frame.session_id)
            session_payload = session_payload_of(opened)  # its history before this message
        try:
            session, message = services.chat_message_post(
                user=user,
                session_id=opened.id if opened is not None else frame.session_id,
                content=frame.content,
                file_ids=frame.file_ids,
            )
        except DomainError as exc:
            if opened is None:
                raise
            refused = exc
    if refused is not None:
        return _ChatBegun(opened, session_payload, error=refused)
    plan = context_plan(user=user, session=session, message=message)  # S3 reads come later
    payload = message_payload(message, files=None if frame.file_ids else [])
    return _ChatBegun(session, session_payload, message, payload, plan)


def _session_open(*, user: Any, session_id: str | None) -> ChatSession:
    if session_id is None:
        return services.session_create(owner=user)
    return session_get_for_user(user=user, session_id=session_id)


@chat_db
def _session_load(*, user: Any, session_id: str) -> tuple[Any, dict[str, Any]]:
    session = session_get_for_user(user=user, session_id=session_id)
    return session, session_payload_of(session)


def _internal_error() -> dict[str, Any]:
    return {"type": "error", "code": "internal_error", "message": "Something went wrong."}
