"""TextChunk.owner: the file's owner, copied onto each chunk and into the full-text index.

On SQLite the FTS5 table gains an ``owner_id`` column, so a search matches
``owner_id : "N" AND text : ...`` inside the index instead of joining every match to
its file (at 100,000 chunks that join was most of a query's time). Adding a NOT NULL
column makes Django rebuild the table on SQLite, which drops triggers: the index is
dropped first and rebuilt from the chunks at the end.
"""

from django.conf import settings
from django.db import migrations, models

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS files_textchunk_fts_au",
    "DROP TRIGGER IF EXISTS files_textchunk_fts_ad",
    "DROP TRIGGER IF EXISTS files_textchunk_fts_ai",
    "DROP TABLE IF EXISTS files_textchunk_fts",
]
SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE files_textchunk_fts USING fts5(text, owner_id, "
    "content='files_textchunk', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER files_textchunk_fts_ai AFTER INSERT ON files_textchunk BEGIN "
    "INSERT INTO files_textchunk_fts(rowid, text, owner_id) "
    "VALUES (new.id, new.text, new.owner_id); END",
    "CREATE TRIGGER files_textchunk_fts_ad AFTER DELETE ON files_textchunk BEGIN "
    "INSERT INTO files_textchunk_fts(files_textchunk_fts, rowid, text, owner_id) "
    "VALUES ('delete', old.id, old.text, old.owner_id); END",
    "CREATE TRIGGER files_textchunk_fts_au AFTER UPDATE ON files_textchunk BEGIN "
    "INSERT INTO files_textchunk_fts(files_textchunk_fts, rowid, text, owner_id) "
    "VALUES ('delete', old.id, old.text, old.owner_id); "
    "INSERT INTO files_textchunk_fts(rowid, text, owner_id) "
    "VALUES (new.id, new.text, new.owner_id); END",
    "INSERT INTO files_textchunk_fts(files_textchunk_fts) VALUES ('rebuild')",
]
SQLITE_CREATE_OLD = [  # what 0004 made, for migrating backwards
    "CREATE VIRTUAL TABLE files_textchunk_fts USING fts5(text, content='files_textchunk', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER files_textchunk_fts_ai AFTER INSERT ON files_textchunk BEGIN "
    "INSERT INTO files_textchunk_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER files_textchunk_fts_ad AFTER DELETE ON files_textchunk BEGIN "
    "INSERT INTO files_textchunk_fts(files_textchunk_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER files_textchunk_fts_au AFTER UPDATE ON files_textchunk BEGIN "
    "INSERT INTO files_textchunk_fts(files_textchunk_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO files_textchunk_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO files_textchunk_fts(files_textchunk_fts) VALUES ('rebuild')",
]
POSTGRES_CREATE = ["CREATE INDEX files_textchunk_owner ON files_textchunk (owner_id)"]
POSTGRES_DROP = ["DROP INDEX IF EXISTS files_textchunk_owner"]


def _sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


def _postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


def copy_owners(apps, schema_editor):
    TextChunk = apps.get_model("files", "TextChunk")
    StoredFile = apps.get_model("files", "StoredFile")
    owners = StoredFile.objects.filter(pk=models.OuterRef("file_id")).values("owner_id")
    TextChunk.objects.update(owner_id=models.Subquery(owners[:1]))


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("files", "0004_documents_text"),
    ]

    operations = [
        migrations.RunPython(_sqlite(SQLITE_DROP), _sqlite(SQLITE_CREATE_OLD)),
        migrations.AddField(
            model_name="textchunk",
            name="owner",
            field=models.ForeignKey(
                null=True,
                db_index=False,
                on_delete=models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(copy_owners, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="textchunk",
            name="owner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(_sqlite(SQLITE_CREATE), _sqlite(SQLITE_DROP)),
        migrations.RunPython(_postgres(POSTGRES_CREATE), _postgres(POSTGRES_DROP)),
    ]
