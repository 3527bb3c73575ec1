"""A record of every tool run, for the admin and for linking generated files to
the chat message that asked for them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ToolRun(models.Model):
    class Status(models.TextChoices):
        SUCCESS = "success", "Success"
        ERROR = "error", "Error"
        TIMEOUT = "timeout", "Timeout"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tool_runs"
    )
    tool_name = models.CharField(max_length=100)
    arguments = models.JSONField(
        default=dict, blank=True, help_text="As given: file ids and names, never file contents."
    )
    status = models.CharField(max_length=8, choices=Status.choices)
    duration_ms = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    files = models.ManyToManyField("files.StoredFile", blank=True, related_name="tool_runs")
    # Plain ids, not foreign keys: runs are recorded whether or not a chat asked for
    # them, and tools must not depend on chat's models (or migrations).
    session_id = models.UUIDField(null=True, blank=True, db_index=True)
    message_id = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="toolrun_user_recent"),
            models.Index(fields=["tool_name", "status"], name="toolrun_tool_status"),
        ]

    def __str__(self) -> str:
        return f"{self.tool_name} ({self.status})"
