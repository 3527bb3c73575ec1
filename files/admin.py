"""Staff see every file here; deleting goes through ``file_delete`` so blobs go too."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

from chatui.errors import StorageUnavailable

from .models import StoredFile
from .services import file_delete


@admin.register(StoredFile)
class StoredFileAdmin(admin.ModelAdmin):
    list_display = ["filename", "owner", "human_size", "category", "source", "created_at"]
    list_filter = ["category", "source", "tagged", "created_at"]
    search_fields = ["filename", "key", "owner__email"]
    readonly_fields = [
        "id",
        "owner",
        "key",
        "checksum",
        "etag",
        "size",
        "content_type",
        "created_at",
    ]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    raw_id_fields = ["session"]

    @admin.display(description="size", ordering="size")
    def human_size(self, obj: StoredFile) -> str:
        return filesizeformat(obj.size)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # files arrive through uploads and tools, never a bare row

    def delete_model(self, request: HttpRequest, obj: StoredFile) -> None:
        file_delete(file=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StoredFile]) -> None:
        """The bulk "Delete selected" action: blob then row, file by file."""
        deleted = 0
        try:
            for file in queryset.select_related("owner"):
                file_delete(file=file)
                deleted += 1
        except StorageUnavailable as err:
            self.message_user(request, f"Stopped after {deleted}: {err.message}", messages.ERROR)
