"""Versions and the trash over the API, against live s3mock and SeaweedFS endpoints.

Upload v1..v3, read each, restore (a new version), diff, the trash and its purge
(time moved by the test), quota arithmetic, faults each followed by a clean
``files_reconcile``, and another user's view of all of it.
"""

from __future__ import annotations

import socket
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from chatui.testing.asgi import asgi_post
from files import storage
from files.models import FileVersion, ReconcileRun, StoredFile
from files.ops.reconcile import ReconcileOptions, files_reconcile

pytestmark = pytest.mark.django_db


def _upload(client: Any, content: bytes, name: str = "report.txt", query: str = "") -> Any:
    return asgi_post(f"/api/files{query}", client=client, files={"file": (name, content)})


def _new_version(client: Any, file_id: str, content: bytes, name: str = "report.txt") -> Any:
    path = f"/api/files/{file_id}/versions"
    return asgi_post(path, client=client, files={"file": (name, content)})


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _three_versions(client: Any) -> dict[str, Any]:
    first = _upload(client, b"line one\nline two\n").json()
    _new_version(client, first["id"], b"line one\nline 2\n")
    third = _new_version(client, first["id"], b"line one\nline 2\nline three\n")
    assert third.status_code == 201, third.json()
    return third.json()


def _reconcile_is_clean() -> ReconcileRun:
    run = files_reconcile(options=ReconcileOptions(apply=True, min_age=timedelta(0)))
    run = files_reconcile(options=ReconcileOptions(min_age=timedelta(0)))
    assert run.outcome == ReconcileRun.Outcome.CLEAN, run.summary
    return run


def _closed_port_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# --- Versions --------------------------------------------------------------------------


def test_three_versions_each_readable_by_number(api_client, s3_backend) -> None:
    file = _three_versions(api_client)
    assert file["version"] == 3 and file["size"] == len(b"line one\nline 2\nline three\n")

    listed = api_client.get(f"/api/files/{file['id']}/versions").json()
    assert [(v["version"], v["current"], v["source"]) for v in listed] == [
        (3, True, "upload"),
        (2, False, "upload"),
        (1, False, "upload"),
    ]
    assert len(set(FileVersion.objects.values_list("key", flat=True))) == 3
    assert sorted(s3_backend.list_keys()) == sorted(
        FileVersion.objects.values_list("key", flat=True)
    )

    assert _body(api_client.get(listed[1]["download_url"])) == b"line one\nline 2\n"
    assert _body(api_client.get(f"{file['download_url']}?version=1")) == b"line one\nline two\n"
    assert _body(api_client.get(file["download_url"])).endswith(b"line three\n")
    detail = api_client.get(f"/api/files/{file['id']}?version=2").json()
    assert (detail["version"], detail["size"]) == (2, len(b"line one\nline 2\n"))


@pytest.mark.parametrize("value", ["0", "-1", "x", "1.5", "4"])
def test_bad_or_unknown_version_numbers_are_typed_errors(api_client, s3_backend, value) -> None:
    file = _three_versions(api_client)
    response = api_client.get(f"{file['download_url']}?version={value}")
    expected = (404, "version_not_found") if value == "4" else (400, "invalid")
    assert (response.status_code, response.json()["code"]) == expected


def test_upload_with_replace_adds_a_version_instead_of_a_file(api_client, s3_backend) -> None:
    first = _upload(api_client, b"draft\n").json()
    again = _upload(api_client, b"final\n", query=f"?replace={first['id']}")
    assert again.status_code == 201 and again.json()["id"] == first["id"]
    assert again.json()["version"] == 2 and StoredFile.objects.count() == 1
    both = _upload(api_client, b"other\n")  # "keep both": a plain upload
    assert both.json()["id"] != first["id"] and StoredFile.objects.count() == 2


def test_new_version_as_json_base64(api_client, s3_backend) -> None:
    first = _upload(api_client, b"a\n").json()
    response = api_client.post(
        f"/api/files/{first['id']}/versions", {"content_base64": "Yg=="}, format="json"
    )
    assert response.status_code == 201 and response.json()["version"] == 2
    assert _body(api_client.get(first["download_url"])) == b"b"


