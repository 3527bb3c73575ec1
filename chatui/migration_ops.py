"""Migration helpers shared by the apps.

``foreign_keys_drop`` takes a database made by the old migrations, where
``files.StoredFile.session`` and ``tools.ToolRun.session`` were foreign keys to
``chat.ChatSession``, to the current schema, where they are plain indexed
``session_id`` UUID columns: same column name, same values, no constraint. The
initial migrations were rewritten to create the plain column, so on a fresh
database this finds no constraint and does nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations import RunPython


def _foreign_keys_on(schema_editor: Any, table: str, column: str) -> list[str]:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":  # (Django's get_constraints misreads CHECKs here)
            cursor.execute(f"PRAGMA foreign_key_list({schema_editor.quote_name(table)})")
            return [f"{row[2]}.{row[4]}" for row in cursor.fetchall() if row[3] == column]
        constraints = connection.introspection.get_constraints(cursor, table)
    return [
        name
        for name, info in constraints.items()
        if info["foreign_key"] and info["columns"] == [column]
    ]


def foreign_keys_drop(app_label: str, model_name: str, column: str) -> RunPython:
    """A RunPython that drops every foreign key on ``column`` (values kept)."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        table = model._meta.db_table
        names = _foreign_keys_on(schema_editor, table, column)
        if not names:
            return
        if schema_editor.connection.vendor == "sqlite":
            # SQLite cannot drop a constraint: rebuild the table from the model (which
            # has none), copying every row, as Django's own SQLite ALTERs do.
            schema_editor._remake_table(model)
            return
        quote = schema_editor.quote_name
        for name in names:
            schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")

    return RunPython(forwards, RunPython.noop, elidable=True)
