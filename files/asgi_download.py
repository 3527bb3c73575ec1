"""A fast path for API clients' downloads: ``GET /api/files/{id}/download`` with a token.

A download through Django's full stack (middleware, DRF's authentication, the view,
the response adapters) cost about 4 ms before the first byte left S3, more than
the GetObject itself: a script pulling many small files spent most of its time in
the framework. Requests that are *plainly* an API client fetching its own file are
answered here instead, at the ASGI level:

* ``GET`` of exactly ``/api/files/{uuid}/download``, no query string, no ``Range``
  or conditional headers, one ``Authorization: Token <key>`` header, an allowed
  ``Host``, and nothing the security middleware would redirect
  (``SECURE_SSL_REDIRECT``) — and ``FILES_DOWNLOAD_REDIRECT`` off;
* one query finds the file *through* the token: the file's owner must be the
  token's user and active (what DRF's ``TokenAuthentication`` checks), and the key
  must lie under the owner's prefix (``file_get_for_user``'s second check);
* the body comes from the same ``services.file_open`` and carries the same
  headers as the view's answer (``downloads.download_headers``) plus the ones the
  middleware would add (:func:`site_headers`); a test compares them header by header.

Everything else — a browser's session cookie, a wrong or missing token, another
user's id, a range, a database or S3 error before the first byte — goes to Django
unchanged, which answers it exactly as before (401, 404, 206, 503, ...). The fast
path never produces an error of its own; it only ever says "yours, here it is".

The database and S3 work run in one call on one of the request threads
(``RequestThreads.run``), so the connection is reused as for any request.
"""

from __future__ import annotations

import asyncio
import functools
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.http.request import split_domain_port, validate_host
from rest_framework.authtoken.models import Token

from chatui.models import User
from chatui.request_threads import RequestThreads

from . import services
from .downloads import CHUNK_BYTES, download_headers, read_ahead
from .keys import key_belongs_to
from .models import StoredFile
from .storage import BlobStream

DOWNLOAD_PATH = re.compile(
    r"^/api/files/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/download$"
)
TOKEN_PREFIX = b"Token "
# Headers that change the answer: each sends the request down Django's path.
DJANGO_ONLY_HEADERS = {b"range", b"if-none-match", b"if-range", b"if-modified-since"}
ALLOW = "GET, HEAD, OPTIONS"  # what DRF's view answers with


@dataclass
class Ready:
    """A found, owned file and its open body (or, when small, the whole body)."""

    file: StoredFile
    stream: BlobStream | None
    body: bytes | None


