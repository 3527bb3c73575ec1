"""The chat a file belongs to, as the files app sees it: an opaque session id.

Dependencies run one way, ``chat -> tools -> files``: files (and tools) never
import chat. A file row keeps the id of the chat it was created in, and nothing
more. When a client names a chat (an upload into a chat, a tool run in a chat),
whether that user may use it is the chat app's question: it registers its answer
here when it starts (``chat.apps.ChatConfig.ready``). Without a registered check no
session id is accepted, so a project without chat cannot link files to anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from chatui.errors import InvalidInput
from chatui.ids import uuid_or_none

SessionOwnedBy = Callable[[Any, uuid.UUID], bool]
_owned_by: SessionOwnedBy | None = None


def session_check_register(owned_by: SessionOwnedBy) -> None:
    """Install the chat app's ``owned_by(user, session_id) -> bool``."""
    global _owned_by
    _owned_by = owned_by


def session_id_for_user(*, user: Any, session_id: Any) -> uuid.UUID | None:
    """``session_id`` as a UUID when it names a chat of ``user``'s; None for no chat.

    Anything else (another user's chat, a malformed id, no chat app) is the same
    ``InvalidInput`` on the ``session`` field, so ids cannot be probed.
    """
    if session_id is None or session_id == "":
        return None
    parsed = uuid_or_none(session_id)
    if parsed is None or _owned_by is None or not _owned_by(user, parsed):
        raise InvalidInput("The chat session does not exist.", field="session")
    return parsed
