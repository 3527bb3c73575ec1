"""Reads of a chat's message tree: the branch on show and each message's siblings.

A chat's messages form a tree through ``Message.parent``; ``ChatSession.leaf`` is the
last message of the branch on show, and the conversation is the path from the first
message down to it. Editing a user message or regenerating an answer adds a sibling
(same parent, same role), shown as "2/2" with arrows to reach the others. A chat has
at most a few hundred messages, so the tree is read as one list of (id, parent) pairs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q
from django.db.models.expressions import RawSQL

from chat.models import ChatSession, Message
from files.models import StoredFile


@dataclass(frozen=True)
class Tree:
    """The (id, parent, role) of every message of a chat, oldest first."""

    rows: list[tuple[uuid.UUID, uuid.UUID | None, str]]
    leaf_id: uuid.UUID | None

    def path(self) -> list[uuid.UUID]:
        """Ids on the branch on show, first message first."""
        parents = {row[0]: row[1] for row in self.rows}
        leaf = (
            self.leaf_id if self.leaf_id in parents else (self.rows[-1][0] if self.rows else None)
        )
        path: list[uuid.UUID] = []
        while leaf is not None and len(path) <= len(parents):
            path.append(leaf)
            leaf = parents.get(leaf)
        return path[::-1]

    def siblings(self, message_id: uuid.UUID) -> list[uuid.UUID]:
        """The message and its alternatives (same parent, same role), oldest first."""
        row = next((r for r in self.rows if r[0] == message_id), None)
        if row is None:
            return []
        return [r[0] for r in self.rows if r[1] == row[1] and r[2] == row[2]]

    def newest_leaf_below(self, message_id: uuid.UUID) -> uuid.UUID:
        """Following the newest child down from ``message_id``: the branch's end."""
        children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
        for row_id, parent_id, _role in self.rows:
            children.setdefault(parent_id, []).append(row_id)
        current, seen = message_id, set()
        while children.get(current) and current not in seen:
            seen.add(current)
            current = children[current][-1]
        return current


def tree_of(session: ChatSession) -> Tree:
    rows = list(
        Message.objects.filter(session=session)
        .order_by("created_at", "id")
        .values_list("id", "parent_id", "role")
    )
    return Tree(rows, session.leaf_id)


def message_path(session: ChatSession) -> tuple[list[Message], Tree]:
    """The messages on the branch on show, oldest first, with their files."""
    tree = tree_of(session)
    ids = tree.path()
    by_id = {
        message.id: message
        for message in Message.objects.filter(id__in=ids).prefetch_related(
            Prefetch(
                "files",
                queryset=StoredFile.objects.select_related("owner").order_by("created_at", "id"),
            )
        )
    }
    return [by_id[i] for i in ids if i in by_id], tree


def branch_fields(tree: Tree, message_id: uuid.UUID) -> dict[str, Any]:
    """``parent_id``, ``siblings`` (ids, oldest first) and ``sibling_index`` (0-based)."""
    siblings = tree.siblings(message_id)
    parent = next((r[1] for r in tree.rows if r[0] == message_id), None)
    return {
        "parent_id": str(parent) if parent else None,
        "siblings": [str(s) for s in siblings],
        "sibling_index": siblings.index(message_id) if message_id in siblings else 0,
    }


_PATH_SQL = """
WITH RECURSIVE path(id, parent_id, depth) AS (
    SELECT id, parent_id, 0 FROM {messages} WHERE id = COALESCE(
        (SELECT leaf_id FROM {sessions} WHERE id = %s),
        (SELECT id FROM {messages} WHERE session_id = %s ORDER BY created_at DESC LIMIT 1)
    )
    UNION ALL
    SELECT m.id, m.parent_id, p.depth + 1 FROM {messages} m JOIN path p ON m.id = p.parent_id
    WHERE p.depth < %s
)
SELECT id FROM path
"""


def on_show(session: ChatSession, limit: int) -> Q:
    """Messages of the branch on show, at most the ``limit`` last: a filter for one
    query (a recursive walk up from the chat's leaf as stored, in SQLite and
    PostgreSQL alike)."""
    quote = connection.ops.quote_name
    tables = {
        "messages": quote(Message._meta.db_table),
        "sessions": quote(ChatSession._meta.db_table),
    }
    chat_id = ChatSession._meta.pk.get_db_prep_value(session.id, connection)  # type: ignore[union-attr]
    sql = _PATH_SQL.format(**tables)  # quoted table names; values are parameters
    return Q(id__in=RawSQL(sql, [chat_id, chat_id, limit - 1]))  # noqa: S611
