"""TextChunk: a page's text (or a slice of a long page) under the full-text index.

The index itself is not a Django field: on SQLite an FTS5 table over the searchable
chunks kept in step by triggers, on PostgreSQL a generated ``tsvector`` column with a
GIN index over the searchable rows; made by migrations ``files.0004`` and ``files.0013``
(see :mod:`files.documents.index`). Chunks go with
their file (``on_delete=CASCADE``), and the triggers take their index rows along.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TextChunk(models.Model):
    id = models.BigAutoField(primary_key=True)
    file = models.ForeignKey(
        "files.StoredFile", on_delete=models.CASCADE, related_name="text_chunks"
    )
    # The file's owner, copied here so the full-text index can hold it: a search then
    # intersects the owner's postings with the words' instead of joining every match.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    version = models.PositiveIntegerField(default=1, help_text="The file version this text is of.")
    page = models.PositiveIntegerField(help_text="1-based page, slide or sheet number.")
    offset = models.PositiveIntegerField(help_text="Character offset of this chunk in its page.")
    text = models.TextField()
    # True iff ``version`` is the file's current version and the file is not in the
    # trash: what a search may find. Kept in step, in the same transaction, by whatever
    # changes either (files.documents.index.chunks_searchable_update), so the full-text
    # index holds it (SQLite: only these chunks are indexed; PostgreSQL: a partial GIN
    # index) and a search needs no join to the file to leave the rest out.
    searchable = models.BooleanField(
        default=False, help_text="Current version of a file not in the trash: searched."
    )

    class Meta:
        app_label = "files"
        ordering = ["file", "page", "offset"]
        indexes = [models.Index(fields=["file", "page", "offset"], name="chunk_file_page")]

    def __str__(self) -> str:
        return f"{self.file_id} p.{self.page} @{self.offset}"


class ChunkVector(models.Model):
    """A chunk's embedding, when an embeddings endpoint is configured: float32 values in
    native byte order (``numpy.frombuffer``), portable to any database (pgvector is not
    on every host). A side table, so the chunk table and its full-text triggers stay
    as they are; it goes with its chunk."""

    chunk = models.OneToOneField(
        TextChunk, on_delete=models.CASCADE, primary_key=True, related_name="vector"
    )
    model = models.CharField(max_length=200, help_text="The embeddings model that made it.")
    vector = models.BinaryField()

    class Meta:
        app_label = "files"

    def __str__(self) -> str:
        return f"vector of chunk {self.chunk_id} ({self.model})"
