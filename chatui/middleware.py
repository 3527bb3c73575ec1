"""A strict Content-Security-Policy on every HTML page the site renders.

Pages load only this site's own scripts, styles and connections: no inline script,
no inline style attribute, nothing from another origin. Data reaches the JavaScript
through ``json_script`` and ``data-`` attributes. ``frame-src blob:`` is the one
addition to the default policy: a PDF preview shows the fetched bytes in an
``<iframe>`` of a ``blob:`` URL, because the download endpoint itself may not be
framed (``X-Frame-Options: DENY``, ``sandbox``).

No page is exempt, Swagger UI at ``/api/docs/`` included: its launcher is a script URL
(``SpectacularSwaggerSplitView``), its page styles a static file
(``templates/files/api_docs.html``), and the styles it sets at run time go through the
CSSOM, which ``style-src 'self'`` does not block (``chatui/tests/browser/test_api_docs.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "frame-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _wants_policy(request, response):
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


def _wants_policy(request: HttpRequest, response: HttpResponse) -> bool:
    """HTML only, and never over a policy a view set for itself (downloads)."""
    if "Content-Security-Policy" in response:
        return False
    return response.get("Content-Type", "").startswith("text/html")
