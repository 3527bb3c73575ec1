"""The token download fast path (files/asgi_download.py), driven as ASGI in-process.

Every request is also answered by Django alone (``chatui.asgi.django_asgi_app``) so
the two can be compared: the fast path must give the same status, headers and bytes,
and must hand everything that is not plainly "the owner's token, the whole file" to
Django (recorded by the ``Recorder`` it wraps).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from chatui.request_threads import RequestThreads
from chatui.testing.asgi import Answer, call, http_scope
from files import storage
from files.asgi_download import FastDownloads, _find_and_open, find_owned_file
from files.downloads import CHUNK_BYTES, download_headers
from files.models import StoredFile
from files.selectors import file_get_for_user

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Recorder:
    """The app behind the fast path: Django, noting each request it had to answer."""

    app: Any
    paths: list[str] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await self.app(scope, receive, send)


def _django() -> Any:
    from chatui.asgi import django_asgi_app

    return django_asgi_app


def get(app: Any, path: str, headers: dict[str, str], *, method: str = "GET") -> Answer:
    return asyncio.run(call(app, http_scope(path, headers, method)))


def _download(file: StoredFile) -> str:
    return f"/api/files/{file.id}/download"


def _token(user: Any) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


@pytest.fixture
def fast() -> Iterator[Recorder]:
    yield Recorder(_django())
    # The request threads keep their database connections open (CONN_MAX_AGE): close
    # them, or they outlive the test database's teardown.
    from chatui.asgi import request_threads

    request_threads.close()


@pytest.fixture
def app(fast: Recorder) -> Iterator[FastDownloads]:
    threads = RequestThreads(keep=2)
    yield FastDownloads(fast, threads)
    threads.close()


@pytest.mark.parametrize("size", [0, 10, CHUNK_BYTES, CHUNK_BYTES * 2 + 7])
def test_the_owner_gets_the_same_answer_as_from_django_without_django(
    s3_backend, user, make_stored_file, app, fast, size
) -> None:
    content = os.urandom(size)
    file = make_stored_file(content=content, filename="data.bin")
    fast_answer = get(app, _download(file), _token(user))
    assert fast.paths == []  # answered without Django
    django_answer = get(_django(), _download(file), _token(user))
    assert fast_answer.status == django_answer.status == 200
    assert fast_answer.body == django_answer.body == content
    assert fast_answer.headers == django_answer.headers
    assert fast_answer.headers["content-disposition"].startswith("attachment")
    assert fast_answer.headers["x-content-type-options"] == "nosniff"


def test_html_is_never_inline_and_is_sandboxed(s3_backend, user, make_stored_file, app) -> None:
    file = make_stored_file(content=b"<script>alert(1)</script>", filename="x.html")
    answer = get(app, _download(file), _token(user))
    assert answer.headers["content-disposition"] == 'attachment; filename="x.html"'
    assert answer.headers["content-security-policy"] == "default-src 'none'; sandbox"


def _other_token(other_user: Any, **_: Any) -> dict[str, str]:
    return _token(other_user)


CASES = {
    "another user's token": (lambda f, u, o: _token(o), "", 404),
    "no credentials": (lambda f, u, o: {}, "", 401),
    "an unknown token": (lambda f, u, o: {"Authorization": "Token " + "0" * 40}, "", 401),
    "basic auth": (lambda f, u, o: {"Authorization": "Basic dXNlcjpwdw=="}, "", 401),
    "a range": (lambda f, u, o: {**_token(u), "Range": "bytes=0-3"}, "", 206),
    "a conditional": (lambda f, u, o: {**_token(u), "If-None-Match": f'"{f.etag}"'}, "", 304),
    "a query string": (lambda f, u, o: _token(u), "?inline=1", 200),
    "a host not allowed": (lambda f, u, o: {**_token(u), "Host": "evil.example"}, "", 400),
}


@pytest.mark.parametrize("case", CASES)
def test_everything_else_is_djangos_to_answer(
    s3_backend, user, other_user, make_stored_file, app, fast, case
) -> None:
    file = make_stored_file()
    headers_for, query, status = CASES[case]
    headers = headers_for(file, user, other_user)
    answer = get(app, _download(file) + query, headers)
    assert fast.paths == [_download(file)]
    assert answer.status == status
    assert answer == get(_django(), _download(file) + query, headers)


def test_an_inactive_owner_is_refused_by_django(s3_backend, user, make_stored_file, app, fast):
    file = make_stored_file()
    headers = _token(user)
    user.is_active = False
    user.save()
    assert get(app, _download(file), headers).status == 401
    assert fast.paths == [_download(file)]


def test_head_and_unknown_ids_go_to_django(s3_backend, user, make_stored_file, app, fast):
    file = make_stored_file()
    assert get(app, _download(file), _token(user), method="HEAD").status == 200
    missing = "/api/files/00000000-0000-4000-8000-000000000000/download"
    assert get(app, missing, _token(user)).status == 404
    assert fast.paths == [_download(file), missing]


def test_a_missing_blob_gets_djangos_typed_error(s3_backend, user, make_stored_file, app, fast):
    file = make_stored_file()
    storage.delete(file.key)
    answer = get(app, _download(file), _token(user))
    assert fast.paths == [_download(file)]
    assert answer.status == 404
    assert b'"code"' in answer.body


def test_redirect_mode_stays_djangos(s3_backend, user, make_stored_file, app, fast, settings):
    file = make_stored_file()
    settings.FILES_DOWNLOAD_REDIRECT = True
    assert get(app, _download(file), _token(user)).status == 302
    assert fast.paths == [_download(file)]


def test_plain_http_goes_to_django_when_it_would_redirect_to_https(
    s3_backend, user, make_stored_file, app, fast, settings
) -> None:
    """Django's SecurityMiddleware answers those (it read its settings at start-up, so
    here only the hand-over is checked); over TLS, or behind a proxy that says so,
    the fast path serves."""
    file = make_stored_file()
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    get(app, _download(file), _token(user))
    get(app, _download(file), {**_token(user), "X-Forwarded-Proto": "http"})
    assert fast.paths == [_download(file)] * 2
    answer = get(app, _download(file), {**_token(user), "X-Forwarded-Proto": "https"})
    assert answer.status == 200
    assert fast.paths == [_download(file)] * 2


def test_the_lookup_agrees_with_file_get_for_user(s3_backend, user, other_user, make_stored_file):
    mine = make_stored_file()
    token = _token(user)["Authorization"].removeprefix("Token ")
    found = find_owned_file(token, str(mine.id))
    assert found is not None
    expected = file_get_for_user(user=user, file_id=mine.id)
    for name in ("id", "key", "filename", "content_type", "size", "etag"):
        assert getattr(found, name) == getattr(expected, name)
    assert found.owner.email == user.email
    theirs = make_stored_file(owner=other_user)
    assert find_owned_file(token, str(theirs.id)) is None


def test_finding_and_opening_a_file_is_one_query(
    s3_backend, user, make_stored_file, django_assert_num_queries
) -> None:
    """The fast path's instances defer every field it did not select: touching one
    (in the headers, the ownership check or ``file_open``) would cost a query each."""
    file = make_stored_file(content=b"one query")
    token = _token(user)["Authorization"].removeprefix("Token ")
    with django_assert_num_queries(1):
        ready = _find_and_open(token, str(file.id))
        download_headers(ready.file, byte_range=None, inline=False)
    assert ready.body == b"one query"


def test_a_row_whose_key_left_the_owners_prefix_is_not_served(
    s3_backend, user, other_user, make_stored_file
) -> None:
    """The second ownership check of ``file_get_for_user``, kept on the fast path."""
    mine = make_stored_file()
    theirs = make_stored_file(owner=other_user)
    StoredFile.objects.filter(pk=mine.pk).update(key=theirs.key + "-copy")
    token = _token(user)["Authorization"].removeprefix("Token ")
    assert find_owned_file(token, str(mine.id)) is None


def test_a_client_that_leaves_stops_the_download(s3_backend, user, make_stored_file, app):
    size = CHUNK_BYTES * 8
    file = make_stored_file(content=os.urandom(size), filename="big.bin")
    scope = http_scope(_download(file), _token(user))
    answer = asyncio.run(asyncio.wait_for(call(app, scope, leave_after_first_body=True), 30))
    assert 0 < len(answer.body) < size
