"""Property-based tests of the files app against bad input (hypothesis).

Whatever filename, tags or base64 a client sends: never a 500, never a key outside
the owner's prefix, and the owner's existing files keep their bytes (checksums
unchanged) after every example. Example counts stay modest to keep the suite fast.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chatui.testing.asgi import asgi_post
from chatui.testing.strategies import json_values as any_json
from files import storage
from files.keys import (
    SAFE_FILENAME_MAX_CHARS,
    build_key,
    display_filename,
    key_belongs_to,
    safe_filename,
    user_prefix,
)
from files.models import StoredFile
from files.services import file_read_bytes

pytestmark = [pytest.mark.django_db]
on_s3mock = pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ALLOWED_UPLOAD_STATUSES = {201, 400, 413}

# Names built to hurt: separators, climbing, NUL and other controls, bidi overrides,
# zero-width characters, surrogates' neighbours, very long runs.
NASTY_PIECES = [
    "..", "/", "\\", "../", "..\\", "\x00", "\n", "\r", "\t", "\u202e", "\u200b", "\ufeff",
    "<script>", "%2e%2e%2f", ".", " ", "users/bob@example.com/", "~", "\x7f", "é", "😀", "ﷺ",
]  # fmt: skip
filenames = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(NASTY_PIECES) | st.text(max_size=8), max_size=40).map("".join),
    st.text(min_size=1, max_size=5).map(lambda s: s * 400),  # very long
)
json_values = any_json(text_size=30, key_size=10, width=4, max_leaves=10)
tags = st.one_of(
    st.dictionaries(st.text(max_size=120), st.text(max_size=1100), max_size=60),
    json_values,
)
base64_bodies = st.one_of(
    st.binary(max_size=2048).map(lambda b: base64.b64encode(b).decode()),
    st.text(max_size=200),  # mostly not base64 at all
    st.binary(max_size=64).map(lambda b: "data:text/plain;base64," + base64.b64encode(b).decode()),
)


# --- Keys: pure functions, so more examples --------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(name=filenames)
def test_any_filename_gives_a_key_inside_the_owners_prefix(name: str) -> None:
    key = build_key(email="alice@example.com", generated=False, filename=name)
    last = safe_filename(name)

    assert key.startswith(user_prefix("alice@example.com") + "uploads/")
    assert key_belongs_to(key, "alice@example.com")
    assert not key_belongs_to(key, "bob@example.com")
    assert key.count("/") == 3  # users/{email}/uploads/{name}: nothing smuggled in
    assert ".." not in last and "\\" not in last and last
    assert len(last) <= SAFE_FILENAME_MAX_CHARS
    assert not any(ord(char) < 32 or ord(char) == 127 for char in key)
    assert display_filename(name) and "\x00" not in display_filename(name)


# --- The API: uploads, renames and tags with arbitrary input ---------------------------------


def _fingerprints(owner: Any, ids: Any = None) -> dict[str, tuple[str, str]]:
    """Files of ``owner`` (those in ``ids``, or all): the row's checksum and the sha256
    of the bytes in S3 (which must match it)."""
    files = StoredFile.objects.filter(owner=owner).select_related("owner")
    if ids is not None:
        files = files.filter(pk__in=list(ids))
    return {
        str(file.pk): (file.checksum, hashlib.sha256(file_read_bytes(file=file)).hexdigest())
        for file in files
    }


def _assert_every_key_is_owned(owner_email: str) -> None:
    for key in storage.list_keys():
        assert key_belongs_to(key, owner_email), key


@pytest.fixture
def existing(api_client: Any, make_stored_file: Any, user: Any) -> dict[str, tuple[str, str]]:
    make_stored_file(content=b"keep me\n", filename="keep.txt")
    make_stored_file(content=bytes(range(256)) * 8, filename="keep.bin")
    return _fingerprints(user)


@on_s3mock
@EXAMPLES
@given(name=filenames, body=base64_bodies, file_tags=tags)
def test_json_upload_of_anything_is_stored_safely_or_refused(
    s3_backend: Any, api_client: Any, user: Any, existing: dict[str, Any], name, body, file_tags
) -> None:
    rows_before = StoredFile.objects.count()

    response = api_client.post(
        "/api/files",
        {"filename": name, "content_base64": body, "tags": file_tags},
        format="json",
    )

    assert response.status_code in ALLOWED_UPLOAD_STATUSES, response.content[:300]
    assert isinstance(response.json().get("code" if response.status_code >= 400 else "id"), str)
    assert _fingerprints(user, existing) == existing  # nothing lost or altered
    if response.status_code == 201:
        row = StoredFile.objects.get(pk=response.json()["id"])
        assert key_belongs_to(row.key, user.email)
        assert file_read_bytes(file=row) == base64.b64decode(body)
    else:
        assert StoredFile.objects.count() == rows_before  # a refusal leaves no row behind
    _assert_every_key_is_owned(user.email)


def _multipart_body(name: str, tags_field: str, content: bytes) -> tuple[bytes, str]:
    """A browser-shaped form: the filename as UTF-8, with ``"``, CR and LF escaped."""
    boundary = "----chatuiPropertyBoundary7MA4YWxk"
    quoted = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="tags"\r\n\r\n'.encode()
        + tags_field.encode("utf-8", "surrogatepass")
        + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + quoted.encode("utf-8", "surrogatepass")
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + content
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@on_s3mock
@EXAMPLES
@given(name=filenames, file_tags=tags)
@example(name="a.txt", file_tags={"\x00": ""})  # once a 500 on PostgreSQL's jsonb
def test_streamed_multipart_upload_of_any_filename_stays_inside_the_prefix(
    s3_backend: Any, api_client: Any, user: Any, existing: dict[str, Any], name, file_tags
) -> None:
    import json

    from rest_framework.authtoken.models import Token

    tags_field = file_tags if isinstance(file_tags, str) else json.dumps(file_tags)
    body, content_type = _multipart_body(name, tags_field, b"multipart body\n")

    token = Token.objects.get(user=user).key
    response = asgi_post(
        "/api/files", token=token, content=body, headers={"Content-Type": content_type}
    )

    assert response.status_code in ALLOWED_UPLOAD_STATUSES, response.text[:300]
    assert _fingerprints(user, existing) == existing
    if response.status_code == 201:
        row = StoredFile.objects.get(pk=response.json()["id"])
        assert file_read_bytes(file=row) == b"multipart body\n"
    _assert_every_key_is_owned(user.email)