def test_restore_v1_becomes_v4(api_client, s3_backend) -> None:
    file = _three_versions(api_client)
    response = api_client.post(f"/api/files/{file['id']}/versions/1/restore")
    assert response.status_code == 201
    restored = response.json()
    assert restored["version"] == 4 and restored["checksum"] != file["checksum"]
    assert _body(api_client.get(restored["download_url"])) == b"line one\nline two\n"
    top = api_client.get(f"/api/files/{file['id']}/versions").json()[0]
    assert (top["version"], top["source"], top["restored_from"]) == (4, "restore", 1)
    v1 = FileVersion.objects.get(file_id=file["id"], number=1)
    assert top["checksum"] == v1.checksum and restored["key"] != v1.key  # an object of its own
    missing = api_client.post(f"/api/files/{file['id']}/versions/9/restore")
    assert missing.status_code == 404 and missing.json()["code"] == "version_not_found"


def test_diff_of_two_text_versions(api_client, s3_backend) -> None:
    file = _three_versions(api_client)
    diff = api_client.get(f"/api/files/{file['id']}/diff?from=1&to=3").json()
    assert diff["diff"].splitlines()[:2] == ["--- report.txt v1", "+++ report.txt v3"]
    assert "-line two" in diff["diff"] and "+line 2" in diff["diff"]
    assert "+line three" in diff["diff"]
    assert (diff["added"], diff["removed"], diff["truncated"]) == (2, 1, False)
    to_current = api_client.get(f"/api/files/{file['id']}/diff?from=2").json()
    assert (to_current["to"], to_current["added"], to_current["removed"]) == (3, 1, 0)
    bad = api_client.get(f"/api/files/{file['id']}/diff?from=x")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_diff_refuses_binary_versions(api_client, s3_backend) -> None:
    first = _upload(api_client, b"\x00\x01binary", "blob.bin").json()
    _new_version(api_client, first["id"], b"\x00\x02binary", "blob.bin")
    response = api_client.get(f"/api/files/{first['id']}/diff?from=1&to=2")
    assert response.status_code == 400 and response.json()["code"] == "not_text"


# --- Trash ----------------------------------------------------------------------------


def test_delete_restore_then_purge_after_retention(
    api_client, s3_backend, settings, monkeypatch
) -> None:
    settings.FILES_TRASH_DAYS = 30
    file = _three_versions(api_client)
    assert api_client.delete(f"/api/files/{file['id']}").status_code == 204
    assert api_client.get("/api/files").json()["count"] == 0
    trash = api_client.get("/api/trash").json()
    assert [row["id"] for row in trash["results"]] == [file["id"]]
    assert trash["results"][0]["trashed_at"]

    restored = api_client.post(f"/api/files/{file['id']}/restore")
    assert restored.status_code == 200 and restored.json()["trashed_at"] is None
    assert api_client.get("/api/files").json()["count"] == 1
    assert api_client.delete(f"/api/files/{file['id']}").status_code == 204

    out = StringIO()
    call_command("files_purge", "--apply", stdout=out)  # 0 days later: kept
    assert "0 files in the trash" in out.getvalue() and len(s3_backend.list_keys()) == 3

    later = timezone.now() + timedelta(days=31)
    monkeypatch.setattr("files.ops.retention.timezone.now", lambda: later)
    out = StringIO()
    call_command("files_purge", "--apply", stdout=out)
    assert "1 files in the trash" in out.getvalue()
    assert s3_backend.list_keys() == [] and not FileVersion.objects.exists()
    assert not StoredFile.objects.exists()
    _reconcile_is_clean()


def test_permanent_delete_and_empty_trash_remove_every_version(api_client, s3_backend) -> None:
    file = _three_versions(api_client)
    other = _upload(api_client, b"other\n", "other.txt").json()
    api_client.delete(f"/api/files/{other['id']}")
    response = api_client.delete(f"/api/files/{file['id']}?permanent=true")
    assert response.status_code == 204 and len(s3_backend.list_keys()) == 1
    emptied = api_client.delete("/api/trash")
    assert emptied.json() == {"deleted_files": 1} and s3_backend.list_keys() == []
    bad = api_client.delete(f"/api/files/{other['id']}?permanent=maybe")
    assert bad.status_code == 400


