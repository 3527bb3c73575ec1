"""System check: every entry of ``settings.TOOLS`` must load as a usable tool."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from .registry import load_tools


@checks.register("tools")
def check_tools(app_configs: Any = None, **_kwargs: Any) -> list[checks.CheckMessage]:
    _tools, problems = load_tools(list(getattr(settings, "TOOLS", [])))
    return [
        checks.Error(f"settings.TOOLS entry {p.path!r} {p.message}.", id=p.check_id)
        for p in problems
    ]
