"""The JSON API over HTTP against a live s3mock, as the original mock's clients use it."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from s3mock.jsonapi import safe_filename
from s3mock.testing import S3MockProcess


@pytest.fixture(scope="module")
def api(s3mock_server: S3MockProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=s3mock_server.endpoint_url, timeout=10) as client:
        yield client


@pytest.fixture
def email() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.com"


def bearer(email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {email}"}


def upload(api: httpx.Client, email: str, name: str = "notes.txt", data: bytes = b"hi", **extra):
    body = {"filename": name, "content_base64": base64.b64encode(data).decode(), **extra}
    response = api.post("/files", json=body, headers=bearer(email))
    assert response.status_code == 201, response.text
    return response.json()


def file_url(key: str) -> str:
    return "/files/" + quote(key, safe="")


def error_code(response: httpx.Response) -> str:
    return response.json()["error"]["code"]


def test_health_needs_no_caller(api: httpx.Client) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_upload_returns_the_file_and_uses_the_key_layout(api: httpx.Client, email: str) -> None:
    # when
    created = upload(api, email, "report 2026 é.txt", b"hello", tags={"chat": "42"})
    # then
    assert set(created) == {
        "key",
        "filename",
        "size",
        "content_type",
        "last_modified",
        "etag",
        "tags",
        "user_email",
    }
    folder, _, leaf = created["key"].rpartition("/")
    assert folder == f"users/{email}/uploads"
    date, clock, short, name = leaf.split("_", 3)
    assert len(date) == 8 and date.isdigit() and len(clock) == 6 and clock.isdigit()
    assert len(short) == 8 and name == "report_2026_é.txt"  # spaces become _, as originally
    assert created["filename"] == "report 2026 é.txt"
    assert created["size"] == 5
    assert created["content_type"] == "text/plain"
    assert created["tags"] == {"chat": "42"}
    assert created["user_email"] == email
    assert created["last_modified"].endswith("Z")


def test_tool_files_go_under_generated(api: httpx.Client, email: str) -> None:
    created = upload(api, email, "chart.png", b"\x89PNG", tags={"source": "tool"})
    assert created["key"].startswith(f"users/{email}/generated/")
    assert created["content_type"] == "image/png"


def test_download_returns_content_and_accepts_raw_slashes(api: httpx.Client, email: str) -> None:
    data = bytes(range(256))
    created = upload(api, email, "blob.bin", data, content_type="application/x-test")
    for url in (file_url(created["key"]), "/files/" + quote(created["key"], safe="/@")):
        response = api.get(url, headers=bearer(email))
        assert response.status_code == 200
        body = response.json()
        assert base64.b64decode(body["content_base64"]) == data
        assert body["content_type"] == "application/x-test"
        assert body["etag"] == created["etag"]


def test_objects_are_visible_to_s3_with_metadata_and_tags(
    api: httpx.Client, email: str, s3_client: Any, s3mock_server: S3MockProcess
) -> None:
    created = upload(api, email, "a/b.txt", b"x", tags={"k": "v"})
    got = s3_client.get_object(Bucket=s3mock_server.bucket, Key=created["key"])
    assert got["Body"].read() == b"x"
    tags = s3_client.get_object_tagging(Bucket=s3mock_server.bucket, Key=created["key"])
    assert tags["TagSet"] == [{"Key": "k", "Value": "v"}]


def test_two_emails_are_isolated(api: httpx.Client, email: str) -> None:
    other = f"other-{uuid.uuid4().hex[:8]}@example.com"
    mine = upload(api, email, "mine.txt")
    upload(api, other, "theirs.txt")
    # then the other user sees only their own file and cannot read, delete or count mine
    listed = api.get("/files", headers=bearer(other)).json()
    assert [f["filename"] for f in listed] == ["theirs.txt"]
    assert api.get(file_url(mine["key"]), headers=bearer(other)).status_code == 403
    assert api.delete(file_url(mine["key"]), headers=bearer(other)).status_code == 403
    stats = api.get(f"/users/{email}/files/stats", headers=bearer(other))
    assert stats.status_code == 403
    assert error_code(stats) == "forbidden"
    # and my file is still there
    assert api.get(file_url(mine["key"]), headers=bearer(email)).status_code == 200


def test_an_email_cannot_reach_into_a_longer_prefix(api: httpx.Client) -> None:
    victim = f"v-{uuid.uuid4().hex[:6]}@example.com"
    theirs = upload(api, victim, "secret.txt")
    response = api.get(file_url(theirs["key"]), headers=bearer(f"{victim}/uploads"))
    assert response.status_code == 401


@pytest.mark.parametrize(
    "content",
    ["aGVsbG8", "aGVs bG8=", "aGVsbG8=\n", "aGVsbG8=!", "aGVs-G8=", "ZéZ=", "a", "===="],
)
def test_strict_base64(api: httpx.Client, email: str, content: str) -> None:
    body = {"filename": "x.txt", "content_base64": content}
    response = api.post("/files", json=body, headers=bearer(email))
    assert response.status_code == 400
    assert error_code(response) == "invalid_base64"


def test_empty_content_is_an_empty_file(api: httpx.Client, email: str) -> None:
    assert upload(api, email, "empty.txt", b"")["size"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"content_base64": "aGk="},
        {"filename": "x", "content_base64": None},
        {"filename": 7, "content_base64": "aGk="},
        {"filename": "", "content_base64": "aGk="},
        {"filename": "x", "content_base64": "aGk=", "content_type": 5},
        {"filename": "x", "content_base64": "aGk=", "tags": {"a": 1}},
        {"filename": "x", "content_base64": "aGk=", "tags": ["a"]},
        {"filename": "x", "content_base64": "aGk=", "tags": {str(i): "v" for i in range(11)}},
        ["not", "an", "object"],
    ],
)
def test_missing_or_wrong_typed_fields_are_400(api: httpx.Client, email: str, body: Any) -> None:
    response = api.post("/files", json=body, headers=bearer(email))
    assert response.status_code == 400
    assert error_code(response) == "invalid"


def test_invalid_json_is_400(api: httpx.Client, email: str) -> None:
    response = api.post("/files", content=b"{nope", headers=bearer(email))
    assert response.status_code == 400


def test_list_is_newest_first_with_limit_and_file_type(api: httpx.Client, email: str) -> None:
    names = []
    for index in range(4):
        tags = {"source": "tool"} if index % 2 else {}
        names.append(upload(api, email, f"f{index}.txt", tags=tags)["filename"])
        time.sleep(0.01)  # distinct last_modified stamps (millisecond precision)

    def listed(query: str) -> list[str]:
        response = api.get(f"/files{query}", headers=bearer(email))
        assert response.status_code == 200
        assert isinstance(response.json(), list)  # a bare list, as the original mock's
        counts.append(int(response.headers["X-Total-Count"]))
        return [f["filename"] for f in response.json()]

    counts: list[int] = []
    assert listed("") == names[::-1]
    assert listed("?limit=3") == names[::-1][:3]
    assert counts == [4, 4]  # every match, before the limit
    assert listed("?file_type=user") == ["f2.txt", "f0.txt"]
    assert listed("?file_type=tool&limit=1") == ["f3.txt"]


@pytest.mark.parametrize(
    "query", ["?limit=0", "?limit=-1", "?limit=abc", "?limit=1.5", "?file_type=x"]
)
def test_bad_list_parameters_are_400(api: httpx.Client, email: str, query: str) -> None:
    response = api.get(f"/files{query}", headers=bearer(email))
    assert response.status_code == 400
    assert error_code(response) == "invalid"


def test_delete_then_404(api: httpx.Client, email: str) -> None:
    created = upload(api, email)
    response = api.delete(file_url(created["key"]), headers=bearer(email))
    assert response.status_code == 200
    assert api.get(file_url(created["key"]), headers=bearer(email)).status_code == 404
    missing = api.delete(file_url(created["key"]), headers=bearer(email))
    assert missing.status_code == 404
    assert error_code(missing) == "not_found"


def test_stats_count_uploads_and_generated(api: httpx.Client, email: str) -> None:
    upload(api, email, "a.txt", b"12345")
    upload(api, email, "b.txt", b"123")
    upload(api, email, "c.txt", b"1", tags={"source": "tool"})
    response = api.get(f"/users/{quote(email)}/files/stats", headers=bearer(email))
    assert response.json() == {
        "total_files": 3,
        "total_size": 9,
        "upload_count": 2,
        "generated_count": 1,
    }


@pytest.mark.parametrize(
    ("method", "url"),
    [("GET", "/files"), ("POST", "/files"), ("GET", "/files/users/a@b.c/uploads/x"),
     ("DELETE", "/files/users/a@b.c/uploads/x"), ("GET", "/users/a@b.c/files/stats")],
)  # fmt: skip
def test_every_route_needs_a_caller(api: httpx.Client, method: str, url: str) -> None:
    response = api.request(method, url, json={})
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_unknown_key_is_404_and_foreign_key_is_403(api: httpx.Client, email: str) -> None:
    missing = api.get(file_url(f"users/{email}/uploads/nope.txt"), headers=bearer(email))
    assert missing.status_code == 404
    foreign = api.get(file_url("users/someone@else.org/uploads/x.txt"), headers=bearer(email))
    assert foreign.status_code == 403
    outside = api.get(file_url("elsewhere/x.txt"), headers=bearer(email))
    assert outside.status_code == 403


def test_wrong_method_is_405(api: httpx.Client, email: str) -> None:
    assert api.put("/files", headers=bearer(email)).status_code == 405


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "_._etc_passwd"),
        ("a\\b/c", "a_b_c"),
        ("bad\x00name\x1f.txt", "badname.txt"),
        ("日本語 ファイル.txt", "日本語_ファイル.txt"),
        ("my report  v2.txt", "my_report__v2.txt"),
        ("tab\tname.txt", "tab_name.txt"),
        ("..", "file"),
        ("", "file"),
        ("\u202etxt.exe", "txt.exe"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_is_bounded_and_keeps_the_extension() -> None:
    long = safe_filename("é" * 500 + ".txt")
    assert long.endswith(".txt")
    assert len(long.encode()) <= 240
    assert len(long) <= 120


def test_undecodable_path_is_400(api: httpx.Client, email: str) -> None:
    response = api.get("/files/users%2F%FF", headers=bearer(email))
    assert response.status_code == 400
