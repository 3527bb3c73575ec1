"""The files REST API over a live S3 endpoint (s3mock and SeaweedFS run the same tests)."""

from __future__ import annotations

import base64
import io
import logging
import socket
import urllib.request
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chat.models import ChatSession
from chatui.testing.asgi import asgi_post
from files.models import StoredFile

pytestmark = pytest.mark.django_db

RESPONSE_FIELDS = {
    "id", "key", "filename", "size", "content_type", "category", "source", "source_tool",
    "tags", "tagged", "session", "created_at", "last_modified", "etag", "checksum",
    "user_email", "download_url", "status", "status_detail",
    "text_status", "pages", "words", "text_error", "version", "trashed_at",
}  # fmt: skip


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _upload(client: APIClient, content: bytes = b"hello\n", name: str = "a.txt", **form: Any):
    """A multipart upload through the ASGI application (the streamed parser)."""
    return asgi_post("/api/files", client=client, files={"file": (name, content)}, data=form)


def _upload_json(client: APIClient, content: bytes = b"hello\n", name: str = "a.txt", **body):
    payload = {"filename": name, "content_base64": _b64(content), **body}
    return client.post("/api/files", payload, format="json")


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 3), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _closed_port_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _snapshot(backend) -> tuple[list[str], list[str]]:
    return sorted(backend.list_keys()), sorted(StoredFile.objects.values_list("key", flat=True))


# --- Upload --------------------------------------------------------------------------


def test_multipart_upload(api_client, s3_backend) -> None:
    # when
    response = _upload(api_client, b"a,b\n1,2\n", "table.csv", tags='{"project": "x"}')
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == RESPONSE_FIELDS
    assert body["key"].startswith("users/alice@example.com/uploads/")
    assert (body["filename"], body["size"], body["category"]) == ("table.csv", 8, "data")
    assert (body["content_type"], body["source"], body["tags"]) == (
        "text/csv",
        "user",
        {"project": "x"},
    )
    assert body["user_email"] == "alice@example.com" and body["tagged"] is False
    assert body["download_url"] == f"/api/files/{body['id']}/download"
    assert s3_backend.list_keys() == [body["key"]]


def test_json_base64_upload_keeps_the_original_name(api_client, s3_backend) -> None:
    response = _upload_json(api_client, b"x", "../../etc/passwd", content_type="text/plain")
    assert response.status_code == 201
    body = response.json()
    assert body["filename"] == "../../etc/passwd"
    assert body["key"].endswith("_etc_passwd") and "/../" not in body["key"]


def test_upload_into_own_chat_session(api_client, user, other_user, s3_backend) -> None:
    mine = ChatSession.objects.create(owner=user)
    theirs = ChatSession.objects.create(owner=other_user)
    assert _upload(api_client, session=str(mine.pk)).json()["session"] == str(mine.pk)
    refused = _upload(api_client, session=str(theirs.pk))
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"


@pytest.mark.parametrize(
    ("name", "stored_name", "key_suffix"),
    [
        ("../../etc/passwd", "../../etc/passwd", "_etc_passwd"),
        ("a/b\\c", "a/b\\c", "_a_b_c"),
        ("x" * 296 + ".txt", None, ".txt"),
        ("tab\tand\x7fdel.txt", "tabanddel.txt", "_tabanddel.txt"),
        ("invoice\u202efdp.exe", "invoicefdp.exe", "_invoicefdp.exe"),
        ("", "file", "_file"),
    ],
)
def test_hostile_filenames_get_safe_keys(api_client, s3_backend, name, stored_name, key_suffix):
    response = _upload_json(api_client, b"x", name)
    assert response.status_code == 201, response.json()
    body = response.json()
    last_segment = body["key"].rsplit("/", 1)[1]
    assert body["key"].startswith("users/alice@example.com/uploads/")
    assert last_segment.endswith(key_suffix) and len(last_segment) <= 8 + 1 + 15 + 1 + 120
    assert "\x00" not in body["filename"] and "\u202e" not in body["filename"]
    if stored_name is not None:
        assert body["filename"] == stored_name
    assert len(body["filename"]) <= 255


