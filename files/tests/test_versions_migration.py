"""files.0007: every file that existed before versions gets its version 1."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("files", "0006_session_id_without_foreign_key")]
AFTER = [("files", "0007_versions_and_trash")]


@pytest.mark.django_db(transaction=True)
def test_backfill_gives_every_file_its_version_one() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("chatui", "User")
    StoredFile = apps.get_model("files", "StoredFile")
    owner = User.objects.create(email="old@example.com")
    uploaded = StoredFile.objects.create(
        owner=owner,
        key="users/old@example.com/uploads/1_aaaaaaaa_a.txt",
        filename="a.txt",
        size=5,
        checksum="ab" * 32,
        content_type="text/plain",
    )
    StoredFile.objects.create(
        owner=owner,
        key="users/old@example.com/generated/1_bbbbbbbb_b.csv",
        filename="b.csv",
        size=7,
        source="tool",
        source_tool="csv_tool",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    FileVersion = apps.get_model("files", "FileVersion")
    StoredFile = apps.get_model("files", "StoredFile")
    rows = {v.key: v for v in FileVersion.objects.all()}
    first = rows["users/old@example.com/uploads/1_aaaaaaaa_a.txt"]
    assert (first.file_id, first.number, first.size, first.checksum, first.source) == (
        uploaded.pk,
        1,
        5,
        "ab" * 32,
        "upload",
    )
    assert first.content_type == "text/plain"
    generated = rows["users/old@example.com/generated/1_bbbbbbbb_b.csv"]
    assert (generated.source, generated.source_tool, generated.size) == ("tool", "csv_tool", 7)
    assert sorted(StoredFile.objects.values_list("old_versions_bytes", "version")) == [(0, 1)] * 2

    MigrationExecutor(connection).migrate(latest)
