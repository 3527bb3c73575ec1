"""Tool runs in the admin: a read-only log to see what ran, for whom, and how it went."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ToolRun


@admin.register(ToolRun)
class ToolRunAdmin(admin.ModelAdmin):
    list_display = ("tool_name", "user", "status", "duration_ms", "error_code", "created_at")
    list_filter = ("tool_name", "status")
    search_fields = ("tool_name", "user__email", "error_code", "=message_id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in ToolRun._meta.get_fields() if field.concrete]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser  # housekeeping only; runs are otherwise immutable
