"""files.0013: existing chunks are searchable iff they are their file's current version
and the file is not in the trash, and the index (SQLite FTS5 / PostgreSQL partial GIN)
finds exactly those; migrating back restores the index of every chunk."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("files", "0012_filename_trigram_sqlite")]
AFTER = [("files", "0013_chunk_searchable")]


def _indexed(owner_id: int, word: str) -> list[str]:
    """Texts of ``owner_id``'s chunks the index yields for ``word``, joining nothing."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT c.text FROM files_textchunk_fts f JOIN files_textchunk c ON c.id = f.rowid "
                "WHERE files_textchunk_fts MATCH %s ORDER BY c.text",
                [f'owner_id : "{owner_id}" AND text : "{word}"'],
            )
        else:
            cursor.execute(
                "SELECT text FROM files_textchunk WHERE owner_id = %s AND searchable "
                "AND search @@ plainto_tsquery('english', %s) ORDER BY text",
                [owner_id, word],
            )
        return [row[0] for row in cursor.fetchall()]


def _seed(apps) -> int:
    User = apps.get_model("chatui", "User")
    StoredFile = apps.get_model("files", "StoredFile")
    TextChunk = apps.get_model("files", "TextChunk")
    owner = User.objects.create(email="old@example.com")
    prefix = "users/old@example.com/uploads/1_"
    at_v2 = StoredFile.objects.create(owner=owner, key=f"{prefix}aaaaaaaa_a.txt", version=2)
    trashed = StoredFile.objects.create(
        owner=owner, key=f"{prefix}bbbbbbbb_b.txt", trashed_at=timezone.now()
    )
    for file, version, text in [
        (at_v2, 1, "oldword one"),
        (at_v2, 2, "newword two"),
        (trashed, 1, "newword trashed"),
    ]:
        TextChunk.objects.create(
            file=file, owner=owner, version=version, page=1, offset=0, text=text
        )
    return owner.pk


@pytest.mark.django_db(transaction=True)
def test_existing_chunks_get_the_flag_and_the_index_holds_only_those() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    owner_id = _seed(executor.loader.project_state(BEFORE).apps)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    TextChunk = executor.loader.project_state(AFTER).apps.get_model("files", "TextChunk")
    assert sorted(TextChunk.objects.values_list("text", "searchable")) == [
        ("newword trashed", False),
        ("newword two", True),
        ("oldword one", False),
    ]
    assert (_indexed(owner_id, "newword"), _indexed(owner_id, "oldword")) == (["newword two"], [])

    if connection.vendor == "sqlite":  # back to 0012: every chunk indexed again
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM files_textchunk_fts WHERE files_textchunk_fts MATCH %s",
                ["newword OR oldword"],
            )
            assert cursor.fetchone()[0] == 3
    MigrationExecutor(connection).migrate(latest)
