"""What the file commands share: parsing durations and emails, drawing progress."""

from __future__ import annotations

import re
import sys
import time
from datetime import timedelta
from typing import TextIO

from django.core.management.base import CommandError
from django.template.defaultfilters import filesizeformat

from chatui.models import User

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.I)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str, *, option: str) -> timedelta:
    """'90d', '12h', '30m', '45s', '2w' -> timedelta; anything else is a CommandError."""
    match = _DURATION.match(value or "")
    if match is None:
        raise CommandError(
            f"{option}: {value!r} is not a duration; use a number and a unit, "
            "e.g. 90d, 12h, 30m, 45s or 2w."
        )
    number, unit = int(match.group(1)), match.group(2).lower()
    return timedelta(**{_UNITS[unit]: number})


def user_by_email(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"No user with the email {email!r}.")
    return user


def human_bytes(size: int) -> str:
    return str(filesizeformat(size)).replace("\xa0", " ")


class Progress:
    """A one-line progress display on stderr, redrawn at most 5 times a second."""

    def __init__(self, label: str, *, total: int | None = None, stream: TextIO | None = None):
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._done = 0

    def update(self, done: int, total: int | None = None) -> None:
        self._done = done
        self.total = total if total is not None else self.total
        now = time.monotonic()
        if now - self._drawn_at >= 0.2:
            self._drawn_at = now
            self._draw(now)

    def close(self) -> None:
        if not self._drawn_at:
            return  # over before the first redraw: the summary says it all
        self._draw(time.monotonic())
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, now: float) -> None:
        rate = self._done / max(now - self.started, 1e-6)
        if self.total:
            share = min(self._done / self.total, 1.0)
            bar = "#" * int(share * 30)
            text = f"{self.label} [{bar:<30}] {self._done}/{self.total} ({rate:,.0f}/s)"
        else:
            text = f"{self.label}: {self._done:,} ({rate:,.0f}/s)"
        self.stream.write("\r" + text)
        self.stream.flush()
