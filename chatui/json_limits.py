"""JSON bodies with a size and nesting-depth limit, for every door that reads JSON.

Python's ``json`` parser recurses once per nesting level, so a body of a thousand
``[`` ends in ``RecursionError`` (a 500) instead of a clear refusal. The depth is
measured first with two regular expressions and a loop over the brackets alone
(strings removed), which stays linear and cheap even for a 10 MB base64 upload;
only then is the text parsed. ``LimitedJSONParser`` is DRF's JSON parser with
these checks (the default parser of every API view); ``json_loads_limited`` is the
same for JSON carried inside another format (the multipart ``tags`` field).
"""

from __future__ import annotations

import json
import re
from typing import IO, Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from .errors import BodyTooLarge, InvalidJson, JsonTooDeep

# A JSON string literal, unrolled so long strings are one fast scan.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth_exceeds(text: str, max_depth: int) -> bool:
    """True when arrays/objects in ``text`` nest deeper than ``max_depth``."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def json_loads_limited(text: str | bytes, *, max_depth: int | None = None) -> Any:
    """``json.loads`` that refuses deep nesting (JsonTooDeep) and bad JSON (InvalidJson)."""
    limit = settings.API_JSON_MAX_DEPTH if max_depth is None else max_depth
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidJson("The JSON is not UTF-8.") from None
    if json_depth_exceeds(text, limit):
        raise JsonTooDeep(f"The JSON nests deeper than {limit} levels.", max_depth=limit)
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise InvalidJson(f"The body is not valid JSON: {exc}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def read_limited(stream: IO[bytes] | None, max_bytes: int) -> bytes:
    """The whole body, refusing (413) one that is larger than ``max_bytes``."""
    if stream is None:
        return b""
    body = stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise BodyTooLarge(f"JSON bodies are limited to {max_bytes:,} bytes.", max_bytes=max_bytes)
    return body


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with a size limit (413) and a depth limit (400 json_too_deep)."""

    def parse(
        self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        body = read_limited(stream, settings.API_JSON_MAX_BYTES)
        if not body.strip():
            raise InvalidJson("The body is empty; send a JSON value.")
        return json_loads_limited(body)
