"""SQLite's counterpart of PostgreSQL's trigram index over file names (files 0004): an
FTS5 table with the ``trigram`` tokenizer (SQLite 3.34+), filled from the existing rows
and kept in step by triggers. ``files.names.name_contains`` reads it for name searches
of three characters or more.

Each row holds the file's id (32 hex digits, as Django stores a UUID on SQLite) next to
its name, both trigram-indexed: the triggers find a file's row by matching its id, not
by the table's implicit rowid, which VACUUM and Django's table rebuilds may renumber.
A later migration that rebuilds ``files_storedfile`` on SQLite (ALTERs SQLite cannot do
in place) drops these triggers and must re-create them.
"""

from django.db import migrations

# The triggers find a file's row by an FTS5 phrase query on its id in the file_id column.
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE files_storedfile_name_fts USING fts5(file_id, filename, "
    "tokenize='trigram')",
    "INSERT INTO files_storedfile_name_fts(file_id, filename) "
    "SELECT id, filename FROM files_storedfile",
    "CREATE TRIGGER files_storedfile_name_fts_ai AFTER INSERT ON files_storedfile BEGIN "
    "INSERT INTO files_storedfile_name_fts(file_id, filename) VALUES (new.id, new.filename); "
    "END",
    "CREATE TRIGGER files_storedfile_name_fts_ad AFTER DELETE ON files_storedfile BEGIN "
    "DELETE FROM files_storedfile_name_fts "
    "WHERE files_storedfile_name_fts MATCH 'file_id : \"' || old.id || '\"'; END",
    "CREATE TRIGGER files_storedfile_name_fts_au AFTER UPDATE OF id, filename "
    "ON files_storedfile BEGIN "
    "DELETE FROM files_storedfile_name_fts "
    "WHERE files_storedfile_name_fts MATCH 'file_id : \"' || old.id || '\"'; "
    "INSERT INTO files_storedfile_name_fts(file_id, filename) VALUES (new.id, new.filename); "
    "END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS files_storedfile_name_fts_au",
    "DROP TRIGGER IF EXISTS files_storedfile_name_fts_ad",
    "DROP TRIGGER IF EXISTS files_storedfile_name_fts_ai",
    "DROP TABLE IF EXISTS files_storedfile_name_fts",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0011_listing_indexes_cover_trash"),
    ]

    operations = [
        migrations.RunPython(_run(SQLITE_FORWARD), _run(SQLITE_BACKWARD)),
    ]
