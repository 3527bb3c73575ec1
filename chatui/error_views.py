"""Django's last-resort error views, JSON under ``/api/``.

DRF's exception handler types every error a view raises, but some failures happen
outside it: an unmatched URL (404), Django's own request checks such as
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` or a bad ``Host`` (400), CSRF refusals (403),
and unexpected exceptions (500). With ``DEBUG=false`` Django answers those through
``handler400/403/404/500``; these keep the API's promise that every error is
``{"code", "message"}`` JSON, and leave Django's HTML pages for everything else.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message}, status=status)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def bad_request(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return _json(400, "invalid", "The request is not valid.")
    return defaults.bad_request(request, exception, **kwargs)


def permission_denied(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return _json(403, "forbidden", "You do not have access to this.")
    return defaults.permission_denied(request, exception, **kwargs)


def page_not_found(request: HttpRequest, exception: Exception, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return _json(404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception, **kwargs)


def server_error(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if _is_api(request):
        return _json(500, "internal_error", "Something went wrong on our side; it was logged.")
    return defaults.server_error(request, **kwargs)