def test_an_upload_that_bypasses_the_asgi_application_is_refused(api_client, s3_backend) -> None:
    # one upload path: Django's test client (no streamed ASGI body) is not a second one
    upload = SimpleUploadedFile("a.txt", b"hello\n")
    response = api_client.post("/api/files", {"file": upload}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not StoredFile.objects.exists() and s3_backend.list_keys() == []


def test_upload_without_a_file_is_a_typed_400(api_client, s3_backend) -> None:
    response = asgi_post("/api/files", client=api_client, files={"tags": (None, "{}")})
    assert response.status_code == 400 and response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    ("make_request", "status", "code"),
    [
        (
            lambda c: c.post(
                "/api/files", {"filename": "a", "content_base64": "***"}, format="json"
            ),
            400,
            "invalid_base64",
        ),
        (lambda c: _upload_json(c, b"x", "nul\x00byte.txt"), 400, "invalid"),
        (
            lambda c: c.post(
                "/api/files", {"filename": "a", "content_base64": "aGk"}, format="json"
            ),
            400,
            "invalid_base64",
        ),
        (lambda c: _upload(c, tags="not json"), 400, "invalid"),
        (lambda c: _upload(c, tags='{"a": 1}'), 400, "invalid"),
        (lambda c: _upload(c, b"x" * (1024 * 1024 + 1)), 413, "file_too_large"),
        (lambda c: _upload(c, b"x" * (2 * 1024 * 1024)), 413, "file_too_large"),
        (lambda c: _upload_json(c, b"x" * (1024 * 1024 + 1)), 413, "file_too_large"),
        (lambda c: c.get(f"/api/files/{uuid.uuid4()}"), 404, "not_found"),
        (lambda c: c.get("/api/files/not-a-uuid"), 404, "not_found"),
        (lambda c: c.get("/api/files/not-a-uuid/download"), 404, "not_found"),
        (lambda c: c.delete(f"/api/files/{uuid.uuid4()}"), 404, "not_found"),
        (lambda c: c.get("/api/files?ordering=key"), 400, "invalid"),
        (lambda c: c.get("/api/files?source=admin"), 400, "invalid"),
        (lambda c: c.get("/api/files?page_size=500"), 400, "invalid"),
        (lambda c: c.get("/api/files?tagged=maybe"), 400, "invalid"),
    ],
)
def test_bad_input_is_a_typed_error_and_changes_nothing(
    api_client, s3_backend, settings, make_request, status, code
) -> None:
    # given an existing file and a 1 MB limit
    settings.FILES_MAX_UPLOAD_MB = 1
    _upload(api_client)
    before = _snapshot(s3_backend)
    # when
    response = make_request(api_client)
    # then
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["message"]
    assert _snapshot(s3_backend) == before


def test_quota_overrun_is_413_and_changes_nothing(api_client, user, s3_backend) -> None:
    user.storage_quota_mb = 1
    user.save()
    assert _upload(api_client, b"x" * 900_000).status_code == 201
    before = _snapshot(s3_backend)
    response = _upload(api_client, b"y" * 200_000)
    assert response.status_code == 413 and response.json()["code"] == "quota_exceeded"
    assert _snapshot(s3_backend) == before


def test_upload_over_the_limit_within_the_form_overhead_is_stopped_by_the_parser(
    api_client, s3_backend, settings
) -> None:
    # given a body whose Content-Length passes the early check (within the form overhead)
    settings.FILES_MAX_UPLOAD_MB = 1
    response = _upload(api_client, b"x" * (1024 * 1024 + 10))
    assert response.status_code == 413
    assert s3_backend.list_keys() == []


# --- Faults ----------------------------------------------------------------------------


def test_storage_down_during_upload_is_503_and_no_row(api_client, s3_backend, settings) -> None:
    settings.S3_ENDPOINT = _closed_port_endpoint()
    settings.S3_TIMEOUT = 2.0
    response = _upload(api_client)
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert not StoredFile.objects.exists()


def test_failed_insert_leaves_no_orphan_blob(api_client, s3_backend, monkeypatch) -> None:
    from django.db import OperationalError

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(StoredFile, "save", fail)
    response = _upload(api_client)
    assert response.status_code == 503 and response.json()["code"] == "database_unavailable"
    assert s3_backend.list_keys() == [] and not StoredFile.objects.exists()


# --- List ------------------------------------------------------------------------------


def test_list_newest_first_paginated(api_client, s3_backend) -> None:
    ids = [_upload(api_client, name=f"f{i}.txt").json()["id"] for i in range(3)]
    page = api_client.get("/api/files?page_size=2").json()
    assert page["count"] == 3 and [f["id"] for f in page["results"]] == ids[::-1][:2]
    assert page["next"] and page["previous"] is None
    second = api_client.get("/api/files?page_size=2&page=2").json()
    assert [f["id"] for f in second["results"]] == [ids[0]]


