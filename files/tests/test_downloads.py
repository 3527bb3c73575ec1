"""Downloads through the whole ASGI application (``chatui.asgi.application``), in-process.

The one download path: token and session downloads reach ``FileDownloadApi`` through
Django's stack, and every answer about a file's bytes is built by
``files.api.downloads.download_response``. These tests pin what a client sees: status,
headers (attachment, nosniff, sandbox CSP, ETag, Cache-Control, the middleware's
own), bytes, isolation, and that a client which leaves stops the S3 read.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.authtoken.models import Token

from chatui.testing.asgi import Answer, call, http_scope
from files import storage
from files.api.downloads import CHUNK_BYTES
from files.models import StoredFile

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app() -> Iterator[Any]:
    from chatui.asgi import application, request_threads

    yield application
    # The request threads keep their database connections open (CONN_MAX_AGE): close
    # them, or they outlive the test database's teardown.
    request_threads.close()


def get(app: Any, path: str, headers: dict[str, str], *, method: str = "GET") -> Answer:
    return asyncio.run(call(app, http_scope(path, headers, method)))


def _download(file: StoredFile) -> str:
    return f"/api/files/{file.id}/download"


def _token(user: Any) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


@pytest.mark.parametrize("size", [10, CHUNK_BYTES, CHUNK_BYTES * 2 + 7])  # empty files are refused
def test_the_owner_gets_the_bytes_with_every_download_header(
    s3_backend, user, make_stored_file, app, size
) -> None:
    content = os.urandom(size)
    file = make_stored_file(content=content, filename="data.bin")
    answer = get(app, _download(file), _token(user))
    assert answer.status == 200
    assert answer.body == content
    headers = answer.headers
    assert headers["content-length"] == str(size)
    assert headers["content-type"] == file.content_type
    assert headers["content-disposition"] == 'attachment; filename="data.bin"'
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert headers["cache-control"] == "private, no-cache"
    assert headers["etag"] == f'"{file.etag}"'
    assert headers["accept-ranges"] == "bytes"
    assert headers["x-frame-options"] == "DENY"  # Django's middleware ran


def test_html_is_never_inline_and_is_sandboxed(s3_backend, user, make_stored_file, app) -> None:
    file = make_stored_file(content=b"<script>alert(1)</script>", filename="x.html")
    answer = get(app, _download(file) + "?inline=1", _token(user))
    assert answer.headers["content-disposition"] == 'attachment; filename="x.html"'
    assert answer.headers["content-security-policy"] == "default-src 'none'; sandbox"


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
def test_each_kind_of_request_gets_its_answer(
    s3_backend, user, other_user, make_stored_file, app, case
) -> None:
    file = make_stored_file(content=b"secret bytes")
    headers_for, query, status = CASES[case]
    answer = get(app, _download(file) + query, headers_for(file, user, other_user))
    assert answer.status == status
    if status >= 400:
        assert b"secret" not in answer.body
    if status in (206, 304):
        assert answer.headers["etag"] == f'"{file.etag}"'
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "private, no-cache"
    if status == 206:
        assert answer.body == b"secr" and answer.headers["content-range"] == "bytes 0-3/12"


def test_an_inactive_owner_is_refused(s3_backend, user, make_stored_file, app) -> None:
    file = make_stored_file()
    headers = _token(user)
    user.is_active = False
    user.save()
    assert get(app, _download(file), headers).status == 401


def test_head_and_unknown_ids(s3_backend, user, make_stored_file, app) -> None:
    file = make_stored_file()
    assert get(app, _download(file), _token(user), method="HEAD").status == 200
    missing = "/api/files/00000000-0000-4000-8000-000000000000/download"
    answer = get(app, missing, _token(user))
    assert answer.status == 404 and b'"not_found"' in answer.body


def test_a_missing_blob_gets_a_typed_error(s3_backend, user, make_stored_file, app) -> None:
    file = make_stored_file()
    storage.delete(file.key)
    answer = get(app, _download(file), _token(user))
    assert answer.status == 404
    assert b'"code"' in answer.body


def test_redirect_mode_answers_a_cheap_302(
    s3_backend, user, make_stored_file, app, settings
) -> None:
    file = make_stored_file(content=b"<svg xmlns='http://www.w3.org/2000/svg'/>", filename="x.svg")
    settings.FILES_DOWNLOAD_REDIRECT = True
    get(app, _download(file), _token(user))  # warm: the first request loads the URLconf
    started = time.perf_counter()
    answer = get(app, _download(file), _token(user))
    elapsed = time.perf_counter() - started
    assert answer.status == 302 and answer.body == b""
    location = answer.headers["location"]
    assert location.startswith(s3_backend.endpoint) and "X-Amz-Signature=" in location
    assert "response-content-disposition=attachment" in location
    assert answer.headers["cache-control"] == "private, no-store"
    assert elapsed < 0.5  # no request to S3: presigning is local work
    assert get(app, _download(file), {}).status == 401


def test_a_row_whose_key_left_the_owners_prefix_is_not_served(
    s3_backend, user, other_user, make_stored_file, app
) -> None:
    """The second ownership check of ``file_get_for_user``."""
    mine = make_stored_file()
    theirs = make_stored_file(owner=other_user, content=b"theirs")
    StoredFile.objects.filter(pk=mine.pk).update(key=theirs.key + "-copy")
    answer = get(app, _download(mine), _token(user))
    assert answer.status == 404 and b"theirs" not in answer.body


def test_a_client_that_leaves_stops_the_download(s3_backend, user, make_stored_file, app):
    size = CHUNK_BYTES * 8
    file = make_stored_file(content=os.urandom(size), filename="big.bin")
    scope = http_scope(_download(file), _token(user))
    answer = asyncio.run(asyncio.wait_for(call(app, scope, leave_after_first_body=True), 30))
    assert 0 < len(answer.body) < size


def test_the_302_costs_two_queries_and_no_s3_request(
    s3_backend, api_client, make_stored_file, settings, django_assert_num_queries
) -> None:
    """The token's user and the file: nothing else, and the URL is signed locally."""
    file = make_stored_file(content=b"cheap")
    settings.FILES_DOWNLOAD_REDIRECT = True
    calls: list[str] = []
    storage.client().meta.events.register(
        "before-call.s3.*", lambda model, **_: calls.append(model.name)
    )
    with django_assert_num_queries(2):
        response = api_client.get(_download(file))
    assert response.status_code == 302 and "X-Amz-Signature=" in response["Location"]
    assert calls == []


def test_a_zip_of_several_files_streams_whole_through_the_download_body(
    s3_backend, user, make_stored_file, app
) -> None:
    import io
    import zipfile

    # given files larger than one chunk together, two of them with the same name
    big = os.urandom(CHUNK_BYTES + 5)
    files = [
        make_stored_file(content=big, filename="big.bin"),
        make_stored_file(content=b"one", filename="a.txt"),
        make_stored_file(content=b"two", filename="a.txt"),
    ]
    ids = "&".join(f"ids={f.id}" for f in files)
    # when they are fetched as one zip under ASGI
    answer = get(app, f"/api/files/zip?{ids}", _token(user))
    # then the whole archive arrives (not only its first chunk), every member intact
    assert answer.status == 200 and answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.body)) as archive:
        assert archive.namelist() == ["big.bin", "a.txt", "a (2).txt"]
        assert archive.read("big.bin") == big and archive.read("a (2).txt") == b"two"
