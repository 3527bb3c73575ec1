"""Imported once by the sandbox forkserver (chatui.sandbox) before it forks children.

Everything imported here is shared, already loaded, by every tool call: Django
(so a third-party tool module that imports models still imports), the plotting,
imaging and spreadsheet libraries, and the configured tools. Nothing here opens
a database connection.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys

LIBRARIES = ("matplotlib.figure", "matplotlib.backends.backend_agg", "PIL.Image", "openpyxl")


def _pretend_parent_main() -> None:
    """Children skip re-running the parent's main script when ``__main__`` names it
    (see chatui.sandbox.forkserver_ensure)."""
    parent_main = os.environ.pop("CHATUI_TOOLS_PARENT_MAIN", "")
    if parent_main:
        sys.modules["__main__"].__file__ = parent_main


def _preload() -> None:
    import matplotlib

    matplotlib.use("Agg")
    for name in LIBRARIES:
        importlib.import_module(name)
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return
    import django

    django.setup()
    from django.conf import settings
    from django.utils.module_loading import import_string

    for path in settings.TOOLS:
        with contextlib.suppress(ImportError):  # reported by the tools system check
            import_string(path)


_pretend_parent_main()
_preload()
