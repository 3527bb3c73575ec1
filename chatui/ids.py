"""Ids from the outside world: the one place a client's id string becomes a UUID."""

from __future__ import annotations

import uuid
from typing import Any


def uuid_or_none(value: Any) -> uuid.UUID | None:
    """``value`` as a UUID (a UUID, or its text in any form ``uuid.UUID`` reads), else None.

    Callers turn None into their own typed error (not found, invalid input): a
    malformed id must answer exactly like an id that names nothing of the user's.
    """
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
