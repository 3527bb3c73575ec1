"""The file metadata shape every API returns (the tools API reuses it)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from django.urls import get_script_prefix, reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import StoredFile


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
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_download_url(self, file: StoredFile) -> str:
        return _download_url_pattern(get_script_prefix()).replace(str(_ANY_ID), str(file.pk))

    def to_representation(self, instance: StoredFile) -> dict[str, Any]:
        """DRF's own representation, without building 19 fields for every serializer.

        ``ModelSerializer`` builds its fields from the model afresh for each
        serializer instance (about 0.5 ms here, on every upload, detail and page) and
        then converts each value through them. This class's fields are built once
        (:func:`_plan`) and the plain ones (text, ids, integers, JSON) are converted
        directly; ``tests/test_serializers.py`` checks the result equals DRF's.
        """
        if type(self) is not StoredFileOutputSerializer:  # a subclass may add fields
            return super().to_representation(instance)
        data = {}
        for name, source_attrs, convert in _plan():
            value = instance
            for attr in source_attrs:
                value = getattr(value, attr)
            data[name] = None if value is None else convert(value)
        return data


Converter = Callable[[Any], Any]


@functools.cache
def _plan() -> tuple[tuple[str, tuple[str, ...], Converter], ...]:
    """(name, source attributes, converter) per output field, from DRF's own fields."""
    prototype = StoredFileOutputSerializer()
    plan = []
    for field in prototype._readable_fields:
        plan.append((field.field_name, tuple(field.source_attrs), _converter(field)))
    return tuple(plan)


def _converter(field: serializers.Field) -> Converter:
    """``str``/``int``/identity where DRF's conversion is exactly that, else the field's."""
    if isinstance(field, serializers.ChoiceField):
        choices = dict(field.choice_strings_to_values)
        return lambda value: choices.get(str(value), value)
    if isinstance(field, serializers.UUIDField) and field.uuid_format == "hex_verbose":
        return str
    if type(field) in (serializers.CharField, serializers.EmailField):
        return str
    if type(field) is serializers.IntegerField:
        return int
    if isinstance(field, serializers.JSONField) and not field.binary:
        return _same
    return field.to_representation  # dates, booleans, the download URL method


def _same(value: Any) -> Any:
    return value


_ANY_ID = uuid.UUID(int=0)


@functools.cache
def _download_url_pattern(script_prefix: str) -> str:
    """``reverse`` once per script prefix: per row it was a tenth of a page's cost."""
    return reverse("files:download", kwargs={"file_id": _ANY_ID})
