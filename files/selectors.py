"""Reads from the file store. All of them answer from the database alone (no S3 call)."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce

from chatui.errors import FileNotFound, Forbidden, InvalidInput, NotFound
from chatui.ids import uuid_or_none
from chatui.models import User

from .keys import key_belongs_to
from .models import StoredFile
from .names import name_contains, name_index_candidates, owned_by
from .services import user_quota_bytes
from .sharing.access import (
    files_readable,
    share_granting,
    shared_by_condition,
    shared_with_condition,
)
from .sharing.audit import share_access_record

ORDERINGS = ("created_at", "-created_at", "filename", "-filename", "size", "-size")


def file_get_for_user(
    *, user: User, file_id: UUID | str, include_trashed: bool = False
) -> StoredFile:
    """The user's file, or FileNotFound (also for other users' files, bad ids and,
    unless ``include_trashed``, files in the trash).

    Ownership is checked twice: the row's owner, and that its key lies under the
    owner's prefix, so a corrupted row cannot expose another user's blob.
    """
    parsed = uuid_or_none(file_id)
    if parsed is None or not getattr(user, "is_authenticated", False):
        raise FileNotFound()
    files = StoredFile.objects.select_related("owner").filter(pk=parsed, owner=user)
    if not include_trashed:
        files = files.filter(trashed_at__isnull=True)
    file = files.first()
    if file is None or not key_belongs_to(file.key, user.email):
        raise FileNotFound()
    return file


def files_get_for_user(*, user: User, file_ids: list[UUID | str]) -> list[StoredFile]:
    """The user's files for ``file_ids``, in that order, in one query; the same checks
    as :func:`file_get_for_user`, and FileNotFound if any one of them fails."""
    parsed = [uuid_or_none(file_id) for file_id in file_ids]
    if None in parsed or not getattr(user, "is_authenticated", False):
        raise FileNotFound()
    rows = StoredFile.objects.select_related("owner").filter(
        pk__in=parsed, owner=user, trashed_at__isnull=True
    )
    by_id = {file.pk: file for file in rows}
    files = []
    for file_id in parsed:
        file = by_id.get(file_id)
        if file is None or not key_belongs_to(file.key, user.email):
            raise FileNotFound()
        files.append(file)
    return files


def file_get_readable(
    *, user: User, file_id: UUID | str, action: str = "read", ip: str | None = None
) -> StoredFile:
    """The one "can read" check: ``file_id`` if ``user`` owns it or it is shared with
    them (a live user share, by file or by tag), else FileNotFound, exactly as for a
    missing file. Only the owner may change it: that is :func:`file_get_for_user`.

    A read through a share is written to the audit log (``action``, ``ip``): the log
    is part of the grant, so no door can read through a share without leaving a row.
    """
    return files_get_readable(user=user, file_ids=[file_id], action=action, ip=ip)[0]


def files_get_readable(
    *, user: User, file_ids: list[UUID | str], action: str = "read", ip: str | None = None
) -> list[StoredFile]:
    """:func:`file_get_readable` for several ids, in their order: one query when the
    user owns them all, plus one per file read through a share; none for no ids (every
    chat message asks, most with no file)."""
    parsed = [uuid_or_none(file_id) for file_id in file_ids]
    if None in parsed or not getattr(user, "is_authenticated", False):
        raise FileNotFound()
    if not parsed:
        return []
    rows = StoredFile.objects.select_related("owner").filter(pk__in=parsed, trashed_at=None)
    by_id = {file.pk: file for file in rows}
    files = []
    for file_id in parsed:
        file = by_id.get(file_id)
        if file is None or not key_belongs_to(file.key, file.owner.email):
            raise FileNotFound()
        if file.owner_id != user.pk:
            share = share_granting(user=user, file=file)
            if share is None:
                raise FileNotFound()
            share_access_record(share=share, user=user, file=file, action=action, ip=ip)
        files.append(file)
    return files


def files_readable_among(
    *, user: User, files: list[StoredFile], action: str = "read", ip: str | None = None
) -> list[StoredFile]:
    """Those of ``files`` that ``user`` may read now, in order (the chat's context asks
    before every reply, so a revoked share drops out of the very next one). Reads
    through a share are audited as in :func:`files_get_readable`."""
    readable = []
    for file in files:
        if file.owner_id == user.pk:
            readable.append(file)
            continue
        share = share_granting(user=user, file=file)
        if share is not None and key_belongs_to(file.key, file.owner.email):
            share_access_record(share=share, user=user, file=file, action=action, ip=ip)
            readable.append(file)
    return readable


def file_list_for_user(
    *,
    user: User,
    source: str | None = None,
    category: str | None = None,
    q: str | None = None,
    tagged: bool | None = None,
    session_id: UUID | None = None,
    ordering: str = "-created_at",
    checksum: str | None = None,
    shared: str | None = None,
) -> QuerySet[StoredFile]:
    """The user's files, filtered and ordered (``checksum``: the same sha256, to find
    duplicates); invalid choices raise InvalidInput. ``shared="with_me"`` lists other
    users' files shared with ``user`` instead, ``"by_me"`` the user's files that a live
    share or link points at."""
    if shared == "with_me":
        return _shared_with_me(user=user, ordering=ordering, q=q, category=category, source=source)
    if shared == "by_me":
        condition = shared_by_condition(user=user)
    elif shared:
        raise InvalidInput("shared must be with_me or by_me.", field="shared")
    # Owner alone decides (the key prefix is a model invariant, checked on every
    # single-file read); a key filter here would defeat the index-only count.
    # Through the reverse manager every row gets ``user`` itself as its owner: no join,
    # and no User built per row (select_related did both, a third of a page's cost).
    else:
        condition = Q()
    candidates = name_index_candidates(q)
    condition &= _filters(
        source=source,
        category=category,
        q=q,
        tagged=tagged,
        checksum=checksum,
        candidates=candidates,
    )
    owned = user.stored_files if candidates is None else owned_by(user)
    files = owned.filter(condition, trashed_at__isnull=True)
    if session_id is not None:
        files = files.filter(session_id=session_id)
    return files.order_by(*_ordering(ordering))


def _shared_with_me(
    *, user: User, ordering: str, q: str | None, category: str | None, source: str | None
) -> QuerySet[StoredFile]:
    condition = shared_with_condition(user=user)
    if condition is None:
        return StoredFile.objects.none()
    condition &= _filters(source=source, category=category, q=q, tagged=None)
    files = StoredFile.objects.filter(condition).select_related("owner")
    return files.order_by(*_ordering(ordering))


def _filters(
    *,
    source: str | None,
    category: str | None,
    q: str | None,
    tagged: bool | None,
    checksum: str | None = None,
    candidates: RawSQL | None = None,
) -> Q:
    condition = Q(checksum=checksum) if checksum else Q()
    if source:
        _require_choice("source", source, StoredFile.Source.values)
        condition &= Q(source=source)
    if category:
        _require_choice("category", category, StoredFile.Category.values)
        condition &= Q(category=category)
    if q:
        condition &= name_contains(q, candidates)
    if tagged is not None:
        condition &= Q(tagged=tagged)
    return condition


def _ordering(ordering: str) -> list[str]:
    """A stable order: ties (same second, same name) broken by id."""
    _require_choice("ordering", ordering, ORDERINGS)
    tie_breaker = "-id" if ordering.startswith("-") else "id"
    return [ordering, tie_breaker]


def _require_choice(name: str, value: str, allowed: Any) -> None:
    if value not in allowed:
        raise InvalidInput(f"{name} must be one of: {', '.join(allowed)}.", field=name)


def user_file_stats(*, user: User) -> dict[str, Any]:
    """Counts and sizes for the user's files, and how much of the quota they use.

    ``total_*`` and the counts are the files in use (not in the trash), at their
    current version; the quota counts every version of every file, the trash
    included: ``quota_used = current_bytes + old_versions_bytes + trash_bytes``.
    """
    files = StoredFile.objects.filter(owner=user, trashed_at__isnull=True)
    totals = files.aggregate(
        total_files=Count("id"),
        total_size=Sum("size"),
        old_versions_bytes=Sum("old_versions_bytes"),
        upload_count=Count("id", filter=Q(source=StoredFile.Source.USER)),
        generated_count=Count("id", filter=Q(source=StoredFile.Source.TOOL)),
    )
    trash = StoredFile.objects.filter(owner=user, trashed_at__isnull=False).aggregate(
        count=Count("id"), bytes=Sum(F("size") + F("old_versions_bytes"))
    )
    total_size = totals["total_size"] or 0
    old_versions = totals["old_versions_bytes"] or 0
    trash_bytes = trash["bytes"] or 0
    used = total_size + old_versions + trash_bytes
    quota = user_quota_bytes(user)
    return {
        "total_files": totals["total_files"],
        "total_size": total_size,
        "upload_count": totals["upload_count"],
        "generated_count": totals["generated_count"],
        "current_bytes": total_size,
        "old_versions_bytes": old_versions,
        "trash_files": trash["count"],
        "trash_bytes": trash_bytes,
        "quota_bytes": quota,
        "quota_used": used,
        "quota_used_fraction": round(used / quota, 6) if quota else 0.0,
        "by_category": _by_category(files),
    }


def _by_category(files: QuerySet[StoredFile]) -> dict[str, dict[str, int]]:
    stats = {value: {"count": 0, "size": 0} for value in StoredFile.Category.values}
    rows = files.values("category").annotate(count=Count("id"), size=Sum("size"))
    for row in rows:
        stats[row["category"]] = {"count": row["count"], "size": row["size"] or 0}
    return stats


def stats_subject_for(*, requester: User, email: str) -> User:
    """Whose stats ``requester`` may see: their own, or anyone's for staff."""
    if email.strip().lower() == requester.email.lower():
        return requester
    if not requester.is_staff:
        raise Forbidden("You can only see your own file statistics.")
    subject = User.objects.filter(email__iexact=email.strip()).first()
    if subject is None:
        raise NotFound("No such user.")
    return subject


