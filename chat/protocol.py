"""The client frames of the chat websocket, parsed and checked before anything runs.

Every frame is a JSON object with a ``type``; ``frame_parse`` returns one of the
dataclasses below or raises ``InvalidFrame`` naming the problem, which the
consumer answers with an ``error`` frame while keeping the socket open.
The README's "Websocket protocol" section documents both directions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chatui.errors import InvalidFrame

FILE_IDS_MAX = 20


@dataclass(frozen=True)
class ChatFrame:
    session_id: str | None
    content: str
    file_ids: list[str]


@dataclass(frozen=True)
class AttachFileFrame:
    session_id: str
    file_id: str


@dataclass(frozen=True)
class StopFrame:
    session_id: str | None


@dataclass(frozen=True)
class LoadSessionFrame:
    session_id: str


@dataclass(frozen=True)
class MessageActionFrame:
    """``edit`` (with ``content``), ``regenerate``, ``continue`` or ``switch_branch``
    on one message of a chat."""

    action: str
    session_id: str
    message_id: str
    content: str = ""


ClientFrame = ChatFrame | AttachFileFrame | StopFrame | LoadSessionFrame | MessageActionFrame


def frame_parse(text: str | None, binary: bytes | None = None) -> ClientFrame:
    if text is None:
        raise InvalidFrame("Frames are JSON text; binary frames are not accepted.")
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise InvalidFrame("The frame is not valid JSON.") from None
    if not isinstance(raw, dict):
        raise InvalidFrame("A frame is a JSON object with a type.")
    parser = _PARSERS.get(raw.get("type"))  # type: ignore[arg-type]
    if parser is None:
        raise InvalidFrame(f"Unknown frame type {raw.get('type')!r}.", field="type")
    return parser(raw)


def _chat(raw: dict[str, Any]) -> ChatFrame:
    file_ids = raw.get("file_ids", [])
    if not isinstance(file_ids, list) or not all(isinstance(i, str) for i in file_ids):
        raise InvalidFrame("file_ids must be a list of file ids.", field="file_ids")
    if len(file_ids) > FILE_IDS_MAX:
        raise InvalidFrame(f"At most {FILE_IDS_MAX} files per message.", field="file_ids")
    return ChatFrame(
        session_id=_optional_str(raw, "session_id"),
        content=_str(raw, "content"),
        file_ids=list(dict.fromkeys(file_ids)),
    )


def _attach_file(raw: dict[str, Any]) -> AttachFileFrame:
    return AttachFileFrame(session_id=_str(raw, "session_id"), file_id=_str(raw, "file_id"))


def _stop(raw: dict[str, Any]) -> StopFrame:
    return StopFrame(session_id=_optional_str(raw, "session_id"))


def _load_session(raw: dict[str, Any]) -> LoadSessionFrame:
    return LoadSessionFrame(session_id=_str(raw, "session_id"))


def _message_action(raw: dict[str, Any]) -> MessageActionFrame:
    action = raw["type"]
    return MessageActionFrame(
        action=action,
        session_id=_str(raw, "session_id"),
        message_id=_str(raw, "message_id"),
        content=_str(raw, "content") if action == "edit" else "",
    )


def _str(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str):
        raise InvalidFrame(f"{name} must be a string.", field=name)
    return value


def _optional_str(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidFrame(f"{name} must be a string or null.", field=name)
    return value


_PARSERS = {
    "chat": _chat,
    "attach_file": _attach_file,
    "stop": _stop,
    "load_session": _load_session,
    "edit": _message_action,
    "regenerate": _message_action,
    "continue": _message_action,
    "switch_branch": _message_action,
}