def test_purge_keep_versions_drops_old_versions_only(api_client, s3_backend, monkeypatch) -> None:
    file = _three_versions(api_client)
    out = StringIO()
    call_command("files_purge", "--keep-versions=2", "--older-than=1d", "--apply", stdout=out)
    assert "0 earlier versions" in out.getvalue()
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr("files.ops.retention.timezone.now", lambda: later)
    out = StringIO()
    call_command("files_purge", "--keep-versions=2", "--older-than=1d", "--apply", stdout=out)
    assert "1 earlier versions" in out.getvalue()
    numbers = api_client.get(f"/api/files/{file['id']}/versions").json()
    assert [v["version"] for v in numbers] == [3, 2]
    assert StoredFile.objects.get().old_versions_bytes == len(b"line one\nline 2\n")
    assert len(s3_backend.list_keys()) == 2
    _reconcile_is_clean()


def test_quota_counts_versions_and_trash(api_client, s3_backend, settings) -> None:
    settings.FILES_USER_QUOTA_MB = 1
    part = b"x" * (400 * 1024)
    first = _upload(api_client, part, "big.txt").json()
    assert _new_version(api_client, first["id"], part + b"y", "big.txt").status_code == 201
    stats = api_client.get("/api/users/alice@example.com/files/stats").json()
    assert (stats["quota_used"], stats["current_bytes"]) == (2 * len(part) + 1, len(part) + 1)
    assert stats["old_versions_bytes"] == len(part)
    refused = _new_version(api_client, first["id"], part + b"z", "big.txt")
    assert refused.status_code == 413 and refused.json()["code"] == "quota_exceeded"
    api_client.delete(f"/api/files/{first['id']}")  # the trash still counts
    stats = api_client.get("/api/users/alice@example.com/files/stats").json()
    assert (stats["quota_used"], stats["trash_bytes"], stats["current_bytes"]) == (
        2 * len(part) + 1,
        2 * len(part) + 1,
        0,
    )
    assert _upload(api_client, part, "again.txt").status_code == 413
    api_client.delete(f"/api/files/{first['id']}?permanent=true")
    assert _upload(api_client, part, "again.txt").status_code == 201


# --- Faults, each followed by a clean files_reconcile ------------------------------------


def test_storage_down_during_new_version_leaves_the_file_as_it_was(
    api_client, s3_backend, settings
) -> None:
    first = _upload(api_client, b"v1\n").json()
    endpoint = settings.S3_ENDPOINT
    settings.S3_ENDPOINT = _closed_port_endpoint()
    settings.S3_TIMEOUT = 2.0
    storage.reset_storage()
    response = _new_version(api_client, first["id"], b"v2\n")
    assert response.status_code == 503 and response.json()["code"] == "storage_unavailable"
    restore = api_client.post(f"/api/files/{first['id']}/versions/1/restore")
    assert restore.status_code == 503
    settings.S3_ENDPOINT = endpoint
    storage.reset_storage()
    assert StoredFile.objects.get().version == 1 and FileVersion.objects.count() == 1
    _reconcile_is_clean()


def test_database_error_after_the_write_removes_the_new_object(
    api_client, s3_backend, monkeypatch
) -> None:
    first = _upload(api_client, b"v1\n").json()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(FileVersion, "save", fail)
    response = _new_version(api_client, first["id"], b"v2\n")
    assert response.status_code == 503 and response.json()["code"] == "database_unavailable"
    assert s3_backend.list_keys() == [first["key"]]
    assert StoredFile.objects.get().version == 1
    monkeypatch.undo()
    _reconcile_is_clean()


def test_killed_between_write_and_row_leaves_an_orphan_reconcile_removes(
    api_client, s3_backend, monkeypatch
) -> None:
    """A process killed after the object was written and before its row: simulated by
    the row failing *and* the clean-up never running (the process is gone)."""
    first = _upload(api_client, b"v1\n").json()
    monkeypatch.setattr(storage, "delete_quietly", lambda key: False)
    monkeypatch.setattr(FileVersion, "save", lambda *a, **k: (_ for _ in ()).throw(SystemExit))
    with pytest.raises(SystemExit):
        _new_version(api_client, first["id"], b"v2\n")
    monkeypatch.undo()
    assert len(s3_backend.list_keys()) == 2 and FileVersion.objects.count() == 1
    run = files_reconcile(options=ReconcileOptions(apply=True, min_age=timedelta(0)))
    assert run.orphan_blobs == 1 and run.repaired == 1
    assert s3_backend.list_keys() == [first["key"]]
    _reconcile_is_clean()


