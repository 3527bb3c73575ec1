"""Chat sessions and their messages."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ChatSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_sessions"
    )
    title = models.CharField(max_length=200, blank=True)
    # The last message of the branch on show: the conversation is the path from it to
    # the first message through ``Message.parent`` (edits and regenerations branch).
    leaf = models.ForeignKey(
        "chat.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["owner", "-updated_at"], name="chat_session_owner_recent")]

    def __str__(self) -> str:
        return self.title or f"Chat {self.id}"


class Message(models.Model):
    """One turn of a conversation.

    An assistant message's ``tool_calls`` records every tool the model called while
    writing it: ``[{"id", "name", "arguments", "result", "file_ids", "error"}]``, so the
    history can show what ran without a join to the tool-run records. ``files`` holds
    what the user attached to a user message, and what tools generated for an
    assistant message. ``file_versions`` records the exact versions the message
    used, ``[{"file_id", "version"}]``: attached, tagged, retrieved, tool inputs and
    outputs; an old answer opens the version it read, even after newer ones.
    assistant message. An assistant message's ``citations`` are the document passages
    its answer was given (or, offline, quoted): ``[{"file_id", "filename", "page",
    "snippet"}]``, so a reload shows the same chips.
    """

    class Role(models.TextChoices):
        USER = "user"
        ASSISTANT = "assistant"
        TOOL = "tool"
        SYSTEM = "system"

    class Status(models.TextChoices):
        COMPLETE = "complete"
        STOPPED = "stopped"
        ERROR = "error"
        STREAMING = "streaming"
        INTERRUPTED = "interrupted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True)
    tool_calls = models.JSONField(default=list, blank=True)
    citations = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COMPLETE)
    files = models.ManyToManyField("files.StoredFile", blank=True, related_name="messages")
    file_versions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["session", "created_at"], name="chat_message_session_time")]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"
