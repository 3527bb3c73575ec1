"""The file metadata shape every API returns (the tools API reuses it)."""

from __future__ import annotations

import functools
import uuid

from django.urls import get_script_prefix, reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import FileVersion, StoredFile


class StoredFileOutputSerializer(serializers.ModelSerializer):
    """File metadata; never a presigned URL (listing must not call S3 per row).

    ``status`` is ``broken`` once ``files_reconcile --apply`` found the blob missing or
    different (``status_detail`` says which and when); the Files page shows it.
    """

    session = serializers.UUIDField(source="session_id", allow_null=True, read_only=True)
    last_modified = serializers.DateTimeField(
        source="created_at",
        read_only=True,
        help_text="When the blob was written; blobs are immutable, so this is the upload time.",
    )
    user_email = serializers.EmailField(source="owner.email", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = StoredFile
        fields = [
            "id",
            "key",
            "filename",
            "size",
            "content_type",
            "category",
            "source",
            "source_tool",
            "tags",
            "tagged",
            "session",
            "created_at",
            "last_modified",
            "etag",
            "checksum",
            "user_email",
            "download_url",
            "status",
            "status_detail",
            "text_status",
            "pages",
            "words",
            "text_error",
            "version",
            "trashed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_download_url(self, file: StoredFile) -> str:
        return _download_url_pattern(get_script_prefix()).replace(str(_ANY_ID), str(file.pk))


_ANY_ID = uuid.UUID(int=0)


@functools.cache
def _download_url_pattern(script_prefix: str) -> str:
    """``reverse`` once per script prefix: per row it was a tenth of a page's cost."""
    return reverse("files:download", kwargs={"file_id": _ANY_ID})


class FileVersionOutputSerializer(serializers.ModelSerializer):
    """One version of a file (``context["file"]``: the file, to mark the current one)."""

    version = serializers.IntegerField(source="number", read_only=True)
    current = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = FileVersion
        fields = [
            "version",
            "current",
            "size",
            "checksum",
            "content_type",
            "created_at",
            "source",
            "source_tool",
            "tool_run_id",
            "restored_from",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_current(self, version: FileVersion) -> bool:
        return version.number == self.context["file"].version

    @extend_schema_field(serializers.CharField())
    def get_download_url(self, version: FileVersion) -> str:
        base = _download_url_pattern(get_script_prefix()).replace(
            str(_ANY_ID), str(version.file_id)
        )
        return f"{base}?version={version.number}"
