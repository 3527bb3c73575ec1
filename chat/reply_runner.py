"""Replies belong to the chat, not to the socket that asked for them.

A reply runs as an asyncio task of the server process (not of a consumer), so it
keeps going when the tab that asked closes or reloads, and is saved when it ends.
Its frames go to the chat's group (``chat.session.<uuid>``): every tab viewing the
chat, in any process, streams it. The task also listens on a channel of its own,
the only member of the chat's control group (``chat.control.<uuid>``), for

- ``chat.stop``: a Stop from any tab, in any process, cancels the reply;
- ``chat.catchup``: a tab that opened the chat mid-reply asks for the text so far,
  answered on that tab's own channel as a ``reply_state`` frame. Sent by the same
  task as the tokens, it arrives in order with them: tokens before it are in it.

Every reply ends: after ``CHAT_REPLY_TIMEOUT_S`` it is stopped and saved with status
``error``. A process that dies mid-reply leaves its answer ``streaming`` and its
reply lock expiring (``chat.reply_lock``); the next load of the chat finds the lock
gone and marks the answer ``interrupted`` (``services.replies_interrupted``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import OperationalError

from chat.context import ContextPlan
from chat.models import ChatSession, Message
from chat.reply import ReplyEvent, reply_generate
from chat.reply_lock import ReplyLock
from chatui.errors import DatabaseUnavailable, DomainError

logger = logging.getLogger(__name__)

END = "chat.end"  # the reply's own last message to its listener
_running: set[asyncio.Task[None]] = set()  # strong references: the loop keeps only weak ones


def group_name(session_id: uuid.UUID | str) -> str:
    """Every tab viewing the chat."""
    return f"chat.session.{session_id}"


def control_group(session_id: uuid.UUID | str) -> str:
    """The chat's running reply, wherever it runs."""
    return f"chat.control.{session_id}"


async def group_frame(session_id: uuid.UUID | str, frame: dict[str, Any]) -> None:
    frame = {"session_id": str(session_id), **frame}
    await get_channel_layer().group_send(
        group_name(session_id), {"type": "chat.frame", "frame": frame}
    )


async def reply_stop(session_id: uuid.UUID) -> None:
    await get_channel_layer().group_send(control_group(session_id), {"type": "chat.stop"})


async def reply_catch_up(session_id: uuid.UUID, reply_to: str) -> None:
    """Ask the chat's running reply to send its text so far to ``reply_to``. The
    caller has seen the reply running (``reply_lock_held``); one that has ended since
    has left the chat's control group, so the ask reaches nobody and costs nothing."""
    await get_channel_layer().group_send(
        control_group(session_id), {"type": "chat.catchup", "reply_to": reply_to}
    )


@dataclasses.dataclass
class _Progress:
    """What the reply has streamed, for a tab that catches up."""

    session_id: uuid.UUID
    message_id: uuid.UUID
    text: list[str]
    tools: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    cancel_status: str = Message.Status.STOPPED  # a Stop; ``error`` once timed out

    def frame(self) -> dict[str, Any]:
        return {
            "type": "reply_state",
            "session_id": str(self.session_id),
            "message_id": str(self.message_id),
            "content": "".join(self.text),
            "tools": list(self.tools.values()),
        }


async def reply_start(
    *,
    user: Any,
    session: ChatSession,
    question: Message,
    answer_id: uuid.UUID,
    lock: ReplyLock,
    plan: ContextPlan | None = None,
    continuing: Message | None = None,
) -> None:
    """Start the chat's reply to ``question`` (``lock`` held), written into the
    ``streaming`` row ``answer_id``, and return at once."""
    layer = get_channel_layer()
    control = await layer.new_channel()
    await layer.group_add(control_group(session.id), control)
    message_id = answer_id
    earlier = [continuing.content] if continuing is not None else []
    progress = _Progress(session.id, message_id, earlier)

    async def sink(event: ReplyEvent) -> None:
        frame = {"type": event.type, "message_id": str(message_id), **dataclasses.asdict(event)}
        if event.type == "token":
            progress.text.append(event.content)  # type: ignore[union-attr]
        elif event.type in ("tool_start", "tool_complete"):
            progress.tools[event.call_id] = frame  # type: ignore[union-attr]
        elif event.type == "response_complete":  # saved: a tab may send the next message now
            await lock.release()  # (idempotent; released again at the end)
        await group_frame(session.id, frame)

    async def run() -> None:
        try:
            await reply_generate(
                user=user,
                session=session,
                user_message=question,
                message_id=message_id,
                sink=sink,
                plan=plan,
                continuing=continuing,
                cancel_status=lambda: progress.cancel_status,
            )
        except asyncio.CancelledError:
            pass  # stopped (saved by reply_generate)
        except DomainError as exc:
            await group_frame(session.id, {"type": "error", **exc.as_dict()})
        except Exception as exc:
            logger.exception("chat reply failed session_id=%s", session.id)
            await group_frame(session.id, unexpected_error(exc))
        finally:
            timer.cancel()
            await asyncio.shield(_end(lock, control_group(session.id), control, listener))

    task = asyncio.create_task(run())
    _running.add(task)
    listener = asyncio.create_task(_listen(control, task, progress))
    timer = asyncio.get_running_loop().call_later(
        settings.CHAT_REPLY_TIMEOUT_S, _time_out, task, progress
    )

    task.add_done_callback(_running.discard)


async def _end(lock: ReplyLock, group: str, control: str, listener: asyncio.Task[None]) -> None:
    await lock.release()  # first: the chat takes its next message at once
    layer = get_channel_layer()
    with contextlib.suppress(Exception):  # the layer's group entry also expires by itself
        await layer.group_discard(group, control)
    # The listener is told to stop, not cancelled: with Redis, a receive cancelled while
    # its blocking pop is in flight loses the message that pop took, and that message
    # may be for another socket of this process (every socket here shares one pop),
    # such as this reply's own ``response_complete`` (channels_redis #366).
    try:
        await layer.send(control, {"type": END})
    except Exception:  # the layer is gone: nothing is in flight to lose
        listener.cancel()


def _time_out(task: asyncio.Task[None], progress: _Progress) -> None:
    logger.warning("chat reply timed out session_id=%s", progress.session_id)
    progress.cancel_status = Message.Status.ERROR
    task.cancel()


async def _listen(control: str, task: asyncio.Task[None], progress: _Progress) -> None:
    layer = get_channel_layer()
    while True:
        message = await layer.receive(control)
        if message.get("type") == END:
            return
        if message.get("type") == "chat.stop":
            task.cancel()
        elif message.get("type") == "chat.catchup" and message.get("reply_to") and not task.done():
            with contextlib.suppress(Exception):  # a tab gone since it asked
                await layer.send(
                    message["reply_to"], {"type": "chat.frame", "frame": progress.frame()}
                )


def internal_error() -> dict[str, Any]:
    return {"type": "error", "code": "internal_error", "message": "Something went wrong."}


def unexpected_error(exc: Exception) -> dict[str, Any]:
    """The error frame for an exception no DomainError named: a database that is
    locked or gone is ``database_unavailable`` (retryable, as the HTTP API says it),
    anything else ``internal_error``."""
    if isinstance(exc, OperationalError):
        return {"type": "error", **DatabaseUnavailable().as_dict()}
    return internal_error()
