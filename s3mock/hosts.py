"""Which ``Host`` headers s3mock serves: loopback, plus ``S3MOCK_ALLOWED_HOSTS``.

A web page can point a name it controls at 127.0.0.1 (DNS rebinding) and then
read from a developer's s3mock as if it were its own origin; the browser sends
that name in ``Host``. Refusing every name that is not a loopback name or address
(or one the operator listed) closes that door, on the S3 and the JSON API alike,
before any authentication is attempted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def parse_allowed_hosts(spec: str) -> frozenset[str]:
    """``S3MOCK_ALLOWED_HOSTS``: comma-separated names; ``.example.com`` also allows subdomains."""
    return frozenset(part.strip().lower() for part in spec.split(",") if part.strip())


def host_name(header: str) -> str:
    """The name or address in a ``Host`` header, without port or IPv6 brackets."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


def is_loopback_name(name: str) -> bool:
    """``localhost`` (and ``*.localhost``, RFC 6761) or a loopback address."""
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(header: str | None, extra: Iterable[str] = ()) -> bool:
    """Whether to serve a request whose ``Host`` header is ``header`` (None: absent)."""
    if not header:
        return False
    name = host_name(header)
    if not name or is_loopback_name(name):
        return bool(name)
    for allowed in extra:
        if allowed == "*" or name == allowed:
            return True
        if allowed.startswith(".") and (name.endswith(allowed) or name == allowed[1:]):
            return True
    return False