# --- Operations (admin, files_stats) ------------------------------------------------


def users_with_file_totals(users: QuerySet[User] | None = None) -> QuerySet[User]:
    """Users annotated with ``file_count``, ``bytes_stored`` (every version, the trash
    included: what the quota counts), ``current_bytes``, ``old_versions_bytes``,
    ``trash_bytes``, ``upload_count`` and ``generated_count``: one grouped query,
    however many users are listed. Counts are of files not in the trash."""
    users = User.objects.all() if users is None else users
    in_use = Q(stored_files__trashed_at__isnull=True)
    trashed = Q(stored_files__trashed_at__isnull=False)
    return users.annotate(
        file_count=Count("stored_files", filter=in_use),
        bytes_stored=Coalesce(
            Sum(F("stored_files__size") + F("stored_files__old_versions_bytes")), 0
        ),
        current_bytes=Coalesce(Sum("stored_files__size", filter=in_use), 0),
        old_versions_bytes=Coalesce(Sum("stored_files__old_versions_bytes", filter=in_use), 0),
        trash_bytes=Coalesce(
            Sum(F("stored_files__size") + F("stored_files__old_versions_bytes"), filter=trashed),
            0,
        ),
        upload_count=Count(
            "stored_files", filter=in_use & Q(stored_files__source=StoredFile.Source.USER)
        ),
        generated_count=Count(
            "stored_files", filter=in_use & Q(stored_files__source=StoredFile.Source.TOOL)
        ),
    )


