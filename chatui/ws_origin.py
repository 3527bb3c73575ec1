"""The websocket's ``Origin`` check, made the way Django's CSRF check compares origins.

Channels' ``AllowedHostsOriginValidator`` compares the Origin's *host* with
``ALLOWED_HOSTS`` and ignores its scheme and port, so ``http://localhost:9999`` (any
other program on the machine, or a page on another port) was accepted where HTTP
CSRF refuses it. This validator accepts exactly what ``CsrfViewMiddleware`` accepts
for a form post: the Origin equals ``<scheme>://<Host>`` of the request (scheme
``https`` when the socket is ``wss`` or the proxy's ``SECURE_PROXY_SSL_HEADER``
says so; Host in ``ALLOWED_HOSTS``), or it is listed in ``CSRF_TRUSTED_ORIGINS``
(``https://*.example.com`` wildcards included). Anything else, or no Origin, is
refused at the handshake (HTTP 403), through Channels' own ``WebsocketDenier``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

from chatui.asgi_scope import scope_header


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    value = scope_header(scope, name)
    return None if value is None else value.decode("latin-1")


def _allowed_hosts() -> list[str]:
    hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not hosts:  # as HttpRequest.get_host() does
        return [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def _is_secure(scope: dict[str, Any]) -> bool:
    if scope.get("scheme") in {"wss", "https"}:
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy_header:
        return False
    meta_name, secure_value = proxy_header
    name = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode()
    value = _header(scope, name)
    return value is not None and value.split(",")[0].strip() == secure_value


def _same_origin(scope: dict[str, Any], origin: str) -> bool:
    host = _header(scope, b"host")
    if not host:
        return False
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return False
    return origin == f"{'https' if _is_secure(scope) else 'http'}://{host}"


def _trusted(origin: str) -> bool:
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in {o for o in trusted if "*" not in o}:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    wildcards = [urlsplit(o) for o in trusted if "*" in o]
    return any(
        w.scheme == parsed.scheme and is_same_domain(parsed.netloc, w.netloc.removeprefix("*"))
        for w in wildcards
    )


def origin_allowed(scope: dict[str, Any]) -> bool:
    """True when the handshake's Origin is this site's own, as CSRF judges it."""
    origin = _header(scope, b"origin")
    if not origin or origin == "null":
        return False
    return _same_origin(scope, origin) or _trusted(origin)


class SameOriginValidator:
    """ASGI middleware: the websocket goes on only from this site's own origins."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
