"""Checks of what a client sends about a file: tags (a small flat map of strings,
also as the JSON text a multipart form carries) and strict base64 content."""

from __future__ import annotations

import base64
import binascii

from chatui.errors import InvalidBase64, InvalidInput, InvalidJson, JsonTooDeep
from chatui.json_limits import json_loads_limited
from chatui.text import text_check

MAX_TAGS = 50
MAX_TAG_KEY_CHARS = 100
MAX_TAG_VALUE_CHARS = 1000


def validate_tags(tags: object) -> dict[str, str]:
    """Tags are a small flat map of strings to strings."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise InvalidInput("tags must be an object of string keys and values.")
    text_check(tags, field="tags")
    if len(tags) > MAX_TAGS:
        raise InvalidInput(f"At most {MAX_TAGS} tags are allowed.")
    for key, value in tags.items():
        if not isinstance(key, str) or not isinstance(value, str) or not key.strip():
            raise InvalidInput("tags must be an object of non-empty string keys and string values.")
        if len(key) > MAX_TAG_KEY_CHARS or len(value) > MAX_TAG_VALUE_CHARS:
            raise InvalidInput("A tag key or value is too long.")
    return dict(tags)


def parse_tags_json(raw: str | None) -> dict[str, str] | None:
    """Multipart forms carry tags as a JSON string."""
    if raw in (None, ""):
        return None
    try:
        return json_loads_limited(raw)  # type: ignore[arg-type]
    except JsonTooDeep:
        raise
    except (InvalidJson, TypeError):
        raise InvalidInput("tags must be a JSON object.", field="tags") from None


def decode_base64_strict(value: str) -> bytes:
    if not isinstance(value, str) or not value.isascii():
        raise InvalidBase64()
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidBase64() from None
