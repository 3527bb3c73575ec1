"""Who may read a file besides its owner: the share half of the one "can read" check.

``files.selectors.file_get_readable`` asks the owner first and comes here only for
someone else's file. A user share grants reading while it is not revoked, sharing
with users is on (``FILES_SHARING``), and the file is not in the trash; a tag share
covers whatever files of the owner carry the tag *now*, so tagging or untagging a
file shares or unshares it on the next request.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.db.models.fields.json import HasKey, KeyTextTransform
from django.db.models.lookups import Exact
from django.utils import timezone

from chatui.ids import uuid_or_none

from ..models import StoredFile
from .models import ShareLink, UserShare


def user_sharing_enabled() -> bool:
    return settings.FILES_SHARING in {"all", "users"}


def link_sharing_enabled() -> bool:
    return settings.FILES_SHARING == "all"


def file_is_live(file: StoredFile) -> bool:
    """Not in the trash: a trashed file's shares and links are suspended."""
    return file.trashed_at is None


def tag_matches(tags: dict[str, str], tag: str) -> bool:
    """``tag`` is a tag key (``project``) or a key and value (``project=apollo``)."""
    key, has_value, value = tag.partition("=")
    if key not in tags:
        return False
    return not has_value or tags[key] == value


def live_shares_for(*, recipient: Any) -> Q:
    return Q(recipient=recipient, revoked_at__isnull=True)


def share_granting(*, user: Any, file: StoredFile) -> UserShare | None:
    """The live user share that lets ``user`` read ``file`` (someone else's), or None.

    One indexed query; a tag share is matched against the file's tags as they are now.
    """
    if not user_sharing_enabled() or not file_is_live(file):
        return None
    shares = UserShare.objects.filter(
        live_shares_for(recipient=user), owner_id=file.owner_id
    ).filter(Q(file_id=file.pk) | Q(file__isnull=True))
    for share in shares:
        if share.file_id == file.pk or tag_matches(file.tags, share.tag):
            return share
    return None


def shared_with_condition(*, user: Any) -> Q | None:
    """A filter on StoredFile for every file shared with ``user`` (None: nothing is).

    One query for the user's live shares; the condition itself is evaluated by the
    database, so tag shares follow tag changes.
    """
    if not user_sharing_enabled():
        return None
    shares = list(
        UserShare.objects.filter(live_shares_for(recipient=user)).values_list(
            "owner_id", "file_id", "tag"
        )
    )
    if not shares:
        return None
    condition = Q(pk__in=[file_id for _, file_id, _ in shares if file_id])
    for owner_id, file_id, tag in shares:
        if not file_id:
            condition |= Q(owner_id=owner_id) & _tag_q(tag)
    return condition & ~Q(owner=user) & Q(trashed_at__isnull=True)


def share_owner_ids(*, user: Any) -> list[int]:
    """The owners who share something with ``user`` now (empty: nothing is shared, or
    sharing with users is off): one indexed query. The full-text search needs them,
    since its index is keyed by owner."""
    if not user_sharing_enabled():
        return []
    shares = UserShare.objects.filter(live_shares_for(recipient=user))
    return sorted(set(shares.values_list("owner_id", flat=True)))


def _tag_q(tag: str) -> Q:
    """The database's version of :func:`tag_matches`. Lookup expressions, not
    ``tags__<key>`` keyword lookups: a key named like a lookup (``contains``) or
    holding ``__`` must be a key, never syntax."""
    key, has_value, value = tag.partition("=")
    if has_value:
        return Q(Exact(KeyTextTransform(key, "tags"), value))
    return Q(HasKey(F("tags"), key))


def shared_by_condition(*, user: Any) -> Q:
    """A filter on ``user``'s own files for those a live share or live link points at."""
    shares = UserShare.objects.filter(owner=user, revoked_at__isnull=True)
    links = ShareLink.objects.filter(owner=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    condition = Q(pk__in=shares.filter(file__isnull=False).values("file_id"))
    condition |= Q(pk__in=links.values("file_id"))
    for tag in set(shares.filter(file__isnull=True).values_list("tag", flat=True)):
        condition |= _tag_q(tag)
    return condition


def files_shared_among(*, owner: Any, file_ids: list[Any]) -> set[Any]:
    """Those of ``owner``'s ``file_ids`` that a live share or live link points at (a
    file shared by tag counts while it carries the tag): two queries however many."""
    if not file_ids:
        return set()
    mine = StoredFile.objects.filter(owner=owner, pk__in=file_ids)
    return set(mine.filter(shared_by_condition(user=owner)).values_list("pk", flat=True))


def files_readable_ids(*, user: Any, file_ids: list[Any]) -> QuerySet[StoredFile]:
    """The ids among ``file_ids`` that ``user`` may read now (owned, or shared with them;
    never trashed), as a subquery: what the readers of extracted text filter chunks by,
    instead of by owner, so a shared file's text reads as its file does and a revoked
    share stops it on the next call. No audit row: the callers read files that came
    through ``files.selectors.files_readable_among`` (or ``files_get_readable``),
    which wrote it."""
    parsed = [file_id for file_id in map(uuid_or_none, file_ids) if file_id is not None]
    return files_readable(user=user).filter(pk__in=parsed).values("pk")


def files_readable(*, user: Any) -> QuerySet[StoredFile]:
    """Every file ``user`` may read now: their own and those shared with them (by file
    or by tag, live shares only), none in the trash. Unordered; one query to build
    (the user's live shares), the rest is the database's."""
    condition = Q(owner=user)
    shared = shared_with_condition(user=user)
    if shared is not None:
        condition |= shared
    return StoredFile.objects.filter(condition, trashed_at=None)
