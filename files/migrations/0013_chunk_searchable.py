"""TextChunk.searchable: the chunk is of its file's current version and the file is not
in the trash. Search reads the flag from the index instead of joining every match to
its file (at 100,000 chunks of one user that join was most of a 1-word query's time).

SQLite: the FTS5 table indexes only searchable chunks. Its external content is a view
of them (``files_textchunk_searchable``), so FTS5's own ``rebuild`` (and
``integrity-check``) agree with the triggers, which add a chunk's index row when it
becomes searchable and take it out when it stops being so. Adding a NOT NULL column
makes Django rebuild the table on SQLite, which drops triggers: the index is dropped
first and rebuilt at the end. A later migration that rebuilds ``files_textchunk`` on
SQLite must drop and re-create ``SQLITE_CREATE`` the same way (and the view with it).

PostgreSQL: the GIN index over ``search`` becomes partial (``WHERE searchable``), so the
index holds only what a search may find and its query needs no join.

The flag is set for existing rows from the files' current version and trash state.
"""

from importlib import import_module

from django.db import migrations, models

chunk_owner = import_module("files.migrations.0005_chunk_owner")

SQLITE_DROP = [
    *chunk_owner.SQLITE_DROP,
    "DROP VIEW IF EXISTS files_textchunk_searchable",
]
SQLITE_CREATE = [
    "CREATE VIEW files_textchunk_searchable AS "
    "SELECT id, text, owner_id FROM files_textchunk WHERE searchable",
    "CREATE VIRTUAL TABLE files_textchunk_fts USING fts5(text, owner_id, "
    "content='files_textchunk_searchable', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER files_textchunk_fts_ai AFTER INSERT ON files_textchunk "
    "WHEN new.searchable BEGIN "
    "INSERT INTO files_textchunk_fts(rowid, text, owner_id) VALUES (new.id, new.text, new.owner_id); "
    "END",
    "CREATE TRIGGER files_textchunk_fts_ad AFTER DELETE ON files_textchunk "
    "WHEN old.searchable BEGIN "
    "INSERT INTO files_textchunk_fts(files_textchunk_fts, rowid, text, owner_id) "
    "VALUES ('delete', old.id, old.text, old.owner_id); END",
    # One trigger for both halves, so the old row leaves the index before the new enters.
    "CREATE TRIGGER files_textchunk_fts_au "
    "AFTER UPDATE OF id, text, owner_id, searchable ON files_textchunk BEGIN "
    "INSERT INTO files_textchunk_fts(files_textchunk_fts, rowid, text, owner_id) "
    "SELECT 'delete', old.id, old.text, old.owner_id WHERE old.searchable; "
    "INSERT INTO files_textchunk_fts(rowid, text, owner_id) "
    "SELECT new.id, new.text, new.owner_id WHERE new.searchable; END",
    "INSERT INTO files_textchunk_fts(files_textchunk_fts) VALUES ('rebuild')",
]
POSTGRES_FORWARD = [
    "DROP INDEX IF EXISTS files_textchunk_search",
    "CREATE INDEX files_textchunk_search ON files_textchunk USING GIN (search) WHERE searchable",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS files_textchunk_search",
    "CREATE INDEX files_textchunk_search ON files_textchunk USING GIN (search)",
]


def mark_searchable(apps, schema_editor):
    TextChunk = apps.get_model("files", "TextChunk")
    StoredFile = apps.get_model("files", "StoredFile")
    current = StoredFile.objects.filter(
        pk=models.OuterRef("file_id"), version=models.OuterRef("version"), trashed_at=None
    )
    TextChunk.objects.filter(models.Exists(current)).update(searchable=True)


class Migration(migrations.Migration):
    dependencies = [("files", "0012_filename_trigram_sqlite")]

    operations = [
        migrations.RunPython(
            chunk_owner._sqlite(SQLITE_DROP), chunk_owner._sqlite(chunk_owner.SQLITE_CREATE)
        ),
        migrations.AddField(
            model_name="textchunk",
            name="searchable",
            field=models.BooleanField(
                default=False,
                help_text="Current version of a file not in the trash: searched.",
            ),
        ),
        migrations.RunPython(mark_searchable, migrations.RunPython.noop),
        migrations.RunPython(chunk_owner._sqlite(SQLITE_CREATE), chunk_owner._sqlite(SQLITE_DROP)),
        migrations.RunPython(
            chunk_owner._postgres(POSTGRES_FORWARD), chunk_owner._postgres(POSTGRES_BACKWARD)
        ),
    ]
