"""Text every database can store: the one check for user text headed for a column.

PostgreSQL refuses two things SQLite stores without a word: U+0000 (NUL) in
``text``, ``varchar`` and ``jsonb`` ("\\u0000 cannot be converted to text"), and
unpaired UTF-16 surrogates (U+D800-U+DFFF), which have no UTF-8 encoding. Both
reach Python easily (``json.loads('"\\u0000"')``, ``'"\\ud800"'``), and on
PostgreSQL they would end a request in a 500 after the bytes went to S3. So
every door refuses them up front with :class:`UnstorableText`, a typed 400 (an
``error`` frame on the websocket), on both databases alike.

DRF's ``CharField`` already refuses both through its own validators; this module
covers what it does not see: JSON objects (tag maps, tool arguments), strings
decoded from a form field, and websocket frames.
"""

from __future__ import annotations

import re
from typing import Any

from chatui.errors import InvalidInput

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


class UnstorableText(InvalidInput):
    code = "invalid_text"
    default_message = "The text contains a character that cannot be stored."


def text_check(value: Any, *, field: str) -> None:
    """Raise :class:`UnstorableText` naming ``field`` if ``value`` holds a string (at any
    depth of dicts and lists, keys included) that a database cannot store."""
    try:
        unstorable = _has_unstorable(value)
    except RecursionError:
        raise InvalidInput(f"{field} is nested too deeply.", field=field) from None
    if unstorable:
        raise UnstorableText(
            f"{field} contains a character that cannot be stored (NUL or a lone surrogate).",
            field=field,
        )


def text_storable(value: Any) -> Any:
    """``value`` with every unstorable character replaced by U+FFFD, for text the app
    records but did not accept from a user (a model's output, a refused call's
    arguments kept for the record)."""
    if isinstance(value, str):
        return UNSTORABLE.sub(REPLACEMENT, value)
    if isinstance(value, dict):
        return {text_storable(str(key)): text_storable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [text_storable(item) for item in value]
    return value


def _has_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_unstorable(k) or _has_unstorable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_unstorable(item) for item in value)
    return False