@on_s3mock
@EXAMPLES
@given(name=filenames | json_values, file_tags=tags, tagged=json_values)
def test_patch_with_anything_changes_metadata_only(
    s3_backend: Any, api_client: Any, user: Any, existing: dict[str, Any], name, file_tags, tagged
) -> None:
    file_id = next(iter(existing))
    key_before = StoredFile.objects.get(pk=file_id).key

    response = api_client.patch(
        f"/api/files/{file_id}", {"filename": name, "tags": file_tags, "tagged": tagged}, "json"
    )

    assert response.status_code in {200, 400}, response.content[:300]
    row = StoredFile.objects.get(pk=file_id)
    assert row.key == key_before  # a rename never moves the blob
    assert row.filename and "\x00" not in row.filename
    assert _fingerprints(user) == existing
    _assert_every_key_is_owned(user.email)


@on_s3mock
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(file_id=st.text(max_size=80) | st.uuids().map(str), query=st.text(max_size=40))
def test_reading_any_file_id_is_404_or_the_owners_own(
    s3_backend: Any,
    api_client: Any,
    other_api_client: Any,
    user: Any,
    existing: dict[str, Any],
    file_id: str,
    query: str,
) -> None:
    from urllib.parse import quote

    path = f"/api/files/{quote(file_id, safe='')}"
    for url in (path, f"{path}/download", f"{path}?include={quote(query)}"):
        for client in (api_client, other_api_client):
            response = client.get(url)
            assert response.status_code in {200, 400, 404}, (url, response.status_code)
    # bob never reaches alice's files, whatever id he guesses
    for alice_file in existing:
        assert other_api_client.get(f"/api/files/{alice_file}/download").status_code == 404
