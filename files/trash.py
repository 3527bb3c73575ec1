"""The trash: deleting a file moves it here for ``FILES_TRASH_DAYS``; restore or purge.

A file in the trash keeps its row, its versions and their objects (they still count
against the quota); the selectors hide it from every door but the Trash view.
Purging is :func:`files.services.file_delete` (every object, then the row).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from chatui.models import User

from .documents.index import chunks_searchable_update
from .models import StoredFile


@transaction.atomic
def file_trash(*, file: StoredFile) -> StoredFile:
    """Move to the trash (the objects stay). Nothing else about the file changes but
    its text leaving the search index: every selector (listing, chat context, shares,
    tag searches) leaves out a trashed file, so it is out of every chat while its tags,
    ``tagged``, message links and shares wait, unchanged, for :func:`file_untrash`."""
    file.trashed_at = timezone.now()
    file.save(update_fields=["trashed_at"])
    chunks_searchable_update(file=file)
    return file


@transaction.atomic
def file_untrash(*, file: StoredFile) -> StoredFile:
    """Back as it was: tagged files are in every chat's context again, shares resume,
    its current text is searched again."""
    file.trashed_at = None
    file.save(update_fields=["trashed_at"])
    chunks_searchable_update(file=file)
    return file


def trash_list_for_user(*, user: User) -> QuerySet[StoredFile]:
    return user.stored_files.filter(trashed_at__isnull=False).order_by("-trashed_at", "-id")


def trash_purge_after(trashed_at: Any) -> Any:
    """When a file trashed at ``trashed_at`` is purged."""
    return trashed_at + timedelta(days=settings.FILES_TRASH_DAYS) if trashed_at else None


def file_kept_reasons(
    *, file: StoredFile, session_id: Any, used_by_other_chat: bool = False, shared: bool = False
) -> list[str]:
    """Why deleting chat ``session_id`` keeps ``file`` (empty: it goes to the trash).

    ``tagged`` (in every chat), ``made_elsewhere`` (uploaded outside this chat, only
    attached to it), ``used_by_other_chat`` (a message of another chat carries it;
    the caller knows messages, files does not), ``shared`` (a live user share or
    share link points at it: :func:`files.sharing.access.files_shared_among`).
    """
    reasons = []
    if file.tagged:
        reasons.append("tagged")
    if file.session_id != session_id:
        reasons.append("made_elsewhere")
    if used_by_other_chat:
        reasons.append("used_by_other_chat")
    if shared:
        reasons.append("shared")
    return reasons


def file_is_kept(*, file: StoredFile, session_id: Any, used_by_other_chat: bool = False) -> bool:
    return bool(
        file_kept_reasons(file=file, session_id=session_id, used_by_other_chat=used_by_other_chat)
    )