def test_a_row_reconcile_marked_broken_says_so_in_the_list(api_client, user, s3_backend) -> None:
    from django.core.management import call_command

    from files import storage

    kept, lost = (_upload(api_client, name=name).json() for name in ("kept.txt", "lost.txt"))
    assert kept["status"] == "ok" and kept["status_detail"] == ""
    storage.delete(lost["key"])
    call_command("files_reconcile", "--apply", "--min-age", "0s")  # repaired: exits 0
    listed = {f["filename"]: f for f in api_client.get("/api/files").json()["results"]}
    assert listed["kept.txt"]["status"] == "ok"
    assert listed["lost.txt"]["status"] == "broken"
    assert listed["lost.txt"]["status_detail"].startswith("missing_blob")


def test_list_filters_and_ordering(api_client, user, s3_backend) -> None:
    session = ChatSession.objects.create(owner=user)
    _upload(api_client, b"print(1)\n", "main.py")
    _upload(api_client, b"a,b\n", "data.csv", session=str(session.pk))
    tagged = _upload(api_client, b"notes", "Notes.md").json()
    api_client.patch(f"/api/files/{tagged['id']}", {"tagged": True}, format="json")

    def names(query: str) -> list[str]:
        response = api_client.get(f"/api/files?{query}")
        assert response.status_code == 200, response.json()
        return [f["filename"] for f in response.json()["results"]]

    assert names("category=code") == ["main.py"]
    assert names("q=NOTES") == ["Notes.md"]
    assert names("tagged=true") == ["Notes.md"]
    assert names(f"session={session.pk}") == ["data.csv"]
    assert names("source=user&ordering=filename") == ["Notes.md", "data.csv", "main.py"]
    assert names("ordering=-filename") == ["main.py", "data.csv", "Notes.md"]
    assert names("ordering=size") == ["data.csv", "Notes.md", "main.py"]
    assert names("file_type=tool") == []


def test_list_by_checksum_finds_duplicates(api_client, s3_backend) -> None:
    first = _upload(api_client, b"same bytes", "a.txt").json()
    _upload(api_client, b"other bytes", "b.txt")
    again = _upload(api_client, b"same bytes", "copy of a.txt").json()
    assert again["checksum"] == first["checksum"]
    response = api_client.get(f"/api/files?checksum={first['checksum']}&ordering=filename")
    assert [f["filename"] for f in response.json()["results"]] == ["a.txt", "copy of a.txt"]
    assert api_client.get("/api/files?checksum=nothex").json()["code"] == "invalid"


def test_list_makes_no_storage_call(api_client, s3_backend, settings) -> None:
    for i in range(3):
        _upload(api_client, name=f"{i}.txt")
    settings.S3_ENDPOINT = _closed_port_endpoint()  # any S3 call would now fail
    response = api_client.get("/api/files")
    assert response.status_code == 200 and response.json()["count"] == 3


# --- Detail, update, delete ------------------------------------------------------------


def test_detail_and_include_content(api_client, s3_backend, settings) -> None:
    file = _upload(api_client, b"inline me").json()
    detail = api_client.get(f"/api/files/{file['id']}").json()
    assert detail == file
    with_content = api_client.get(f"/api/files/{file['id']}?include=content").json()
    assert base64.b64decode(with_content["content_base64"]) == b"inline me"


def test_include_content_is_refused_for_big_files(api_client, s3_backend, monkeypatch) -> None:
    from files import services

    monkeypatch.setattr(services, "INLINE_CONTENT_MAX_BYTES", 4)
    file = _upload(api_client, b"more than four").json()
    response = api_client.get(f"/api/files/{file['id']}?include=content")
    assert response.status_code == 422 and response.json()["code"] == "content_too_large"


def test_patch_renames_without_moving(api_client, s3_backend) -> None:
    file = _upload(api_client).json()
    response = api_client.patch(
        f"/api/files/{file['id']}", {"filename": "renamed.txt", "tags": {"k": "v"}}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["filename"], body["tags"], body["key"]) == ("renamed.txt", {"k": "v"}, file["key"])
    assert s3_backend.list_keys() == [file["key"]]


def test_patch_rejects_bad_values(api_client, s3_backend) -> None:
    file = _upload(api_client).json()
    for payload in [{"filename": ""}, {"tags": ["x"]}, {"tagged": "perhaps"}]:
        response = api_client.patch(f"/api/files/{file['id']}", payload, format="json")
        assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_delete_moves_to_the_trash_and_permanent_removes_blob_and_row(
    api_client, s3_backend
) -> None:
    file = _upload(api_client).json()
    assert api_client.delete(f"/api/files/{file['id']}").status_code == 204
    assert s3_backend.list_keys() == [file["key"]] and StoredFile.objects.get().trashed_at
    assert api_client.get(f"/api/files/{file['id']}").status_code == 404
    assert api_client.delete(f"/api/files/{file['id']}?permanent=true").status_code == 204
    assert s3_backend.list_keys() == [] and not StoredFile.objects.exists()


