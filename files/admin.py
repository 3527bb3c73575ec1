"""Staff see every file here. Deleting goes through ``file_delete`` (blob, then row);
verifying and re-sniffing through ``files.ops.integrity``; a file's versions, and
restoring one, through ``files.admin_versions``. The storage overview page is mounted
on the default admin site at ``/admin/storage/``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from chatui.errors import InvalidInput, StorageUnavailable

from .admin_versions import FileVersionInline, VersionRestoreAdmin
from .api.downloads import download_response
from .content_types import is_inline_safe
from .documents.ops import text_reindex
from .models import ReconcileRun, StoredFile
from .ops.integrity import file_resniff, file_verify
from .ops.overview import storage_overview
from .services import file_delete
from .storage import BlobMissing
from .trash import file_trash, file_untrash
from .versions import VersionNotFound, file_at_version, version_number_parse

MB = 1024 * 1024
MESSAGES_PER_ACTION = 50  # beyond this, one summary line instead of one per file


class SizeBandFilter(admin.SimpleListFilter):
    title = "size"
    parameter_name = "size_band"
    BANDS = {
        "lt1": ("< 1 MB", Q(size__lt=MB)),
        "1to10": ("1-10 MB", Q(size__gte=MB, size__lt=10 * MB)),
        "10to100": ("10-100 MB", Q(size__gte=10 * MB, size__lt=100 * MB)),
        "gt100": ("> 100 MB", Q(size__gte=100 * MB)),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(value, label) for value, (label, _) in self.BANDS.items()]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[StoredFile]
    ) -> QuerySet[StoredFile]:
        band = self.BANDS.get(self.value() or "")
        return queryset.filter(band[1]) if band else queryset


class OwnerEmailFilter(admin.SimpleListFilter):
    """A text box, not a list of every user: type an email (exact) or part of one."""

    title = "owner"
    parameter_name = "owner_email"
    template = "admin/files/text_filter.html"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return []

    def has_output(self) -> bool:
        return True

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[StoredFile]
    ) -> QuerySet[StoredFile]:
        value = (self.value() or "").strip()
        if not value:
            return queryset
        if "@" in value:
            return queryset.filter(owner__email__iexact=value)
        return queryset.filter(owner__email__icontains=value)

    def choices(self, changelist: Any) -> Any:
        hidden = {k: v for k, v in changelist.params.items() if k != self.parameter_name}
        yield {
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "hidden": sorted(hidden.items()),
            "clear_url": changelist.get_query_string(remove=[self.parameter_name]),
        }


class TrashFilter(admin.SimpleListFilter):
    title = "trash"
    parameter_name = "trash"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("in", "In the trash"), ("out", "Not in the trash")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[StoredFile]
    ) -> QuerySet[StoredFile]:
        if self.value() in ("in", "out"):
            return queryset.filter(trashed_at__isnull=self.value() == "out")
        return queryset


TEXT_FIELDS = ["text_status", "text_error", "text_detail", "pages", "words", "text_attempts"]
CONTENT_FIELDS = ["download", "thumbnail", "api_download_url"]
STORAGE_FIELDS = [
    "id",
    "key",
    "size",
    "checksum",
    "etag",
    "content_type",
    "category",
    "source",
    "source_tool",
    "status",
    "status_detail",
    "created_at",
    "version",
    "old_versions_bytes",
    "trashed_at",
]


@admin.register(StoredFile)
class StoredFileAdmin(VersionRestoreAdmin):
    list_display = [
        "owner",
        "filename",
        "human_size",
        "category",
        "source",
        "tool",
        "session_id",
        "status",
        "text_status",
        "version",
        "trashed_at",
        "created_at",
    ]
    list_filter = [
        TrashFilter,
        "source",
        "category",
        OwnerEmailFilter,
        "created_at",
        SizeBandFilter,
        "status",
        "text_status",
        "text_error",
    ]
    search_fields = ["filename", "key", "owner__email"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    actions = [
        "verify_files",
        "resniff_content_type",
        "reindex_text",
        "restore_from_trash",
        "move_to_trash",
    ]
    inlines = [FileVersionInline]
    fieldsets = [
        (None, {"fields": ["filename", "owner", "tags", "tagged", "session_id"]}),
        ("Content", {"fields": CONTENT_FIELDS}),
        ("Text", {"fields": TEXT_FIELDS}),
        ("Storage", {"fields": STORAGE_FIELDS}),
    ]
    # Everything but the editable metadata (first fieldset) is read-only: one list each.
    readonly_fields = ["owner", *CONTENT_FIELDS, *TEXT_FIELDS, *STORAGE_FIELDS]

    # --- Columns and change-page fields --------------------------------------------

    @admin.display(description="size", ordering="size")
    def human_size(self, obj: StoredFile) -> str:
        return filesizeformat(obj.size)

    @admin.display(description="tool", ordering="source_tool")
    def tool(self, obj: StoredFile) -> str:
        return obj.source_tool or "-"

    @admin.display(description="download")
    def download(self, obj: StoredFile) -> str:
        url = reverse("admin:files_storedfile_download", args=[obj.pk])
        return format_html('<a href="{}">Download {}</a> ({})', url, obj.filename, obj.content_type)

    @admin.display(description="preview")
    def thumbnail(self, obj: StoredFile) -> str:
        if not _is_raster_image(obj):
            return "-"  # SVG and everything else: no inline rendering in the admin
        url = reverse("admin:files_storedfile_download", args=[obj.pk]) + "?inline=1"
        return format_html(
            '<img src="{}" alt="{}" style="max-width:240px;max-height:240px">', url, obj.filename
        )

    @admin.display(description="API download URL (the owner's)")
    def api_download_url(self, obj: StoredFile) -> str:
        return reverse("files:download", args=[obj.pk])

    # --- Permissions and delete ----------------------------------------------------

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

    # --- Actions -------------------------------------------------------------------

    @admin.action(description="Restore selected files from the trash", permissions=["change"])
    def restore_from_trash(self, request: HttpRequest, queryset: QuerySet[StoredFile]) -> None:
        restored = [file_untrash(file=f) for f in queryset.filter(trashed_at__isnull=False)]
        self.message_user(request, f"Restored {len(restored)} file(s) from the trash.")

    @admin.action(description="Move selected files to the trash", permissions=["change"])
    def move_to_trash(self, request: HttpRequest, queryset: QuerySet[StoredFile]) -> None:
        moved = [file_trash(file=f) for f in queryset.filter(trashed_at__isnull=True)]
        self.message_user(request, f"Moved {len(moved)} file(s) to the trash.")

    @admin.action(
        description="Verify selected files (blob exists, size, sha256)", permissions=["view"]
    )
    def verify_files(self, request: HttpRequest, queryset: QuerySet[StoredFile]) -> None:
        self._per_file(request, queryset, _verify_one, "verified")

    @admin.action(
        description="Re-sniff the content type from the first bytes", permissions=["change"]
    )
    def resniff_content_type(self, request: HttpRequest, queryset: QuerySet[StoredFile]) -> None:
        self._per_file(request, queryset, _resniff_one, "re-sniffed")

    @admin.action(description="Re-index the text (queue extraction again)", permissions=["change"])
    def reindex_text(self, request: HttpRequest, queryset: QuerySet[StoredFile]) -> None:
        queued = 0
        for file in queryset.order_by("created_at"):
            text_reindex(file=file)
            queued += 1
        self.message_user(request, f"{queued} file(s) queued for text extraction.", messages.INFO)

    def _per_file(
        self,
        request: HttpRequest,
        queryset: QuerySet[StoredFile],
        check: Callable[[StoredFile], tuple[bool, str]],
        verb: str,
    ) -> None:
        """Run ``check`` on each file; a message per file (up to a limit) and a summary."""
        good = bad = 0
        for file in queryset.select_related("owner").order_by("key"):
            try:
                ok, text = check(file)
            except StorageUnavailable as err:
                self.message_user(request, f"Storage failed: {err.message}", messages.ERROR)
                break
            good, bad = good + ok, bad + (not ok)
            if good + bad <= MESSAGES_PER_ACTION:
                level = messages.SUCCESS if ok else messages.ERROR
                self.message_user(request, f"{file.filename} ({file.key}): {text}", level)
        level = messages.WARNING if bad else messages.INFO
        self.message_user(
            request, f"{good + bad} files {verb}: {good} ok, {bad} with problems.", level
        )

    # --- The blob itself, for staff ------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        download = path(
            "<path:object_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name="files_storedfile_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The blob for staff, answered as the owner's download is (same helper, headers)."""
        file = self.get_object(request, unquote(object_id))
        if file is None:
            raise Http404("No such file.")
        if not self.has_view_permission(request, file):
            raise PermissionDenied
        try:
            version = version_number_parse(request.GET.get("version"))
            file = file_at_version(file=file, number=version)
            return download_response(request, file, inline=request.GET.get("inline") == "1")
        except (VersionNotFound, InvalidInput) as err:
            raise Http404(err.message) from err
        except BlobMissing as err:
            raise Http404("The file's blob is missing from storage.") from err
        except StorageUnavailable as err:
            return HttpResponse(err.message, status=503, content_type="text/plain")


