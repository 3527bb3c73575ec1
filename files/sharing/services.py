"""Writes of sharing: create and revoke links and user shares, and open a link.

A link's token is shown once, at creation; the database keeps its sha256 only, so
the lookup by hash is an indexed equality and the final comparison is
``hmac.compare_digest``. Passwords are hashed with Django's password hashers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from chatui.errors import InvalidInput, LinkGone, NotFound, SharingDisabled
from chatui.login_throttle import password_attempt_check, password_attempt_failed
from chatui.models import User
from chatui.text import text_check

from ..models import StoredFile
from ..versions import VersionNotFound, file_at_version
from .access import file_is_live, link_sharing_enabled, user_sharing_enabled
from .audit import client_ip, share_access_record
from .models import ShareAccess, ShareLink, UserShare

TOKEN_BYTES = 32  # 256 bits of randomness
MIN_EXPIRY_S = 3600
PASSWORD_MAX_CHARS = 200
TAG_MAX_CHARS = 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# --- Links ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewLink:
    link: ShareLink
    token: str  # shown once: only its hash is stored


def link_create(
    *,
    file: StoredFile,
    expires_in: int | None,
    password: str = "",
    max_downloads: int | None = None,
    pin_version: bool = False,
) -> NewLink:
    """A new link to ``file`` (the caller checked that its user owns it)."""
    if not link_sharing_enabled():
        raise SharingDisabled("Public share links are turned off on this server.")
    if not file_is_live(file):
        raise NotFound("File not found.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ShareLink.objects.create(
        owner=file.owner,
        file=file,
        token_hash=token_hash(token),
        password=_password_hash(password),
        expires_at=_expiry(expires_in),
        max_downloads=max_downloads,
        pinned_version=_current_version(file) if pin_version else None,
    )
    return NewLink(link=link, token=token)


def _expiry(expires_in: int | None) -> Any:
    longest = settings.FILES_SHARE_LINK_MAX_DAYS * 86400
    if expires_in is None:
        if not settings.FILES_SHARE_LINK_ALLOW_NEVER:
            raise InvalidInput(
                f"Links must expire within {settings.FILES_SHARE_LINK_MAX_DAYS} days.",
                field="expires_in",
            )
        return None
    if not MIN_EXPIRY_S <= expires_in <= longest:
        raise InvalidInput(
            f"expires_in must be between {MIN_EXPIRY_S} and {longest} seconds.",
            field="expires_in",
        )
    return timezone.now() + timedelta(seconds=expires_in)


def _password_hash(password: str) -> str:
    if not password:
        return ""
    text_check(password, field="password")
    if len(password) > PASSWORD_MAX_CHARS:
        raise InvalidInput(f"A password has at most {PASSWORD_MAX_CHARS} characters.")
    return make_password(password)


def _current_version(file: StoredFile) -> int:
    return file.version


def link_file(link: ShareLink) -> StoredFile:
    """The file as the link serves it: the current version, or the pinned one (through
    ``files.versions.file_at_version``, so the one download path serves it); LinkGone
    once the pinned version no longer exists."""
    try:
        return file_at_version(file=link.file, number=link.pinned_version)
    except VersionNotFound:
        raise LinkGone() from None


def link_revoke(*, link: ShareLink) -> ShareLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def links_purge_expired(*, owner: Any = None, now: Any = None, apply: bool = False) -> int:
    """Remove links (``owner``'s, or everyone's) that expired or were revoked before
    ``now``; how many. A dry run unless ``apply``; their audit rows stay."""
    now = now or timezone.now()
    gone = ShareLink.objects.filter(Q(expires_at__lte=now) | Q(revoked_at__lte=now))
    if owner is not None:
        gone = gone.filter(owner=owner)
    count = gone.count()
    if apply and count:
        gone.delete()
    return count


# --- Opening a link (anonymous) -----------------------------------------------------------


def link_open(*, token: str) -> ShareLink:
    """The live link for ``token`` with its file and owner, in one query; LinkGone
    (410) for an unknown, expired, revoked, used-up or trashed one, all alike."""
    if not link_sharing_enabled() or not isinstance(token, str) or not token.isascii():
        raise LinkGone()
    digest = token_hash(token)
    link = ShareLink.objects.select_related("file", "file__owner").filter(token_hash=digest).first()
    if link is None or not hmac.compare_digest(link.token_hash, digest):
        raise LinkGone()
    if not link_is_live(link):
        raise LinkGone()
    return link


def link_is_live(link: ShareLink) -> bool:
    if link.revoked_at is not None or not file_is_live(link.file):
        return False
    if link.expires_at is not None and link.expires_at <= timezone.now():
        return False
    return link.max_downloads is None or link.downloads < link.max_downloads


def link_password_check(*, request: HttpRequest, link: ShareLink, password: str) -> bool:
    """True if ``password`` opens ``link``; wrong ones count toward the per-address
    lockout (LoginThrottled, 429, once locked)."""
    subject = f"share:{link.pk}"
    password_attempt_check(request, subject=subject)
    if isinstance(password, str) and check_password(password, link.password):
        return True
    password_attempt_failed(request, subject=subject)
    share_access_record(
        file=link.file, link=link, action=ShareAccess.Action.PASSWORD_FAILED, ip=client_ip(request)
    )
    return False


def link_visit(*, request: HttpRequest, link: ShareLink) -> None:
    ShareLink.objects.filter(pk=link.pk).update(visits=F("visits") + 1)
    share_access_record(
        file=link.file, link=link, action=ShareAccess.Action.VISIT, ip=client_ip(request)
    )


def link_download(*, request: HttpRequest, link: ShareLink, preview: bool) -> None:
    """Count a download against the limit (atomically: two racing downloads of a
    one-download link cannot both pass). A preview counts as a visit's part, not a
    download."""
    action = ShareAccess.Action.PREVIEW if preview else ShareAccess.Action.DOWNLOAD
    if not preview:
        counted = ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True)
        if link.max_downloads is not None:
            counted = counted.filter(downloads__lt=link.max_downloads)
        if not counted.update(downloads=F("downloads") + 1):
            raise LinkGone()
    share_access_record(file=link.file, link=link, action=action, ip=client_ip(request))


# --- User shares -------------------------------------------------------------------------


def _recipient(owner: User, email: str) -> User:
    recipient = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if recipient is None:
        raise NotFound("No user with that email address on this server.")
    if recipient.pk == owner.pk:
        raise InvalidInput("You cannot share with yourself.", field="email")
    return recipient


def share_create_for_file(*, file: StoredFile, email: str) -> UserShare:
    """Share ``file`` (the caller checked ownership) read-only with the user ``email``;
    sharing again with the same person returns the live share."""
    if not user_sharing_enabled():
        raise SharingDisabled()
    if not file_is_live(file):
        raise NotFound("File not found.")
    recipient = _recipient(file.owner, email)
    with transaction.atomic():
        live = UserShare.objects.filter(file=file, recipient=recipient, revoked_at__isnull=True)
        return live.first() or UserShare.objects.create(
            owner=file.owner, recipient=recipient, file=file
        )


def share_create_for_tag(*, owner: User, tag: str, email: str) -> UserShare:
    """Share every file of ``owner`` that carries ``tag`` (``key`` or ``key=value``),
    now and later, read-only with the user ``email``."""
    if not user_sharing_enabled():
        raise SharingDisabled()
    text_check(tag, field="tag")
    if not tag.strip() or len(tag) > TAG_MAX_CHARS or not tag.partition("=")[0].strip():
        raise InvalidInput("tag must be a tag key, or key=value.", field="tag")
    recipient = _recipient(owner, email)
    with transaction.atomic():
        live = UserShare.objects.filter(
            owner=owner, tag=tag, recipient=recipient, revoked_at__isnull=True
        )
        return live.first() or UserShare.objects.create(owner=owner, recipient=recipient, tag=tag)


def share_revoke(*, share: UserShare) -> UserShare:
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at"])
    return share