def user_storage_rows(*, user: User | None = None) -> list[dict[str, Any]]:
    """One row per user (or just ``user``) with counts, bytes and quota use, most bytes first."""
    users = users_with_file_totals(User.objects.filter(pk=user.pk) if user else None)
    rows = []
    for subject in users.order_by("-bytes_stored", "email"):
        quota = user_quota_bytes(subject)
        rows.append(
            {
                "email": subject.email,
                "files": subject.file_count,
                "bytes": subject.bytes_stored,
                "current_bytes": subject.current_bytes,
                "old_versions_bytes": subject.old_versions_bytes,
                "trash_bytes": subject.trash_bytes,
                "uploads": subject.upload_count,
                "generated": subject.generated_count,
                "quota_bytes": quota,
                "quota_used_fraction": round(subject.bytes_stored / quota, 6) if quota else None,
            }
        )
    return rows


TAG_NAME_CHARS = re.compile(r"[A-Za-z0-9_][\w.-]{0,63}")  # what ``#name`` in a message can name


def file_tag_names_for_user(*, user: User, prefix: str = "", limit: int = 20) -> list[dict]:
    """The tag names (keys of ``tags``) on the files the user may read, their own and
    those shared with them (what ``#name`` in a message brings, see
    ``files.documents.retrieve.files_with_tag``), that start with ``prefix`` (any case)
    and can be written as ``#name``: most used first, then by name, each with how many
    files carry it and ``shared_by``, the other owners' emails among them (empty: only
    the user's own files). Read in Python: the JSON key listing differs between SQLite
    and PostgreSQL, and tags are at most 50 per file."""
    counts: dict[str, int] = {}
    sharers: dict[str, set[int]] = {}
    wanted = prefix.lower()
    files = files_readable(user=user).order_by().exclude(tags={})  # never the trash
    for tags, owner_id in files.values_list("tags", "owner_id").iterator():
        for name in tags if isinstance(tags, dict) else ():
            if name.lower().startswith(wanted) and TAG_NAME_CHARS.fullmatch(name):
                counts[name] = counts.get(name, 0) + 1
                if owner_id != user.pk:
                    sharers.setdefault(name, set()).add(owner_id)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0].lower()))[:limit]
    others = {owner for name, _ in ranked for owner in sharers.get(name, ())}
    emails = dict(User.objects.filter(pk__in=others).values_list("pk", "email")) if others else {}
    return [
        {
            "name": name,
            "files": files,
            "shared_by": sorted(emails[owner] for owner in sharers.get(name, ())),
        }
        for name, files in ranked
    ]
