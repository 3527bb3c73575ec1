"""PostgreSQL: keep files_textchunk's heap rows narrow (``toast_tuple_target``).

A search visits the heap row of each match its GIN index finds (visibility, the id).
With a page's text and its tsvector inline, a row took ~1.6 KB and 100,000 chunks
~156 MB of heap, so a common word's matches sat on thousands of pages that did not
stay cached. Moving both columns out of line (TOAST) whenever a row passes 128 bytes
leaves ~11 MB of heap for the same chunks; the text is read back (detoasted) only for
the rows a search ranks or shows. Applies to rows written from now on; ``VACUUM FULL
files_textchunk`` (or ``files_index --rebuild``) rewrites existing ones. SQLite: nothing.
"""

from django.db import migrations


def _postgres(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("files", "0008_sharing")]

    operations = [
        migrations.RunPython(
            _postgres("ALTER TABLE files_textchunk SET (toast_tuple_target = 128)"),
            _postgres("ALTER TABLE files_textchunk RESET (toast_tuple_target)"),
        )
    ]
