"""Sharing, kept apart from ownership: a file's owner never changes when it is shared.

``ShareLink`` lets anyone holding its token read one file (no account); only the
token's sha256 is stored, so a database leak does not hand out working links.
``UserShare`` lets another user of this instance read one file, or every file of
the owner's carrying a tag, for as long as it is not revoked. ``ShareAccess`` is the
audit log: one row per read through a link or a user share.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class ShareLink(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links"
    )
    file = models.ForeignKey(
        "files.StoredFile", on_delete=models.CASCADE, related_name="share_links"
    )
    token_hash = models.CharField(max_length=64, unique=True, help_text="sha256 of the token, hex")
    password = models.CharField(max_length=128, blank=True, help_text="Django password hash")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    max_downloads = models.PositiveIntegerField(null=True, blank=True)
    pinned_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="Serve this version; empty: follow the latest."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    visits = models.PositiveIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "files"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="sharelink_owner_created"),
            models.Index(fields=["expires_at"], name="sharelink_expires"),
        ]

    def __str__(self) -> str:
        return f"link to {self.file_id}"

    @property
    def has_password(self) -> bool:
        return bool(self.password)


class UserShare(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares_given"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shares_received"
    )
    file = models.ForeignKey(
        "files.StoredFile",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="user_shares",
    )
    tag = models.CharField(
        max_length=200, blank=True, help_text="Every file of the owner with this tag key."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "files"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "revoked_at"], name="usershare_recipient"),
            models.Index(fields=["owner", "-created_at"], name="usershare_owner_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(file__isnull=False) & Q(tag="")) | (Q(file__isnull=True) & ~Q(tag="")),
                name="usershare_file_xor_tag",
            ),
            models.CheckConstraint(
                condition=~Q(owner=models.F("recipient")), name="usershare_not_with_self"
            ),
        ]

    def __str__(self) -> str:
        what = f"tag {self.tag}" if self.tag else f"file {self.file_id}"
        return f"{what} with {self.recipient_id}"


class ShareAccess(models.Model):
    class Action(models.TextChoices):
        VISIT = "visit", "Opened the link page"
        DOWNLOAD = "download", "Downloaded"
        PREVIEW = "preview", "Previewed"
        READ = "read", "Read (metadata, text, chat or tool)"
        PASSWORD_FAILED = "password_failed", "Wrong password"

    id = models.BigAutoField(primary_key=True)
    link = models.ForeignKey(
        ShareLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="accesses"
    )
    share = models.ForeignKey(
        UserShare, on_delete=models.SET_NULL, null=True, blank=True, related_name="accesses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    file_id = models.UUIDField(help_text="Kept after the file is deleted.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        app_label = "files"
        ordering = ["-at"]
        verbose_name_plural = "share accesses"

    def __str__(self) -> str:
        return f"{self.action} {self.file_id} at {self.at:%Y-%m-%d %H:%M}"
