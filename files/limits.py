"""Upload limits: the largest file (``FILES_MAX_UPLOAD_MB``) and each user's quota.

Read by the upload services (checked early by size or ``Content-Length``, and again
inside the transaction that inserts the row) and by the stats selectors.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, Sum

from chatui.errors import FileTooLarge, QuotaExceeded
from chatui.models import User

from .models import StoredFile

MIB = 1024 * 1024


def max_upload_bytes() -> int:
    return settings.FILES_MAX_UPLOAD_MB * MIB


def user_quota_bytes(user: User) -> int:
    """The user's quota in bytes; 0 means unlimited (per-user override wins)."""
    quota_mb = user.storage_quota_mb
    if quota_mb is None:
        quota_mb = settings.FILES_USER_QUOTA_MB
    return quota_mb * MIB


def _used_bytes(user: User) -> int:
    """Every version of every file, the trash included, counts until it is purged."""
    files = StoredFile.objects.filter(owner=user)
    total = files.aggregate(total=Sum(F("size") + F("old_versions_bytes")))["total"]
    return total or 0


def check_quota(user: User, incoming: int) -> None:
    quota = user_quota_bytes(user)
    if not quota:
        return
    used = _used_bytes(user)
    if used + incoming > quota:
        raise QuotaExceeded(quota_bytes=quota, used_bytes=used, upload_bytes=incoming)


def check_upload_size(size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        message = f"Files may be at most {settings.FILES_MAX_UPLOAD_MB} MB."
        raise FileTooLarge(message, max_bytes=limit)
