"""Sharing in the admin: every link and user share, with a revoke action; the audit
log read-only. Imported by ``files/admin.py`` (the module Django autodiscovers)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import ShareAccess, ShareLink, UserShare


class RevokeOnlyAdmin(admin.ModelAdmin):
    """Read-only rows with one action, revoke: a share's history stays in the table."""

    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a link's token is shown once, to its owner: created in the app only

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"files.change_{self.model._meta.model_name}")


@admin.register(ShareLink)
class ShareLinkAdmin(RevokeOnlyAdmin):
    list_display = [
        "file",
        "owner",
        "created_at",
        "expires_at",
        "visits",
        "downloads",
        "revoked_at",
    ]
    list_filter = ["revoked_at", "created_at"]
    list_select_related = ["file", "owner"]
    search_fields = ["owner__email", "file__filename"]
    readonly_fields = [field.name for field in ShareLink._meta.concrete_fields]

    @admin.action(description="Revoke the selected links", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ShareLink]) -> None:
        for link in queryset:
            services.link_revoke(link=link)
        self.message_user(request, f"Revoked {queryset.count()} link(s).", messages.SUCCESS)


@admin.register(UserShare)
class UserShareAdmin(RevokeOnlyAdmin):
    list_display = ["__str__", "owner", "recipient", "file", "tag", "created_at", "revoked_at"]
    list_filter = ["revoked_at", "created_at"]
    list_select_related = ["owner", "recipient", "file"]
    search_fields = ["owner__email", "recipient__email", "file__filename", "tag"]
    readonly_fields = [field.name for field in UserShare._meta.concrete_fields]

    @admin.action(description="Revoke the selected shares", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[UserShare]) -> None:
        for share in queryset:
            services.share_revoke(share=share)
        self.message_user(request, f"Revoked {queryset.count()} share(s).", messages.SUCCESS)


@admin.register(ShareAccess)
class ShareAccessAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "file_id", "user", "link", "share", "ip_address"]
    list_filter = ["action", "at"]
    list_select_related = ["user", "link", "share"]
    search_fields = ["user__email", "ip_address"]
    readonly_fields = [field.name for field in ShareAccess._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the audit log is kept whole
