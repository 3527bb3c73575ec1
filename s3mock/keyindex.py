"""One page of a bucket listing, cut from the sorted key list S3-style.

Each key and each common prefix counts towards ``max_keys``; keys under a
common prefix are skipped with one bisection rather than walked, so a listing
with a delimiter stays cheap however many keys share the prefix.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from .records import ObjectInfo


@dataclass
class ListResult:
    objects: list[ObjectInfo]
    common_prefixes: list[str]
    is_truncated: bool
    next_marker: str  # the last key or common prefix returned, "" when none


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``."""
    for index in range(len(prefix) - 1, -1, -1):
        if ord(prefix[index]) < 0x10FFFF:
            return prefix[:index] + chr(ord(prefix[index]) + 1)
    return None


def collect(
    keys: list[str],
    objects: dict[str, ObjectInfo],
    prefix: str,
    start_after: str,
    max_keys: int,
    delimiter: str,
) -> ListResult:
    """List ``keys`` (sorted) after ``start_after``; a marker that is itself a common
    prefix skips every key under it, as S3 does when paging with NextMarker."""
    result = ListResult([], [], False, "")
    index = bisect.bisect_right(keys, start_after) if start_after else 0
    index = max(index, bisect.bisect_left(keys, prefix))
    while index < len(keys):
        key = keys[index]
        if not key.startswith(prefix):
            break
        common = _common_prefix(key, prefix, delimiter)
        if common is not None and common <= start_after:
            index = _skip_prefix(keys, common, index)
            continue
        if len(result.objects) + len(result.common_prefixes) >= max_keys:
            result.is_truncated = max_keys > 0
            break
        if common is None:
            result.objects.append(objects[key])
            result.next_marker = key
            index += 1
        else:
            result.common_prefixes.append(common)
            result.next_marker = common
            index = _skip_prefix(keys, common, index)
    return result


def _common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    found = key.find(delimiter, len(prefix))
    return None if found < 0 else key[: found + len(delimiter)]


def _skip_prefix(keys: list[str], common: str, index: int) -> int:
    """The index of the first key after ``index`` that does not start with ``common``."""
    successor = _successor(common)
    if successor is None:
        while index < len(keys) and keys[index].startswith(common):
            index += 1
        return index
    return bisect.bisect_left(keys, successor, lo=index)
