"""The chat websocket: translates frames to services and reply events to frames.

One socket views one chat at a time and joins that chat's group
(``chat.session.<uuid>``), so every tab of the chat sees the same conversation:
the user's message and every frame of the reply go to the group. The reply
belongs to the chat, not to this socket (``chat.reply_runner``): it goes on when
the tab closes, a tab that opens the chat mid-reply catches up, and only ``stop``
from any tab stops it. ``DomainError`` becomes an ``error`` frame here and only here.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from chat import services
from chat.context import ContextPlan, context_plan
from chat.db import chat_db
from chat.models import ChatSession, Message
from chat.protocol import (
    AttachFileFrame,
    ChatFrame,
    ClientFrame,
    LoadSessionFrame,
    MessageActionFrame,
    StopFrame,
    frame_parse,
)
from chat.reply import session_files_metadata
from chat.reply_lock import ReplyLock, reply_lock_acquire, reply_lock_held, reply_lock_wait
from chat.reply_runner import (
    group_frame,
    group_name,
    reply_catch_up,
    reply_start,
    reply_stop,
    unexpected_error,
)
from chat.selectors import reply_streaming, session_get_for_user
from chat.serializers import message_payload, new_session_payload
from chat.serializers import session_payload as session_payload_of
from chatui.errors import Busy, DomainError
from chatui.ids import uuid_or_none
from chatui.rate_limits import rate_limit_hit

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401


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

    async def send_json(self, content: Any, close: bool = False) -> None:
        """Send a frame to the tab; once its client has gone, leave the chat's group.

        An ASGI server raises ``OSError`` from a send after the client left (uvicorn's
        ``ClientDisconnected``) and delivers ``websocket.disconnect`` after it. Raised
        out of a handler, the error would end this consumer before ``disconnect`` runs,
        so its channel would stay in the chat's group: every later frame of the chat
        (the reply that outlives this tab, the chat's next replies) would be queued for
        a channel nobody reads until the channel layer expires it.
        """
        try:
            await super().send_json(content, close=close)
        except OSError:
            await self._group_leave()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return  # refused in connect
        await self._group_leave()  # a reply this socket asked for goes on

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        try:
            frame = frame_parse(text_data, bytes_data)
            await self._dispatch(frame)
        except DomainError as exc:
            await self.send_json({"type": "error", **exc.as_dict()})
        except Exception as exc:
            logger.exception("chat frame failed")
            await self.send_json(unexpected_error(exc))

    async def _dispatch(self, frame: ClientFrame) -> None:
        if isinstance(frame, ChatFrame):
            await self._chat(frame)
        elif isinstance(frame, LoadSessionFrame):
            await self._load_session(frame)
        elif isinstance(frame, AttachFileFrame):
            await self._attach_file(frame)
        elif isinstance(frame, StopFrame):
            await self._stop(frame)
        elif isinstance(frame, MessageActionFrame):
            await self._message_action(frame)

    # --- client frames ---------------------------------------------------------

    async def _load_session(self, frame: LoadSessionFrame) -> None:
        # The chat's group first, then its rows: a reply that ends after the read is
        # seen ending (its frames reach this socket), one that ended before is read
        # complete, so nothing falls between the two. The group is joined only once
        # the chat is known to be the user's; the page ignores a late frame of an
        # answer it was sent complete.
        if uuid_or_none(frame.session_id) != self.session_id:
            owned = await chat_db(session_get_for_user)(user=self.user, session_id=frame.session_id)
            await self._group_join(owned.id)
        session, payload = await _session_load(user=self.user, session_id=frame.session_id)
        running = False
        if _streaming_ids(payload):
            running = await reply_lock_held(session.id)
            if not running:  # its writer died: the lock expired with it
                await chat_db(services.replies_interrupted)(session=session)
                session, payload = await _session_load(user=self.user, session_id=str(session.id))
        await self.send_json({"type": "session", "session_id": str(session.id), **payload})
        if running:
            await reply_catch_up(session.id, self.channel_name)

    async def _chat(self, frame: ChatFrame) -> None:
        services.message_content_check(frame.content, frame.file_ids)
        chat_id = uuid_or_none(frame.session_id)
        lock = None
        if chat_id is not None:  # one reply at a time per chat, in every process
            lock = await self._reply_lock(chat_id)
        switching = frame.session_id is None or chat_id != self.session_id
        try:
            begun = await _chat_begin(user=self.user, frame=frame, with_session=switching)
        except BaseException:
            if lock is not None:
                await lock.release()
            raise
        if begun.session_payload is not None:
            await self._session_frame(begun)
        if begun.error is not None:  # the message was refused; the chat was still opened
            if lock is not None:
                await lock.release()
            raise begun.error
        await self._group_frame(begun.session.id, {"type": "message", "message": begun.payload})
        lock = lock or await reply_lock_acquire(
            begun.session.id
        )  # a new chat: nobody else knows it
        await self._reply_run(begun, lock)  # type: ignore[arg-type]

    async def _reply_lock(self, chat_id: uuid.UUID) -> ReplyLock:
        """The chat's reply lock, or ``Busy`` while an answer is being written. A reply
        that has saved its answer but not yet let go of the lock is waited for."""
        lock = await reply_lock_acquire(chat_id)
        if lock is None and not await chat_db(reply_streaming)(user=self.user, session_id=chat_id):
            lock = await reply_lock_wait(chat_id)
        if lock is None:
            raise Busy("This chat's previous message is still being answered; stop it or wait.")
        return lock

    async def _session_frame(self, begun: _ChatBegun) -> None:
        await self._group_join(begun.session.id)
        frame_out = {"type": "session", "session_id": str(begun.session.id)}
        await self.send_json({**frame_out, **(begun.session_payload or {})})

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
        if target is None:
            return
        # only a chat of one's own can be stopped, from any tab in any process
        session = await chat_db(session_get_for_user)(user=self.user, session_id=target)
        await reply_stop(session.id)

    async def _message_action(self, frame: MessageActionFrame) -> None:
        """Edit-and-resend, regenerate, continue (each starts a reply) or switch branch."""
        chat_id = uuid_or_none(frame.session_id)
        lock = await self._reply_lock(chat_id) if chat_id is not None else None
        try:
            begun = await _action_begin(user=self.user, frame=frame)
        except BaseException:
            if lock is not None:
                await lock.release()
            raise
        await self._group_join(begun.session.id)
        session_frame = {"type": "session", **(begun.session_payload or {})}
        await self._group_frame(begun.session.id, session_frame)
        if frame.action == "switch_branch":
            await lock.release()  # type: ignore[union-attr]
            return
        await self._reply_run(begun, lock)  # type: ignore[arg-type]

    # --- the reply -------------------------------------------------------------

    async def _reply_run(self, begun: _ChatBegun, lock: ReplyLock) -> None:
        assert begun.message is not None
        await reply_start(
            user=self.user,
            session=begun.session,
            question=begun.message,
            answer_id=begun.answer_id,
            lock=lock,
            plan=begun.plan,
            continuing=begun.continuing,
        )

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
        await group_frame(session_id, frame)

    # --- channel-layer handlers ------------------------------------------------

    async def chat_frame(self, event: dict[str, Any]) -> None:
        await self.send_json(event["frame"])


@dataclasses.dataclass(frozen=True)
class _ChatBegun:
    session: ChatSession
    session_payload: dict[str, Any] | None  # for the ``session`` frame, when the socket switches
    message: Message | None = None  # None when ``error``
    payload: dict[str, Any] = dataclasses.field(default_factory=dict)  # the ``message`` frame's
    plan: ContextPlan = dataclasses.field(default_factory=ContextPlan)  # the model's context
    error: DomainError | None = None  # the message was refused; the chat was still opened
    continuing: Message | None = None  # a stopped answer to extend
    answer_id: uuid.UUID = dataclasses.field(default_factory=uuid.uuid4)  # its ``streaming`` row


@chat_db
def _action_begin(*, user: Any, frame: MessageActionFrame) -> _ChatBegun:
    """A message action's writes, the model's context and the chat's new history;
    an action that starts a reply counts as a chat message (``RATE_LIMIT_CHAT``)."""
    if frame.action != "switch_branch":
        rate_limit_hit("chat", user.pk)
    ids = {"user": user, "session_id": frame.session_id, "message_id": frame.message_id}
    continuing = None
    if frame.action == "edit":
        session, question = services.message_edit_post(**ids, content=frame.content)
    elif frame.action == "regenerate":
        session, question = services.reply_regenerate_point(**ids)
    elif frame.action == "continue":
        session, question, continuing = services.reply_continue_point(**ids)
    else:
        session, question = services.branch_switch(**ids), None
    plan, answer_id = ContextPlan(), uuid.uuid4()
    if question is not None:
        plan = context_plan(user=user, session=session, message=question)
    if continuing is not None:
        answer_id = continuing.id
    elif question is not None:
        services.reply_open(session=session, question=question, message_id=answer_id)
    payload = session_payload_of(session)
    return _ChatBegun(
        session, payload, question, plan=plan, continuing=continuing, answer_id=answer_id
    )


@chat_db
def _chat_begin(*, user: Any, frame: ChatFrame, with_session: bool) -> _ChatBegun:
    """Everything a ``chat`` frame needs from the database before the reply, in one trip
    to the chat's database pool: the chat (created for a ``null`` id) and its
    history when the socket switches to it, the message saved, and what the reply's
    context needs from the database (its files' bytes are read off this thread).
    A refused message still opens the chat, as a ``load_session`` would have.

    The message and its answer's ``streaming`` row are one write; a new chat is
    written with them (``services.chat_start``).

    First the user's chat rate limit (``RATE_LIMIT_CHAT``): past it, ``RateLimited``
    (an ``error`` frame ``rate_limited``) and nothing is written. It is counted here,
    in the same trip to the pool, not in a trip of its own (with Redis it is a round
    trip, which the event loop must not wait on)."""
    rate_limit_hit("chat", user.pk)
    answer_id = uuid.uuid4()
    if frame.session_id is None:
        session, message, refused = services.chat_start(
            user=user, content=frame.content, file_ids=frame.file_ids, answer_id=answer_id
        )
        session_payload = new_session_payload(session)  # nothing in it before this message
    else:
        opened = (
            session_get_for_user(user=user, session_id=frame.session_id) if with_session else None
        )
        # its history before this message
        session_payload = session_payload_of(opened) if opened is not None else None
        try:
            session, message = services.chat_message_post(
                user=user,
                session_id=frame.session_id,
                content=frame.content,
                file_ids=frame.file_ids,
                answer_id=answer_id,
            )
            refused = None
        except DomainError as exc:
            if opened is None:
                raise
            session, message, refused = opened, None, exc
    if message is None:
        return _ChatBegun(session, session_payload, error=refused)
    plan = context_plan(user=user, session=session, message=message)  # S3 reads come later
    payload = message_payload(message, files=None if frame.file_ids else [])
    return _ChatBegun(session, session_payload, message, payload, plan, answer_id=answer_id)


def _streaming_ids(payload: dict[str, Any]) -> list[str]:
    return [m["id"] for m in payload["messages"] if m["status"] == Message.Status.STREAMING]


@chat_db
def _session_load(*, user: Any, session_id: str) -> tuple[Any, dict[str, Any]]:
    session = session_get_for_user(user=user, session_id=session_id)
    return session, session_payload_of(session)
