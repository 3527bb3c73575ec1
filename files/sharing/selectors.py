"""Reads of sharing for the owner (their links and shares) and for the recipient."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from chatui.errors import NotFound
from chatui.ids import uuid_or_none

from .models import ShareLink, UserShare


def link_list_for_owner(*, owner: Any, file_id: UUID | None = None) -> QuerySet[ShareLink]:
    links = ShareLink.objects.filter(owner=owner).select_related("file")
    return links.filter(file_id=file_id) if file_id else links


def link_get_for_owner(*, owner: Any, link_id: UUID | str) -> ShareLink:
    parsed = uuid_or_none(link_id)
    link = ShareLink.objects.filter(owner=owner, pk=parsed).first() if parsed else None
    if link is None:
        raise NotFound("Link not found.")
    return link


def share_list_for_owner(
    *, owner: Any, file_id: UUID | None = None, live: bool | None = None
) -> QuerySet[UserShare]:
    shares = UserShare.objects.filter(owner=owner).select_related("recipient", "file")
    if file_id:
        shares = shares.filter(file_id=file_id)
    if live is not None:
        shares = shares.filter(revoked_at__isnull=live)
    return shares


def share_list_for_recipient(*, recipient: Any) -> QuerySet[UserShare]:
    return UserShare.objects.filter(recipient=recipient, revoked_at__isnull=True).select_related(
        "owner", "file"
    )


def share_get_for_owner(*, owner: Any, share_id: UUID | str) -> UserShare:
    parsed = uuid_or_none(share_id)
    share = UserShare.objects.filter(Q(owner=owner), pk=parsed).first() if parsed else None
    if share is None:
        raise NotFound("Share not found.")
    return share
