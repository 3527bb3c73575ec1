"""Chat admin: sessions by owner and recency, each with its messages (read-only:
the admin inspects conversations, it does not rewrite them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from chat.models import ChatSession, Message


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["created_at", "role", "status", "content", "tool_calls"]
    readonly_fields = fields
    ordering = ["created_at"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "updated_at", "created_at"]
    list_filter = ["updated_at"]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__email"]
    ordering = ["-updated_at"]
    readonly_fields = ["id", "owner", "created_at", "updated_at"]
    inlines = [MessageInline]
