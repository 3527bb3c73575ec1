"""The Files page: stats and the first page of the table rendered on the server, so
the page is useful before (and without) JavaScript; static/js/files.js then filters
and pages through the files API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .models import StoredFile
from .selectors import ORDERINGS, file_list_for_user, user_file_stats

PAGE_SIZE = 50
# Raster images the download serves inline (?inline=1): the table shows a thumbnail.
RASTER_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
SHARED_VIEWS = {"with_me": "Shared with me", "by_me": "Shared by me"}
LINK_EXPIRY_CHOICES = [(3600, "In 1 hour"), (86400, "In 1 day"), (7 * 86400, "In 7 days")]
ORDERING_LABELS = {
    "-created_at": "Newest first",
    "created_at": "Oldest first",
    "filename": "Name A to Z",
    "-filename": "Name Z to A",
    "-size": "Largest first",
    "size": "Smallest first",
}


def _filters(query: QueryDict) -> dict[str, Any]:
    """The filters the URL asks for; anything not recognised falls back to its default."""
    source = query.get("source", "")
    category = query.get("category", "")
    ordering = query.get("ordering", "")
    return {
        "q": query.get("q", "").replace("\x00", "").strip()[:200],  # no NUL: PostgreSQL refuses it
        "source": source if source in StoredFile.Source.values else "",
        "category": category if category in StoredFile.Category.values else "",
        "ordering": ordering if ordering in ORDERINGS else "-created_at",
        "shared": query.get("shared") if query.get("shared") in SHARED_VIEWS else "",
    }


def _query_prefix(filters: dict[str, str]) -> str:
    """The active filters as a query string ending in ``&``, for the pager's links."""
    query = QueryDict(mutable=True)
    query.update({name: value for name, value in filters.items() if value})
    return query.urlencode() + "&" if query else ""


def _sharing_options() -> dict[str, Any]:
    """What the Share dialog offers: FILES_SHARING and the link expiry bounds."""
    longest = settings.FILES_SHARE_LINK_MAX_DAYS * 86400
    choices: list[tuple[int | str, str]] = [c for c in LINK_EXPIRY_CHOICES if c[0] <= longest]
    choices.append((longest, f"In {settings.FILES_SHARE_LINK_MAX_DAYS} days"))
    if settings.FILES_SHARE_LINK_ALLOW_NEVER:
        choices.append(("never", "Never"))
    return {
        "users": settings.FILES_SHARING in {"all", "users"},
        "links": settings.FILES_SHARING == "all",
        "expiry_choices": list(dict(choices).items()),
    }


@require_safe  # a page: GET and HEAD only, anything else 405
@login_required
def files_page(request: HttpRequest) -> HttpResponse:
    filters = _filters(request.GET)
    # "Search in: Contents" (files.js runs GET /api/search): q is not a name filter then.
    contents = request.GET.get("mode") == "contents"
    listed = {**filters, "q": ""} if contents else filters
    files = file_list_for_user(user=request.user, **{k: v or None for k, v in listed.items()})
    page = Paginator(files, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "contents_mode": contents,
        "stats": user_file_stats(user=request.user),
        "categories": StoredFile.Category.choices,
        "ordering_choices": [(value, ORDERING_LABELS[value]) for value in ORDERING_LABELS],
        "raster_types": RASTER_TYPES,
        "query_prefix": _query_prefix(filters),
        "views": [("", "My files"), *SHARED_VIEWS.items()],
        "sharing": _sharing_options(),
        "config": {
            "email": request.user.email,
            "pageSize": PAGE_SIZE,
            "maxUploadBytes": settings.FILES_MAX_UPLOAD_MB * 1024 * 1024,
            "trashDays": settings.FILES_TRASH_DAYS,
        },
    }
    return render(request, "files/files.html", context)