# --- Download --------------------------------------------------------------------------


def test_download_streams_with_safe_headers(api_client, s3_backend) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB, several chunks
    file = _upload(api_client, data, "blob.bin").json()
    response = api_client.get(file["download_url"])
    assert response.status_code == 200 and response.streaming
    assert _body(response) == data
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Disposition"] == 'attachment; filename="blob.bin"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"] == f'"{file["etag"]}"' and response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    ("header", "status", "expected", "content_range"),
    [
        ("bytes=2-4", 206, b"234", "bytes 2-4/10"),
        ("bytes=7-", 206, b"789", "bytes 7-9/10"),
        ("bytes=-2", 206, b"89", "bytes 8-9/10"),
        ("bytes=5-100", 206, b"56789", "bytes 5-9/10"),
        ("bytes=10-12", 416, None, "bytes */10"),
        ("bytes=1-2,4-5", 200, b"0123456789", None),
        ("lines=1-2", 200, b"0123456789", None),
    ],
)
def test_download_ranges(api_client, s3_backend, header, status, expected, content_range) -> None:
    file = _upload(api_client, b"0123456789", "digits.txt").json()
    response = api_client.get(file["download_url"], HTTP_RANGE=header)
    assert response.status_code == status
    if expected is not None:
        assert _body(response) == expected and response["Content-Length"] == str(len(expected))
    else:
        assert response.json()["code"] == "range_not_satisfiable"
    assert response.get("Content-Range") == content_range


def test_download_not_modified(api_client, s3_backend) -> None:
    file = _upload(api_client).json()
    response = api_client.get(file["download_url"], HTTP_IF_NONE_MATCH=f'"{file["etag"]}"')
    assert response.status_code == 304


@pytest.mark.parametrize(
    ("content", "name", "inline_allowed"),
    [
        (_png(), "pic.png", True),
        (b"plain text", "notes.txt", True),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script></svg>", "pic.svg", False),
        (b"<html><script>alert(1)</script></html>", "page.html", False),
    ],
)
def test_inline_only_for_passive_types(api_client, s3_backend, content, name, inline_allowed):
    file = _upload(api_client, content, name).json()
    default = api_client.get(file["download_url"])
    assert default["Content-Disposition"].startswith("attachment;")
    asked = api_client.get(file["download_url"] + "?inline=1")
    expected = "inline;" if inline_allowed else "attachment;"
    assert asked["Content-Disposition"].startswith(expected)


def test_unicode_filename_uses_rfc6266(api_client, s3_backend) -> None:
    file = _upload_json(api_client, b"x", 'résumé "final".txt').json()
    disposition = api_client.get(file["download_url"])["Content-Disposition"]
    assert disposition == (
        'attachment; filename="resume _final_.txt"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.txt"
    )


