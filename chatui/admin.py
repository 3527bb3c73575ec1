"""Users in the admin, with what each stores: file count, bytes, quota (annotated in
the changelist query, no query per row), and an inline of their largest files.
Deleting a user deletes their files' blobs first, as deleting a file does."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from rest_framework.authtoken.admin import TokenAdmin as DrfTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from chatui.errors import StorageUnavailable
from files.models import StoredFile
from files.selectors import users_with_file_totals
from files.services import files_delete_for_user, user_quota_bytes

from .models import User

LARGEST_FILES = 20


class _LargestFilesFormSet(BaseInlineFormSet):
    """The owner's files, largest first, cut after the filter the inline applies."""

    def get_queryset(self) -> QuerySet[StoredFile]:
        if not hasattr(self, "_largest"):
            self._largest = super().get_queryset().order_by("-size", "id")[:LARGEST_FILES]
        return self._largest


class LargestFilesInline(admin.TabularInline):
    model = StoredFile
    fk_name = "owner"
    formset = _LargestFilesFormSet
    fields = ["filename", "human_size", "category", "source", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = f"largest files (top {LARGEST_FILES})"

    @admin.display(description="size")
    def human_size(self, obj: StoredFile) -> str:
        return filesizeformat(obj.size)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "name",
        "is_staff",
        "is_active",
        "file_count",
        "bytes_stored",
        "quota",
        "storage_quota_mb",
        "date_joined",
    ]
    list_editable = ["storage_quota_mb"]
    search_fields = ["email", "name"]
    inlines = [LargestFilesInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "storage_quota_mb")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return users_with_file_totals(super().get_queryset(request))

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        """The user's blobs first (the cascade would leave them in the bucket)."""
        files_delete_for_user(user=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """The bulk "Delete selected" action: user by user, each one's blobs first."""
        deleted = 0
        try:
            for user in queryset:
                files_delete_for_user(user=user)
                user.delete()
                deleted += 1
        except StorageUnavailable as err:
            self.message_user(request, f"Stopped after {deleted}: {err.message}", messages.ERROR)

    @admin.display(description="files", ordering="file_count")
    def file_count(self, obj: User) -> int:
        return obj.file_count

    @admin.display(description="stored", ordering="bytes_stored")
    def bytes_stored(self, obj: User) -> str:
        return filesizeformat(obj.bytes_stored)

    @admin.display(description="quota use")
    def quota(self, obj: User) -> str:
        quota = user_quota_bytes(obj)
        source = "override" if obj.storage_quota_mb is not None else "default"
        if not quota:
            return f"unlimited ({source})"
        return f"{obj.bytes_stored / quota:.0%} of {filesizeformat(quota)} ({source})"


# DRF's token admin searches ``user__username``, which this user model does not have:
# every search on the tokens page was a 500 (FieldError). Search by email instead.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(DrfTokenAdmin):
    search_fields = ("user__email",)
    search_help_text = "Email"
