"""The sharing audit log: one ``ShareAccess`` row per read through a link or a share."""

from __future__ import annotations

from typing import Any

from ..models import StoredFile
from .models import ShareAccess, ShareLink, UserShare


def share_access_record(
    *,
    file: StoredFile,
    action: str,
    ip: str | None,
    share: UserShare | None = None,
    link: ShareLink | None = None,
    user: Any = None,
) -> ShareAccess:
    return ShareAccess.objects.create(
        share=share,
        link=link,
        user=user if getattr(user, "is_authenticated", False) else None,
        file_id=file.pk,
        ip_address=ip or None,
        action=action,
    )


def client_ip(request: Any) -> str | None:
    """The address the audit log records (the server's own view: ``REMOTE_ADDR``)."""
    return request.META.get("REMOTE_ADDR") or None