def test_storage_down_during_purge_keeps_the_rest_for_the_next_run(
    api_client, s3_backend, settings, monkeypatch
) -> None:
    file = _three_versions(api_client)
    api_client.delete(f"/api/files/{file['id']}")
    later = timezone.now() + timedelta(days=settings.FILES_TRASH_DAYS + 1)
    monkeypatch.setattr("files.ops.retention.timezone.now", lambda: later)
    real_delete = storage.delete
    calls = []

    def delete_then_fail(key: str) -> None:
        calls.append(key)
        if len(calls) == 2:
            from chatui.errors import StorageUnavailable

            raise StorageUnavailable()
        real_delete(key)

    monkeypatch.setattr(storage, "delete", delete_then_fail)
    with pytest.raises(Exception, match="Stopped"):
        call_command("files_purge", "--apply", stdout=StringIO())
    assert StoredFile.objects.filter(pk=file["id"]).exists()  # row kept, one object gone
    monkeypatch.setattr(storage, "delete", real_delete)
    run = files_reconcile(options=ReconcileOptions(min_age=timedelta(0)))
    assert run.missing_blobs == 1  # found: an earlier version whose object went first
    call_command("files_purge", "--apply", stdout=StringIO())
    assert s3_backend.list_keys() == [] and not StoredFile.objects.exists()
    _reconcile_is_clean()


# --- Isolation ----------------------------------------------------------------------------


def test_another_user_cannot_touch_versions_or_trash(
    api_client, other_api_client, s3_backend
) -> None:
    file = _three_versions(api_client)
    trashed = _upload(api_client, b"gone\n", "gone.txt").json()
    api_client.delete(f"/api/files/{trashed['id']}")
    fid = file["id"]
    attempts = [
        other_api_client.get(f"/api/files/{fid}/versions"),
        _new_version(other_api_client, fid, b"mine\n"),
        other_api_client.post(f"/api/files/{fid}/versions/1/restore"),
        other_api_client.get(f"/api/files/{fid}/diff?from=1&to=2"),
        other_api_client.get(f"/api/files/{fid}/download?version=1"),
        other_api_client.post(f"/api/files/{trashed['id']}/restore"),
        other_api_client.delete(f"/api/files/{trashed['id']}?permanent=true"),
        _upload(other_api_client, b"x\n", query=f"?replace={fid}"),
    ]
    assert [response.status_code for response in attempts] == [404] * len(attempts)
    assert other_api_client.get("/api/trash").json()["count"] == 0
    assert StoredFile.objects.get(pk=fid).version == 3
    assert StoredFile.objects.get(pk=trashed["id"]).trashed_at is not None
    assert len(s3_backend.list_keys()) == 4


# --- Cost ------------------------------------------------------------------------------------


def test_reading_the_current_version_costs_no_extra_query(
    api_client, s3_backend, django_assert_num_queries
) -> None:
    """The row carries the current version's key, size and checksum: the download and
    the detail of the current version cost what they did before versions existed
    (token, then the file), with or without ``?version=`` naming it; only an earlier
    version costs one query more (its row)."""
    file = _three_versions(api_client)
    with django_assert_num_queries(2):
        assert api_client.get(f"/api/files/{file['id']}").status_code == 200
    with django_assert_num_queries(2):
        _body(api_client.get(file["download_url"]))
    with django_assert_num_queries(2):
        _body(api_client.get(f"{file['download_url']}?version=3"))
    with django_assert_num_queries(3):
        _body(api_client.get(f"{file['download_url']}?version=1"))


# --- Text per version ----------------------------------------------------------------------


def test_each_version_keeps_its_text_and_search_finds_the_current_one(
    api_client, s3_backend
) -> None:
    from files.documents.jobs import text_extraction_run

    first = _upload(api_client, b"the alpha plan\n").json()
    text_extraction_run(file_id=first["id"])
    _new_version(api_client, first["id"], b"the beta plan\n")
    text_extraction_run(file_id=first["id"])

    def hits(word: str) -> int:
        return api_client.get(f"/api/search?q={word}").json()["count"]

    assert (hits("alpha"), hits("beta")) == (0, 1)
    old = api_client.get(f"/api/files/{first['id']}/text?version=1").json()
    new = api_client.get(f"/api/files/{first['id']}/text").json()
    assert ("alpha" in old["text"], "beta" in new["text"]) == (True, True)
    api_client.delete(f"/api/files/{first['id']}")
    assert hits("beta") == 0  # the trash is not searched