def test_download_redirects_to_a_presigned_url(api_client, s3_backend, settings) -> None:
    settings.FILES_DOWNLOAD_REDIRECT = True
    file = _upload(api_client, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg").json()
    response = api_client.get(file["download_url"])
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(s3_backend.endpoint) and "X-Amz-Signature=" in location
    with urllib.request.urlopen(location, timeout=10) as fetched:  # noqa: S310 (our endpoint)
        assert fetched.read() == b"<svg xmlns='http://www.w3.org/2000/svg'/>"
        assert fetched.headers["Content-Disposition"].startswith("attachment;")


# --- Isolation -------------------------------------------------------------------------


def test_another_user_sees_nothing_of_mine(api_client, other_api_client, s3_backend, settings):
    # given A's file
    file = _upload(api_client, b"secret", "secret.txt").json()
    url = f"/api/files/{file['id']}"
    # when B tries every door
    attempts = [
        other_api_client.get(url),
        other_api_client.get(url + "?include=content"),
        other_api_client.patch(url, {"filename": "mine.txt"}, format="json"),
        other_api_client.delete(url),
        other_api_client.get(url + "/download"),
        other_api_client.get(url + "/download", HTTP_RANGE="bytes=0-1"),
    ]
    settings.FILES_DOWNLOAD_REDIRECT = True
    attempts.append(other_api_client.get(url + "/download"))
    # then
    for response in attempts:
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert "secret" not in response.content.decode()
    stats = other_api_client.get("/api/users/alice@example.com/files/stats")
    assert stats.status_code == 403 and stats.json()["code"] == "forbidden"
    listing = other_api_client.get("/api/files").json()
    assert listing["count"] == 0 and file["key"] not in str(listing)
    assert StoredFile.objects.get(pk=file["id"]).filename == "secret.txt"
    assert s3_backend.list_keys() == [file["key"]]


def test_anonymous_is_refused(anon_client, db) -> None:
    upload = asgi_post("/api/files", files={"file": ("a.txt", b"hi")})
    for response in [anon_client.get("/api/files"), upload]:
        assert response.status_code in {401, 403}
        assert response.json()["code"] == "not_authenticated"


def test_session_auth_enforces_csrf(user, s3_backend) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/files").status_code == 200
    response = _upload(client)
    assert response.status_code == 403 and "CSRF" in response.json()["message"]


def test_drf_create_token_command(user) -> None:
    call_command("drf_create_token", user.email, stdout=io.StringIO())
    token = Token.objects.get(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/files").status_code == 200


# --- Stats and health ------------------------------------------------------------------


def test_stats_for_self_and_staff(api_client, staff_user, user, s3_backend) -> None:
    _upload(api_client, b"abc", "a.py")
    body = api_client.get("/api/users/alice@example.com/files/stats").json()
    assert (body["total_files"], body["total_size"], body["upload_count"]) == (1, 3, 1)
    assert body["generated_count"] == 0 and body["by_category"]["code"]["count"] == 1
    assert {"quota_bytes", "quota_used"} <= set(body)
    staff = APIClient()
    staff.force_authenticate(staff_user)
    assert staff.get("/api/users/alice@example.com/files/stats").json()["total_files"] == 1
    assert staff.get("/api/users/nobody@example.com/files/stats").status_code == 404


def test_health_ok(anon_client, s3_backend) -> None:
    response = anon_client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"]["ok"] and body["storage"]["ok"]


def test_health_degraded_without_storage(anon_client, s3_backend, settings) -> None:
    settings.S3_ENDPOINT = _closed_port_endpoint()
    settings.S3_TIMEOUT = 2.0
    response = anon_client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded" and body["storage"]["ok"] is False
    text = response.content.decode()
    assert settings.S3_SECRET_KEY not in text and settings.S3_ACCESS_KEY not in text


def test_health_degraded_without_bucket(anon_client, s3_backend, settings, caplog) -> None:
    settings.S3_BUCKET = f"missing-{uuid.uuid4().hex[:8]}"
    django_request = logging.getLogger("django.request")  # "django" does not propagate
    django_request.addHandler(caplog.handler)
    try:
        body = anon_client.get("/api/health").json()
    finally:
        django_request.removeHandler(caplog.handler)
    assert body["storage"] == {"ok": False, "latency_ms": body["storage"]["latency_ms"],
                               "error": "bucket_missing"}  # fmt: skip
    # a degraded report (as while a server starts before its bucket) is no server error
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "django.request"]
    assert logged == [("WARNING", "Health degraded: storage")]


# --- Schema and docs -------------------------------------------------------------------


def test_openapi_schema_lists_the_file_endpoints(anon_client, db) -> None:
    response = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/files", "/api/files/{file_id}", "/api/files/{file_id}/download",
                 "/api/users/{email}/files/stats", "/api/health"]:  # fmt: skip
        assert path in paths


def test_docs_page_works_offline(anon_client, db) -> None:
    import re

    from django.contrib.staticfiles import finders

    response = anon_client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    for source in sources:
        assert not source.startswith(("http:", "https:", "//")), source
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source


def test_zip_streams_the_chosen_files_and_stores_nothing(
    api_client, other_api_client, s3_backend
) -> None:
    import zipfile

    # given two files (one name twice) and another user's file
    a = _upload(api_client, b"alpha", "a.txt").json()
    b = _upload(api_client, b"beta", "a.txt").json()
    theirs = _upload(other_api_client, b"secret", "s.txt").json()
    before = api_client.get("/api/files").json()["count"]
    # when both are asked for as a zip
    response = api_client.get(f"/api/files/zip?ids={a['id']}&ids={b['id']}")
    # then the archive streams both, renamed apart, and no file was created
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response.streaming and "attachment" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.namelist() == ["a.txt", "a (2).txt"]
        assert archive.read("a (2).txt") == b"beta"
    assert api_client.get("/api/files").json()["count"] == before
    # and another user's id is not found, as everywhere
    refused = api_client.get(f"/api/files/zip?ids={a['id']}&ids={theirs['id']}")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert api_client.get("/api/files/zip").json()["code"] == "invalid"