def site_headers(*, secure: bool) -> dict[str, str]:
    """What Django's middleware adds to a download (Security, XFrameOptions) and DRF."""
    headers = {"Allow": ALLOW}
    if settings.X_FRAME_OPTIONS:
        headers["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    if settings.SECURE_REFERRER_POLICY:
        headers["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers["Strict-Transport-Security"] = hsts
    return headers


def _token_and_id(scope: dict[str, Any]) -> tuple[str, str] | None:
    """The token and file id when the request is one the fast path may answer."""
    if scope["type"] != "http" or scope["method"] != "GET" or scope.get("query_string"):
        return None
    if settings.FILES_DOWNLOAD_REDIRECT:
        return None
    match = DOWNLOAD_PATH.match(scope["path"])
    if match is None:
        return None
    token = host = None
    for name, value in scope["headers"]:
        if name in DJANGO_ONLY_HEADERS:
            return None
        if name == b"authorization":
            if token is not None or not value.startswith(TOKEN_PREFIX):
                return None
            token = value[len(TOKEN_PREFIX) :].strip()
        elif name == b"host":
            if host is not None:
                return None
            host = value
    if not token or host is None or not _host_allowed(host) or _would_redirect(scope):
        return None
    try:
        return token.decode("ascii"), match.group(1)
    except UnicodeDecodeError:
        return None


def _host_allowed(host: bytes) -> bool:
    """Django's own ALLOWED_HOSTS rule (``HttpRequest.get_host``), DEBUG included."""
    try:
        domain, _port = split_domain_port(host.decode("ascii"))
    except UnicodeDecodeError:
        return False
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _is_secure(scope: dict[str, Any]) -> bool:
    if scope.get("scheme") == "https":
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy:
        return False
    header, expected = proxy
    wanted = header.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
    return any(n == wanted and v.decode("latin-1") == expected for n, v in scope["headers"])


def _would_redirect(scope: dict[str, Any]) -> bool:
    return bool(settings.SECURE_SSL_REDIRECT) and not _is_secure(scope)


@functools.cache
def _lookup_sql() -> str:
    """The file *through* the token, in one indexed query (all three by primary key).

    Written out because the ORM's compiler cost more than the query itself on this
    hot path (about 1 ms against 0.1 ms); names come from the models' ``_meta`` and
    ``tests/test_asgi_download.py`` checks it agrees with ``file_get_for_user``.
    """
    quote = connection.ops.quote_name
    files, users = StoredFile._meta, User._meta
    tokens = Token._meta

    def column(meta: Any, name: str) -> str:
        return quote(meta.get_field(name).column)

    selected = ", ".join(f"f.{column(files, name)}" for name in LOOKUP_FIELDS)
    user_id = f"u.{column(users, 'id')}"
    # Identifiers come from _meta, quoted by the backend; every value is a parameter.
    return " ".join(
        [
            f"SELECT {selected}, u.{column(users, 'email')}",
            f"FROM {quote(files.db_table)} f",
            f"JOIN {quote(users.db_table)} u ON {user_id} = f.{column(files, 'owner')}",
            f"JOIN {quote(tokens.db_table)} t ON t.{column(tokens, 'user')} = {user_id}",
            f"WHERE f.{column(files, 'id')} = %s AND t.{column(tokens, 'key')} = %s",
            f"AND u.{column(users, 'is_active')} = %s",
        ]
    )


LOOKUP_FIELDS = ("id", "owner", "key", "filename", "content_type", "size", "etag")
_FILE_ATTNAMES = [StoredFile._meta.get_field(name).attname for name in LOOKUP_FIELDS]
_OWNER_ATTNAMES = ["id", "email", "is_active"]


def find_owned_file(token: str, file_id: str) -> StoredFile | None:
    """The file ``file_id`` when ``token`` belongs to its owner, an active user.

    The instances are built as the ORM builds a fetched row (``from_db``, the other
    fields deferred): keyword ``__init__`` looked up a default for each of the
    twenty fields left out, a third of this function's time.
    """
    pk = StoredFile._meta.pk.get_db_prep_value(uuid.UUID(file_id), connection)
    with connection.cursor() as cursor:
        cursor.execute(_lookup_sql(), [pk, token, True])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row[:-1])
    values[0] = StoredFile._meta.pk.to_python(values[0])  # SQLite gives hex text
    file = StoredFile.from_db(connection.alias, _FILE_ATTNAMES, values)
    owner = User.from_db(connection.alias, _OWNER_ATTNAMES, [file.owner_id, row[-1], True])
    file.owner = owner
    return file if key_belongs_to(file.key, owner.email) else None


def _find_and_open(token: str, file_id: str) -> Ready | None:
    """On a request thread: the caller's file and its body, or None for Django."""
    close_old_connections()  # what request_started does
    try:
        file = find_owned_file(token, file_id)
        if file is None:
            return None
        stream = services.file_open(file=file)
        if stream.length > CHUNK_BYTES:
            return Ready(file, stream, None)
        with stream:
            return Ready(file, None, stream.read())
    except Exception:  # Django's path redoes the work and reports the error
        return None
    finally:
        close_old_connections()  # what request_finished does


class FastDownloads:
    """ASGI middleware: answers the plain token download, passes everything else on."""

    def __init__(self, app: Any, threads: RequestThreads) -> None:
        self.app = app
        self.threads = threads

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        found = _token_and_id(scope)
        ready = None
        if found is not None:
            ready = await self.threads.run(_find_and_open, *found)
        if ready is None:
            await self.app(scope, receive, send)
        else:
            await self._send(scope, receive, send, ready)

    async def _send(self, scope: dict[str, Any], receive: Any, send: Any, ready: Ready) -> None:
        headers = {
            **download_headers(ready.file, byte_range=None, inline=False),
            **site_headers(secure=_is_secure(scope)),
        }
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        }
        if ready.stream is None:
            await send(start)
            await send({"type": "http.response.body", "body": ready.body or b""})
            return
        try:
            await send(start)
        except BaseException:
            ready.stream.close()  # read_ahead, which would close it, never started
            raise
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            async for chunk in read_ahead(ready.stream):
                if gone.done():
                    return  # the client left: stop reading S3 (read_ahead closes it)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            gone.cancel()


async def _disconnected(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