def _is_raster_image(file: StoredFile) -> bool:
    """Only what the download view would serve inline: raster bytes named as such."""
    return file.content_type.startswith("image/") and is_inline_safe(
        file.content_type, file.filename
    )


def _verify_one(file: StoredFile) -> tuple[bool, str]:
    result = file_verify(file=file)
    return result.ok, result.detail


def _resniff_one(file: StoredFile) -> tuple[bool, str]:
    before = (file.content_type, file.category)
    try:
        changed = file_resniff(file=file)
    except BlobMissing:
        return False, "the blob is missing from storage"
    if not changed:
        return True, f"unchanged ({file.content_type}, {file.category})"
    return True, f"{before[0]}, {before[1]} -> {file.content_type}, {file.category}"


@admin.register(ReconcileRun)
class ReconcileRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "outcome",
        "applied",
        "scope",
        "rows_checked",
        "blobs_checked",
        "missing_blobs",
        "orphan_blobs",
        "size_mismatches",
        "checksum_mismatches",
        "stale_multipart_uploads",
        "repaired",
    ]
    list_filter = ["outcome", "applied"]
    readonly_fields = [field.name for field in ReconcileRun._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- The storage overview page ------------------------------------------------------


def storage_overview_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("files.view_storedfile"):
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": "Storage overview",
        "overview": storage_overview(),
    }
    return TemplateResponse(request, "admin/files/storage_overview.html", context)


def _with_storage_overview(get_urls: Callable[[], list[Any]]) -> Callable[[], list[Any]]:
    def get_urls_with_overview() -> list[Any]:
        view = admin.site.admin_view(storage_overview_view)  # staff only, else the login
        return [path("storage/", view, name="storage_overview"), *get_urls()]

    return get_urls_with_overview


admin.site.get_urls = _with_storage_overview(admin.site.get_urls)  # type: ignore[method-assign]
from .sharing import admin as sharing_admin  # noqa: E402, F401 (registers the sharing admins)
