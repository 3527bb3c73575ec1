"""files_stats, files_purge, files_export and create_demo against a live s3mock."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from chatui.models import User
from files import storage
from files.models import StoredFile
from files.ops.demo import DEMO_EMAIL

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True),
]


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _age(file: StoredFile, days: int) -> None:
    StoredFile.objects.filter(pk=file.pk).update(created_at=timezone.now() - timedelta(days=days))


def _state() -> tuple[list[Any], list[str]]:
    return list(StoredFile.objects.order_by("key").values_list()), sorted(storage.list_keys())


# --- files_stats ---------------------------------------------------------------------


def test_stats_table_and_json(
    s3_backend: Any, user: Any, other_user: Any, make_stored_file: Callable[..., Any], settings: Any
) -> None:
    settings.FILES_USER_QUOTA_MB = 1
    from files.trash import file_trash
    from files.versions import version_upload

    first = make_stored_file(content=b"a" * 1000)
    make_stored_file(content=b"b" * 48, source="tool", source_tool="plot_csv")
    version_upload(file=first, content=b"A" * 900)  # v1's 1000 bytes: an earlier version
    file_trash(file=make_stored_file(content=b"c" * 100))
    text = _run("files_stats")
    assert "alice@example.com" in text and "bob@example.com" in text
    assert "2 users, 2 files" in text
    rows = json.loads(_run("files_stats", "--json", "--user", "ALICE@example.com"))
    assert rows == [
        {
            "email": "alice@example.com",
            "files": 2,
            "bytes": 2048,
            "current_bytes": 948,
            "old_versions_bytes": 1000,
            "trash_bytes": 100,
            "uploads": 1,
            "generated": 1,
            "quota_bytes": 1024 * 1024,
            "quota_used_fraction": round(2048 / (1024 * 1024), 6),
        }
    ]


def test_stats_unknown_user(s3_backend: Any) -> None:
    with pytest.raises(CommandError, match=r"No user with the email 'ghost@example\.com'"):
        _run("files_stats", "--user", "ghost@example.com")


# --- files_purge ---------------------------------------------------------------------


@pytest.fixture
def aged(s3_backend: Any, user: Any, other_user: Any, make_stored_file: Callable[..., Any]):
    files = {
        "old": make_stored_file(filename="old.txt"),
        "old_tool": make_stored_file(filename="old.png", source="tool", source_tool="plot_csv"),
        "old_tagged": make_stored_file(filename="keep.txt", tags={"project": "x"}),
        "old_bob": make_stored_file(owner=other_user, filename="bob.txt"),
        "new": make_stored_file(filename="new.txt"),
    }
    for name in ("old", "old_tool", "old_tagged", "old_bob"):
        _age(files[name], days=100)
    StoredFile.objects.filter(pk=files["old"].pk).update(tagged=False)
    return files


def test_purge_dry_run_lists_and_changes_nothing(aged: dict[str, StoredFile]) -> None:
    before = _state()
    text = _run("files_purge", "--older-than", "90d")
    assert _state() == before
    assert "4 files" in text and "would delete" in text and "Dry run" in text
    assert aged["new"].key not in text and aged["old_bob"].key in text


def test_purge_apply_deletes_rows_and_blobs_matching_every_criterion(
    aged: dict[str, StoredFile],
) -> None:
    text = _run(
        "files_purge",
        "--older-than=90d",
        "--source=user",
        "--user=alice@example.com",
        "--untagged-only",
        "--apply",
    )
    assert "1 files" in text and "deleted" in text
    assert not StoredFile.objects.filter(pk=aged["old"].pk).exists()
    assert not storage.exists(aged["old"].key)
    for kept in ("old_tool", "old_tagged", "old_bob", "new"):
        assert StoredFile.objects.filter(pk=aged[kept].pk).exists()
        assert storage.exists(aged[kept].key)


def test_purge_units(aged: dict[str, StoredFile]) -> None:
    _age(aged["new"], days=0)
    StoredFile.objects.filter(pk=aged["new"].pk).update(
        created_at=timezone.now() - timedelta(hours=13)
    )
    assert "5 files" in _run("files_purge", "--older-than", "12h")
    assert "5 files" in _run("files_purge", "--older-than", "30m")
    assert "4 files" in _run("files_purge", "--older-than", "2w")


@pytest.mark.parametrize("value", ["90", "d90", "-1d", "1y", ""])
def test_purge_rejects_bad_durations(s3_backend: Any, value: str) -> None:
    with pytest.raises(CommandError, match="not a duration"):
        _run("files_purge", f"--older-than={value}")


def test_purge_without_older_than_only_empties_the_trash(aged: dict[str, StoredFile]) -> None:
    StoredFile.objects.filter(pk=aged["old_bob"].pk).update(
        trashed_at=timezone.now() - timedelta(days=31)
    )
    StoredFile.objects.filter(pk=aged["new"].pk).update(
        trashed_at=timezone.now() - timedelta(days=29)
    )
    text = _run("files_purge", "--apply")
    assert "1 files in the trash" in text
    assert not StoredFile.objects.filter(pk=aged["old_bob"].pk).exists()
    assert not storage.exists(aged["old_bob"].key)
    assert StoredFile.objects.count() == 4


# --- files_export ----------------------------------------------------------------------


def test_export_streams_every_file_with_a_manifest(
    s3_backend: Any, user: Any, make_stored_file: Callable[..., Any], tmp_path: Path
) -> None:
    # given two files with the same name, one with a hostile name, one large
    big = os.urandom(3 * 1024 * 1024)
    make_stored_file(content=b"one\n", filename="notes.txt")
    make_stored_file(content=b"two\n", filename="NOTES.txt", tags={"k": "v"})
    make_stored_file(content=b"evil\n", filename="../../etc/passwd")
    make_stored_file(content=big, filename="big.bin")
    output = tmp_path / "alice.zip"
    # when
    text = _run("files_export", "--user", "alice@example.com", "--output", str(output))
    # then
    assert "Wrote 4 files" in text
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        assert sorted(names) == sorted(
            [
                "files/notes.txt",
                "files/NOTES (2).txt",
                "files/etc_passwd",
                "files/big.bin",
                "manifest.json",
            ]
        )
        assert all(archive.getinfo(n).compress_type == zipfile.ZIP_DEFLATED for n in names)
        manifest = json.loads(archive.read("manifest.json"))
        assert (
            hashlib.sha256(archive.read("files/big.bin")).hexdigest()
            == hashlib.sha256(big).hexdigest()
        )
    assert manifest["user"] == "alice@example.com" and manifest["files_exported"] == 4
    entry = next(e for e in manifest["files"] if e["path"] == "files/NOTES (2).txt")
    assert entry["tags"] == {"k": "v"} and entry["size"] == 4 and entry["source"] == "user"
    assert entry["filename"] == "NOTES.txt" and entry["key"].startswith("users/alice@example.com/")
    assert entry["checksum"] == hashlib.sha256(b"two\n").hexdigest() and entry["created_at"]


def test_export_reports_missing_blobs_and_exits_non_zero(
    s3_backend: Any, stored_file: StoredFile, tmp_path: Path
) -> None:
    storage.delete(stored_file.key)
    output = tmp_path / "x.zip"
    with pytest.raises(CommandError) as excinfo:
        _run("files_export", "--user", "alice@example.com", "--output", str(output))
    assert excinfo.value.returncode == 2
    manifest = json.loads(zipfile.ZipFile(output).read("manifest.json"))
    assert manifest["files"][0]["missing"] is True


def test_export_refuses_bad_output_paths(s3_backend: Any, user: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        _run("files_export", "--user", user.email, "--output", str(tmp_path / "no" / "x.zip"))
    with pytest.raises(CommandError, match="is a directory"):
        _run("files_export", "--user", user.email, "--output", str(tmp_path))
    (tmp_path / "taken.zip").write_bytes(b"")
    with pytest.raises(CommandError, match="already exists"):
        _run("files_export", "--user", user.email, "--output", str(tmp_path / "taken.zip"))
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if not os.access(locked, os.W_OK):  # root may write anywhere
        with pytest.raises(CommandError, match="not writable"):
            _run("files_export", "--user", user.email, "--output", str(locked / "x.zip"))
    with pytest.raises(CommandError, match="No user"):
        _run("files_export", "--user", "ghost@example.com", "--output", str(tmp_path / "g.zip"))


def test_a_failed_export_leaves_no_file(
    s3_backend: Any, stored_file: StoredFile, tmp_path: Path, settings: Any
) -> None:
    settings.S3_ENDPOINT = "http://127.0.0.1:9"
    settings.S3_TIMEOUT = 1.0
    with pytest.raises(CommandError, match="nothing written"):
        _run("files_export", "--user", "alice@example.com", "--output", str(tmp_path / "x.zip"))
    assert list(tmp_path.iterdir()) == []


# --- create_demo ----------------------------------------------------------------------


def test_create_demo_once_then_nothing_changes(s3_backend: Any) -> None:
    # when
    first = _run("create_demo")
    # then the generated password works, is printed once and stored only as a hash
    password = first.split(" with password ")[1].split()[0]
    demo = User.objects.get(email=DEMO_EMAIL)
    assert authenticate(email=DEMO_EMAIL, password=password) == demo
    assert password not in demo.password
    assert f"Sign in at /accounts/login/ as {DEMO_EMAIL}" in first
    files = {f.filename: f for f in StoredFile.objects.filter(owner=demo)}
    assert set(files) == {"sales.csv", "chart.png", "notes.txt", "report.pdf"}
    assert files["chart.png"].content_type == "image/png"
    assert files["report.pdf"].content_type == "application/pdf"
    assert files["sales.csv"].category == "data"
    assert sorted(storage.list_keys()) == sorted(f.key for f in files.values())
    # and a second run changes nothing, and says so
    before = (_state(), demo.password)
    second = _run("create_demo", "--password", "another-pass-42")
    assert (_state(), User.objects.get(email=DEMO_EMAIL).password) == before
    assert "nothing changed" in second and "--password ignored" in second
    assert password not in second and f"as {DEMO_EMAIL}" in second


def test_create_demo_with_a_password_and_a_missing_file(s3_backend: Any) -> None:
    _run("create_demo", "--password", "demo-pass-123")
    StoredFile.objects.filter(filename="notes.txt").delete()
    text = _run("create_demo")
    assert "Uploaded sample files: notes.txt." in text
    assert authenticate(email=DEMO_EMAIL, password="demo-pass-123") is not None


def test_create_demo_with_storage_down(s3_backend: Any, settings: Any) -> None:
    settings.S3_ENDPOINT = "http://127.0.0.1:9"
    settings.S3_TIMEOUT = 1.0
    with pytest.raises(CommandError, match="Could not create the demo files"):
        _run("create_demo")


def test_every_command_has_help(s3_backend: Any) -> None:
    from django.core.management import get_commands, load_command_class

    for name in ("files_reconcile", "files_stats", "files_purge", "files_export", "create_demo"):
        command = load_command_class(get_commands()[name], name)
        assert command.help and command.create_parser("manage.py", name).format_help()
