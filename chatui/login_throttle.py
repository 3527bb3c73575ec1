"""Sign-in throttling (django-axes) and the same check for any other password form.

django-axes records failed sign-ins in the database (shared by every process) and,
after ``LOGIN_FAILURE_LIMIT`` failures, locks the account *and*, separately, the
client address for ``LOGIN_COOLOFF_MINUTES`` (``AXES_LOCKOUT_PARAMETERS``). Staff
unlock early in the admin (Axes → Access attempts: delete the rows). The lockout
page is the sign-in page with a message that says how long to wait, answered 429
with ``Retry-After``.

Other password forms (a share link's password) call :func:`password_attempt_check`
before comparing the password and :func:`password_attempt_failed` after a wrong
one, with a ``subject`` naming what is guarded (``"share:<id>"``): the same
records, limits, lockouts and admin unlock as sign-ins.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_cool_off
from axes.models import AccessAttempt
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .errors import RateLimited


class LoginThrottled(RateLimited):
    code = "too_many_attempts"
    default_message = "Too many wrong passwords; wait before trying again."


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lockout check for sign-ins over the web.

    ``authenticate()`` called from code without a request (a management command,
    a shell) has no client address to throttle; axes would refuse it outright, so it
    is passed on to the next backend unchecked.
    """

    def authenticate(self, request: Any, username: Any = None, password: Any = None, **kw: Any):  # type: ignore[no-untyped-def,override]
        if request is None:
            return None
        return super().authenticate(request, username, password, **kw)


def seconds_until_unlocked(request: HttpRequest, subject: str) -> int:
    """Seconds until the newest failure of ``subject`` or this address leaves the cool-off."""
    cool_off = get_cool_off(request) or timedelta(0)
    address = get_client_ip_address(request)
    newest = AccessAttempt.objects.filter(Q(username=subject) | Q(ip_address=address)).aggregate(
        newest=Max("attempt_time")
    )["newest"]
    if newest is None:
        return max(1, int(cool_off.total_seconds()))
    remaining = (newest + cool_off - timezone.now()).total_seconds()
    return max(1, math.ceil(remaining))


def _wait_words(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def lockout_message(seconds: int) -> str:
    return (
        "Too many failed sign-ins for this account or from this address. "
        f"Try again in {_wait_words(seconds)}, or ask an administrator to unlock it."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the sign-in page with the wait time, 429 + Retry-After."""
    subject = str((credentials or {}).get("username") or request.POST.get("username", ""))
    seconds = seconds_until_unlocked(request, subject)
    response = render(
        request,
        "registration/login.html",
        {"locked_message": lockout_message(seconds), "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def password_attempt_check(request: HttpRequest, *, subject: str) -> None:
    """Raise LoginThrottled (429, ``retry_after``) while ``subject`` or the address is locked."""
    credentials = {"username": subject}
    if not AxesProxyHandler.is_allowed(request, credentials):
        seconds = seconds_until_unlocked(request, subject)
        raise LoginThrottled(lockout_message(seconds), retry_after=seconds)


def password_attempt_failed(request: HttpRequest, *, subject: str) -> None:
    """Record a wrong password for ``subject``; counts toward the same lockout as sign-ins."""
    user_login_failed.send(sender=__name__, credentials={"username": subject}, request=request)
