"""The file admin's versions: the inline listing them, and restoring one.

Restoring is :func:`files.versions.version_restore`, the service behind
``POST /api/files/{id}/versions/{n}/restore``: the version's bytes become a new
version, so the admin and the owner's API keep one history the same way. A GET shows
what will happen; only the POST (with the CSRF token) changes anything.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from chatui.errors import DomainError

from .models import FileVersion, StoredFile
from .versions import VersionNotFound, version_get, version_restore


class FileVersionInline(admin.TabularInline):
    """Every version, newest first, each downloadable and (but the current one)
    restorable; read-only otherwise (a version is immutable)."""

    model = FileVersion
    extra = 0
    can_delete = False
    ordering = ["-number"]
    classes = ["versions-inline"]  # static/css/admin_versions.css fits it to a phone
    fields = [
        "number",
        "human_size",
        "source",
        "source_tool",
        "tool_run_id",
        "created_at",
        "get",
        "restore",
    ]
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin_versions.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[FileVersion]:
        return super().get_queryset(request).select_related("file")  # "current?" per row

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """The restore column only for staff who may change files (the view asks too)."""
        fields = list(super().get_fields(request, obj))
        if not request.user.has_perm("files.change_storedfile"):
            fields.remove("restore")
        return fields

    @admin.display(description="size")
    def human_size(self, obj: FileVersion) -> str:
        return filesizeformat(obj.size)

    @admin.display(description="download")
    def get(self, obj: FileVersion) -> str:
        url = reverse("admin:files_storedfile_download", args=[obj.file_id])
        return format_html('<a href="{}?version={}">v{}</a>', url, obj.number, obj.number)

    @admin.display(description="restore")
    def restore(self, obj: FileVersion) -> str:
        if obj.number == obj.file.version:
            return "current"
        if obj.file.trashed_at is not None:
            return "-"  # the file comes out of the trash first
        url = reverse("admin:files_storedfile_version_restore", args=[obj.file_id, obj.number])
        return format_html('<a href="{}">Restore v{}…</a>', url, obj.number)


class VersionRestoreAdmin(admin.ModelAdmin):
    """The StoredFile admin's base: ``<id>/versions/<n>/restore/``, a confirmation
    page, then the restore (change permission on the file needed)."""

    def get_urls(self) -> list[URLPattern]:
        restore = path(
            "<path:object_id>/versions/<int:number>/restore/",
            self.admin_site.admin_view(self.version_restore_view),
            name="files_storedfile_version_restore",
        )
        return [restore, *super().get_urls()]

    def version_restore_view(
        self, request: HttpRequest, object_id: str, number: int
    ) -> HttpResponse:
        file = self.get_object(request, unquote(object_id))
        if file is None:
            raise Http404("No such file.")
        if not self.has_change_permission(request, file):
            raise PermissionDenied
        try:
            version = version_get(file=file, number=number)
        except VersionNotFound as err:
            raise Http404(err.message) from err
        back = HttpResponseRedirect(reverse("admin:files_storedfile_change", args=[file.pk]))
        if file.trashed_at is not None:
            self.message_user(
                request, "The file is in the trash: restore it first.", messages.ERROR
            )
            return back
        if request.method != "POST":
            return self._confirm_page(request, file, version)
        try:
            restored = version_restore(file=file, number=number)
        except DomainError as err:
            self.message_user(request, f"v{number} was not restored: {err.message}", messages.ERROR)
            return back
        text = f"Restored v{number} of {file.filename} as v{restored.version}."
        self.message_user(request, text, messages.SUCCESS)
        return back

    def _confirm_page(
        self, request: HttpRequest, file: StoredFile, version: FileVersion
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": f"Restore v{version.number} of {file.filename}",
            "opts": StoredFile._meta,
            "object": file,
            "version": version,
            "next_number": file.version + 1,
        }
        return TemplateResponse(request, "admin/files/version_restore_confirm.html", context)
