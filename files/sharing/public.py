"""The anonymous share-link pages: ``/s/<token>``, ``/s/<token>/preview`` and
``/s/<token>/download``.

Each request opens the link afresh (so revocation, expiry and the download limit
apply at once) and answers the bytes through ``download_response``: a fresh
presigned redirect or a stream, never a stored S3 URL. Failures of any kind (an
unknown token, expired, revoked, used up, a trashed file) get the same 410 page,
and repeated failures from one address are rate-limited, so guessing tokens costs.
The page never runs the file: images are ``<img>``, PDFs a ``blob:`` frame, text and
CSV are escaped by the template; anything else is a download (``attachment``).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from chatui.errors import DomainError, LinkGone, RateLimited
from chatui.rate_limits import rate_limit_hit, rate_limit_peek

from ..api.downloads import download_response
from ..content_types import is_inline_safe
from ..models import StoredFile
from ..services import file_read_bytes
from . import services
from .audit import client_ip
from .models import ShareLink

PREVIEW_TEXT_BYTES = 64 * 1024
PREVIEW_CSV_ROWS = 50
SESSION_KEY = "share_links_unlocked"
TEXT_TYPES = {"application/json", "application/xml"}
PUBLIC_HEADERS = {
    "Referrer-Policy": "no-referrer",  # the token is in the URL: never pass it on
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "private, no-store",
}


def _public(response: HttpResponse) -> HttpResponse:
    for name, value in PUBLIC_HEADERS.items():
        if name != "Cache-Control" or name not in response:
            response[name] = value
    return response


def _client_ip(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _open(request: HttpRequest, token: str) -> ShareLink:
    """The live link, or LinkGone; RateLimited once this address failed too often."""
    rate_limit_peek("share_tokens", _client_ip(request))
    try:
        return services.link_open(token=token)
    except LinkGone:
        rate_limit_hit("share_tokens", _client_ip(request))
        raise


def _failure(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = exc.status if isinstance(exc, RateLimited) else 410
    response = render(request, "files/share_gone.html", {"message": exc.message}, status=status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return _public(response)


def _unlocked(request: HttpRequest, link: ShareLink) -> bool:
    return not link.password or str(link.pk) in request.session.get(SESSION_KEY, [])


def _unlock(request: HttpRequest, link: ShareLink) -> None:
    unlocked = request.session.get(SESSION_KEY, [])
    request.session[SESSION_KEY] = [*unlocked, str(link.pk)][-50:]


@require_http_methods(["GET", "POST"])
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = _open(request, token)
        if request.method == "POST":
            return _password_post(request, link)
    except (LinkGone, RateLimited) as exc:
        return _failure(request, exc)
    if not _unlocked(request, link):
        return _password_form(request, error="")
    try:
        context = {**_page_context(services.link_file(link)), "link": link}
    except LinkGone as exc:
        return _failure(request, exc)
    services.link_visit(request=request, link=link)
    return _public(render(request, "files/share_page.html", context))


def _password_post(request: HttpRequest, link: ShareLink) -> HttpResponse:
    password = request.POST.get("password", "")
    if not link.password or services.link_password_check(
        request=request, link=link, password=password
    ):
        if link.password:
            request.session.cycle_key()
            _unlock(request, link)
        return _public(HttpResponseRedirect(request.path))
    return _password_form(request, error="That password is not right.", status=403)


def _password_form(request: HttpRequest, *, error: str, status: int = 200) -> HttpResponse:
    """The form posts back to this page. ``same-origin`` rather than ``no-referrer``
    here: under ``no-referrer`` a browser sends ``Origin: null`` with the POST, which
    Django's CSRF check rightly refuses; ``same-origin`` still never lets the token
    leave this site."""
    context = {"error": error}
    response = _public(render(request, "files/share_password.html", context, status=status))
    response["Referrer-Policy"] = "same-origin"
    return response


def _page_context(file: StoredFile) -> dict[str, Any]:
    preview = preview_kind(file)
    context: dict[str, Any] = {"file": file, "preview": preview}
    if preview in {"text", "csv"} and file.size:
        try:
            data = file_read_bytes(file=file, max_bytes=PREVIEW_TEXT_BYTES, truncate=True)
        except DomainError:  # storage down or the blob missing: the page still offers the file
            context["preview"] = ""
            return context
        text = data.decode("utf-8", "replace")
        context["truncated"] = file.size > len(data)
        if preview == "csv":
            context["rows"] = list(csv.reader(io.StringIO(text)))[:PREVIEW_CSV_ROWS]
        else:
            context["text"] = text
    return context


def preview_kind(file: StoredFile) -> str:
    """``image`` | ``pdf`` (bytes shown by the browser, only types safe inline),
    ``csv`` | ``text`` (escaped by the template), or ``""`` (download only)."""
    content_type = file.content_type
    if content_type.startswith("image/") and is_inline_safe(content_type, file.filename):
        return "image"
    if content_type == "application/pdf" and is_inline_safe(content_type, file.filename):
        return "pdf"
    if content_type == "text/csv" or file.filename.lower().endswith(".csv"):
        return "csv" if content_type.startswith("text/") else ""
    if content_type.startswith("text/") or content_type in TEXT_TYPES:
        return "text"
    return ""


def _bytes(request: HttpRequest, token: str, *, preview: bool) -> HttpResponse:
    try:
        link = _open(request, token)
        if not _unlocked(request, link):
            raise LinkGone("This link needs its password: open the link page first.")
        file = services.link_file(link)
        if preview and preview_kind(file) not in {"image", "pdf"}:
            raise LinkGone()
        services.link_download(request=request, link=link, preview=preview)
    except (LinkGone, RateLimited) as exc:
        return _failure(request, exc)
    return _public(download_response(request, file, inline=preview))


@require_GET
def share_download(request: HttpRequest, token: str) -> HttpResponse:
    return _bytes(request, token, preview=False)


@require_GET
def share_preview(request: HttpRequest, token: str) -> HttpResponse:
    return _bytes(request, token, preview=True)
