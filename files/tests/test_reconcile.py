"""files_reconcile over live endpoints: s3mock and SeaweedFS (which lists keys in a
different order than S3, so both orders of the merge-join are exercised)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from files import storage
from files.models import ReconcileRun, StoredFile
from files.ops.reconcile import (
    CHECKSUM_MISMATCH,
    MISSING_BLOB,
    ORPHAN_BLOB,
    RECENT_MULTIPART,
    RECENT_ORPHAN,
    SIZE_MISMATCH,
    STALE_MULTIPART,
    Finding,
    ReconcileAborted,
    ReconcileOptions,
    _checked_order,
    _merge_join,
    _python_sort_key,
    _row_stream,
    files_reconcile,
)

pytestmark = pytest.mark.django_db
STRAY_KEY = "users/alice@example.com/uploads/20200101_000000_deadbeef_stray.txt"
HALF_KEY = "users/alice@example.com/uploads/20200101_000000_cafebabe_half.bin"
# Emails whose prefixes order differently by bytes ("." < "/") and by directory.
TRICKY_EMAILS = ["a@x.co", "a@x.co.uk", "a-b@x.co", "a+tag@x.co", "z@x.co", "z@zoë.co"]


def _overwrite(key: str, data: bytes) -> None:
    storage.delete(key)  # put_bytes never overwrites (If-None-Match: *)
    storage.put_bytes(key, data, content_type="text/plain")


def _snapshot() -> tuple[list[tuple[Any, ...]], list[tuple[str, int, str]]]:
    rows = list(StoredFile.objects.order_by("key").values_list())
    blobs = sorted((b.key, b.size, b.etag) for b in storage.iter_blobs(""))
    return rows, blobs


def _reconcile(**options: Any) -> tuple[ReconcileRun, list[Finding]]:
    findings: list[Finding] = []
    options.setdefault("min_age", timedelta(0))
    run = files_reconcile(options=ReconcileOptions(**options), on_finding=findings.append)
    return run, findings


@pytest.fixture
def seeded(
    s3_backend: Any, user: Any, make_user: Callable[..., Any], make_stored_file: Callable[..., Any]
) -> dict[str, Any]:
    """Healthy files for users with tricky emails, plus one of each inconsistency."""
    healthy = []
    for email in TRICKY_EMAILS:
        owner = make_user(email)
        healthy += [make_stored_file(owner=owner, filename=name) for name in ("a.txt", "a-b.csv")]
    alice = user  # alice@example.com
    missing = make_stored_file(owner=alice, content=b"gone\n", filename="missing.txt")
    storage.delete(missing.key)
    resized = make_stored_file(owner=alice, content=b"12345\n", filename="resized.txt")
    _overwrite(resized.key, b"123456789\n")
    altered = make_stored_file(owner=alice, content=b"abcdef\n", filename="altered.txt")
    _overwrite(altered.key, b"ABCDEF\n")
    storage.put_bytes(STRAY_KEY, b"nobody's\n", content_type="text/plain")
    return {"healthy": healthy, "missing": missing, "resized": resized, "altered": altered}


def test_a_consistent_store_is_clean_in_both_listing_orders(
    s3_backend: Any, make_user: Callable[..., Any], make_stored_file: Callable[..., Any]
) -> None:
    # given files of users whose key prefixes sort differently by bytes and by directory
    for email in TRICKY_EMAILS:
        make_stored_file(owner=make_user(email), filename="f.txt")
    # when
    run, findings = _reconcile(verify_checksums=True)
    # then
    assert findings == []
    assert (run.rows_checked, run.blobs_checked, run.problems) == (6, 6, 0)
    assert run.outcome == ReconcileRun.Outcome.CLEAN
    expected = "segments" if s3_backend.name == "seaweedfs" else "bytes"
    assert run.summary["listing_order"] == expected


def test_dry_run_reports_every_kind_and_changes_nothing(seeded: dict[str, Any]) -> None:
    before = _snapshot()
    run, findings = _reconcile(verify_checksums=True)
    assert _snapshot() == before
    by_kind = {f.kind: f for f in findings}
    assert by_kind[MISSING_BLOB].key == seeded["missing"].key
    assert by_kind[SIZE_MISMATCH].key == seeded["resized"].key
    assert "10 bytes" in by_kind[SIZE_MISMATCH].detail
    assert by_kind[CHECKSUM_MISMATCH].key == seeded["altered"].key
    assert by_kind[ORPHAN_BLOB].key == STRAY_KEY
    assert len(findings) == 4
    assert all(f.action.startswith("would ") for f in findings)
    assert (run.missing_blobs, run.orphan_blobs, run.size_mismatches) == (1, 1, 1)
    assert (run.checksum_mismatches, run.repaired, run.applied) == (1, 0, False)
    assert run.outcome == ReconcileRun.Outcome.PROBLEMS
    assert run.summary["samples"][ORPHAN_BLOB] == [{"key": STRAY_KEY}]


def test_checksums_are_compared_only_when_asked(seeded: dict[str, Any]) -> None:
    run, findings = _reconcile()
    assert CHECKSUM_MISMATCH not in {f.kind for f in findings}
    assert run.problems == 3


def test_apply_marks_broken_rows_and_deletes_orphans(seeded: dict[str, Any]) -> None:
    # when
    run, _ = _reconcile(apply=True, verify_checksums=True)
    # then
    assert (run.problems, run.repaired, run.outcome) == (4, 4, ReconcileRun.Outcome.REPAIRED)
    assert STRAY_KEY not in storage.list_keys("users/")
    broken = StoredFile.objects.filter(status=StoredFile.Status.BROKEN)
    assert {f.key for f in broken} == {seeded[n].key for n in ("missing", "resized", "altered")}
    assert broken.get(pk=seeded["resized"].pk).status_detail.startswith(SIZE_MISMATCH)
    assert storage.exists(seeded["resized"].key)  # marking keeps the blob
    assert StoredFile.objects.filter(status=StoredFile.Status.OK).count() == 12
    # and a second run knows them and finds nothing new
    again, _ = _reconcile(verify_checksums=True)
    assert again.problems == 0 and again.summary["known_broken"] == 3


def test_apply_delete_removes_broken_rows_and_their_blobs(seeded: dict[str, Any]) -> None:
    run, _ = _reconcile(apply=True, broken="delete", verify_checksums=True)
    assert run.repaired == 4
    gone = [seeded[n] for n in ("missing", "resized", "altered")]
    assert not StoredFile.objects.filter(pk__in=[f.pk for f in gone]).exists()
    keys = set(storage.list_keys("users/"))
    assert not keys & {f.key for f in gone} and STRAY_KEY not in keys
    assert keys == {f.key for f in seeded["healthy"]}
    clean, _ = _reconcile(verify_checksums=True)
    assert clean.outcome == ReconcileRun.Outcome.CLEAN


def test_young_orphans_are_kept(s3_backend: Any, user: Any) -> None:
    storage.put_bytes(STRAY_KEY, b"in flight\n", content_type="text/plain")
    run, findings = _reconcile(apply=True, min_age=timedelta(hours=1))
    assert [f.kind for f in findings] == [RECENT_ORPHAN]
    assert storage.exists(STRAY_KEY) and run.problems == 0


# --- Multipart uploads a killed server left open --------------------------------------


def _open_uploads(prefix: str = "") -> list[tuple[str, str]]:
    return [(u.key, u.upload_id) for u in storage.iter_multipart_uploads(prefix)]


@pytest.fixture
def open_multipart(s3_backend: Any) -> Iterator[Callable[[str], str]]:
    """Start uploads the way ``MultipartWriter`` does (Create + one UploadPart), never
    complete them; abort what is left afterwards so the bucket can be dropped."""

    def start(key: str) -> str:
        client, bucket = storage.client(), storage.bucket_name()
        upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"part one\n"
        )
        return upload_id

    yield start
    for key, upload_id in _open_uploads():
        storage.abort_multipart_upload(key, upload_id)


def test_dry_run_reports_a_stale_multipart_upload_and_changes_nothing(
    user: Any, open_multipart: Callable[[str], str]
) -> None:
    # given an upload a killed server left open, and one outside users/
    upload_id = open_multipart(HALF_KEY)
    open_multipart("_elsewhere/half.bin")
    before = (_snapshot(), _open_uploads())
    # when
    run, findings = _reconcile()
    # then
    assert (_snapshot(), _open_uploads()) == before
    assert [(f.kind, f.key, f.action) for f in findings] == [
        (STALE_MULTIPART, HALF_KEY, "would abort the upload")
    ]
    assert upload_id[:16] in findings[0].detail
    assert (run.stale_multipart_uploads, run.problems, run.repaired) == (1, 1, 0)
    assert run.outcome == ReconcileRun.Outcome.PROBLEMS
    assert run.summary["multipart_uploads"] == 1
    assert run.summary["samples"][STALE_MULTIPART] == [{"key": HALF_KEY}]


def test_apply_aborts_stale_multipart_uploads_and_keeps_fresh_ones(
    user: Any, open_multipart: Callable[[str], str]
) -> None:
    # given one open upload
    open_multipart(HALF_KEY)
    # when the grace period covers it, it is an upload in flight
    run, findings = _reconcile(apply=True, min_age=timedelta(hours=1))
    assert [(f.kind, f.action) for f in findings] == [(RECENT_MULTIPART, "kept")]
    assert run.problems == 0 and run.summary["recent_multipart_uploads"] == 1
    assert [key for key, _ in _open_uploads()] == [HALF_KEY]
    # when it is older than the grace period
    run, findings = _reconcile(apply=True, min_age=timedelta(0))
    # then
    assert [(f.kind, f.action) for f in findings] == [(STALE_MULTIPART, "aborted the upload")]
    assert (run.stale_multipart_uploads, run.repaired) == (1, 1)
    assert run.outcome == ReconcileRun.Outcome.REPAIRED
    assert _open_uploads() == [] and storage.list_keys("users/") == []


def test_multipart_uploads_are_listed_page_by_page(
    s3_backend: Any, open_multipart: Callable[[str], str]
) -> None:
    keys = [f"users/a@x.co/uploads/{name}" for name in ("1", "2", "2", "3")]
    started = sorted(zip(keys, [open_multipart(key) for key in keys], strict=True))
    listed = [(u.key, u.upload_id) for u in storage.iter_multipart_uploads("users/", page_size=1)]
    assert sorted(listed) == started
    assert storage.abort_multipart_upload(*started[0]) is True
    # aborting again: s3mock (like S3) answers NoSuchUpload, SeaweedFS succeeds again
    assert storage.abort_multipart_upload(*started[0]) is (s3_backend.name == "seaweedfs")


def test_a_row_that_appears_before_the_repair_keeps_its_blob(
    s3_backend: Any, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an orphan whose row is inserted between the comparison and the repair
    storage.put_bytes(STRAY_KEY, b"racing\n", content_type="text/plain")
    from files.ops import reconcile

    original = reconcile._Reconciler._delete_orphans

    def insert_row_first(self: Any) -> None:
        StoredFile.objects.create(owner=user, key=STRAY_KEY, filename="stray.txt", size=7)
        original(self)

    monkeypatch.setattr(reconcile._Reconciler, "_delete_orphans", insert_row_first)
    # when
    run, findings = _reconcile(apply=True)
    # then
    assert storage.exists(STRAY_KEY)
    assert findings[0].action == "kept: a row for it appeared meanwhile" and run.repaired == 0


def test_a_restored_blob_clears_the_broken_mark(s3_backend: Any, stored_file: Any) -> None:
    storage.delete(stored_file.key)
    _reconcile(apply=True)
    storage.put_bytes(stored_file.key, b"hello, world\n", content_type="text/plain")
    _, findings = _reconcile(apply=True)
    stored_file.refresh_from_db()
    assert stored_file.status == StoredFile.Status.OK and findings[0].action == "marked ok"


def test_user_scope_leaves_other_users_alone(seeded: dict[str, Any]) -> None:
    run, findings = _reconcile(owner=seeded["healthy"][0].owner, apply=True)
    assert findings == [] and run.scope == "users/a@x.co/"
    assert run.rows_checked == 2  # not a@x.co.uk's, although its key starts alike
    assert storage.exists(STRAY_KEY)


def test_rows_created_after_the_start_are_not_compared(s3_backend: Any, user: Any) -> None:
    future = timezone.now() + timedelta(minutes=5)
    StoredFile.objects.create(owner=user, key="users/alice@example.com/uploads/x", filename="x")
    StoredFile.objects.filter(key__endswith="/x").update(created_at=future)
    run, findings = _reconcile()
    assert findings == [] and run.rows_checked == 0


# --- The command ---------------------------------------------------------------------


def test_command_reports_then_repairs_and_exits_by_what_is_left(seeded: dict[str, Any]) -> None:
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "files_reconcile", "--min-age=0s", "--verify-checksums", stdout=out, stderr=StringIO()
        )
    assert excinfo.value.returncode == 2
    text = out.getvalue()
    assert f"orphan_blob        {STRAY_KEY}" in text and "Dry run: nothing changed" in text
    assert "Missing blobs: 1, orphan blobs: 1, size mismatches: 1, checksum mismatches: 1" in text
    out = StringIO()
    call_command(
        "files_reconcile",
        "--min-age=0s",
        "--apply",
        "--broken=delete",
        stdout=out,
        stderr=StringIO(),
    )
    # checksums were not verified this time
    assert "stale multipart uploads: 0; repaired: 3." in out.getvalue()
    assert "deleted the blob" in out.getvalue() and "deleted the row" in out.getvalue()


def test_command_aborts_stale_multipart_uploads_with_apply_only(
    user: Any, open_multipart: Callable[[str], str]
) -> None:
    open_multipart(HALF_KEY)
    out = StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("files_reconcile", "--min-age=0s", stdout=out, stderr=StringIO())
    assert excinfo.value.returncode == 2
    assert f"stale_multipart    {HALF_KEY}" in out.getvalue()
    assert "stale multipart uploads: 1; repaired: 0." in out.getvalue()
    out = StringIO()
    call_command("files_reconcile", "--min-age=0s", "--apply", stdout=out, stderr=StringIO())
    assert "-> aborted the upload" in out.getvalue() and _open_uploads() == []


def test_command_refuses_bad_input(s3_backend: Any) -> None:
    with pytest.raises(CommandError, match="No user with the email"):
        call_command("files_reconcile", "--user=nobody@example.com")
    with pytest.raises(CommandError, match="not a duration"):
        call_command("files_reconcile", "--min-age=soon")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("files_reconcile", "--broken=burn")


def test_storage_down_fails_and_records_the_run(s3_backend: Any, settings: Any) -> None:
    settings.S3_ENDPOINT = "http://127.0.0.1:9"
    settings.S3_TIMEOUT = 1.0
    with pytest.raises(CommandError, match="files_reconcile stopped"):
        call_command("files_reconcile", stdout=StringIO(), stderr=StringIO())
    assert ReconcileRun.objects.get().outcome == ReconcileRun.Outcome.FAILED


# --- The order: unit tests without S3 -------------------------------------------------

ORDER_KEYS = [
    "users/a@x.co/uploads/f",
    "users/a@x.co/uploads/f-2",
    "users/a@x.co/uploads/f.txt",
    "users/a@x.co/uploads/F",
    "users/a@x.co/uploads/ü",
    "users/a@x.co/uploads/\U0001f600",
    "users/a@x.co/generated/g",
    "users/a@x.co.uk/uploads/f",
    "users/a-b@x.co/uploads/f",
    "users/A@x.co/uploads/f",
    "users/zoë@x.co/uploads/f",
]


@pytest.mark.parametrize("order", [storage.LISTING_ORDER_BYTES, storage.LISTING_ORDER_SEGMENTS])
def test_the_database_sorts_keys_as_the_listing_does(user: Any, order: str) -> None:
    # given rows whose keys sort differently under locale, byte and directory order
    StoredFile.objects.bulk_create(
        StoredFile(owner=user, key=key, filename="f", size=1) for key in ORDER_KEYS
    )
    # when
    listed = [row.key for row in _row_stream("users/", order, timezone.now())]
    # then
    assert listed == sorted(ORDER_KEYS, key=_python_sort_key(order))
    if order == storage.LISTING_ORDER_BYTES:
        assert listed == sorted(ORDER_KEYS, key=lambda key: key.encode())


def test_row_pages_continue_where_the_last_ended(
    user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from files.ops import reconcile_rows

    monkeypatch.setattr(reconcile_rows, "ROW_PAGE", 3)
    StoredFile.objects.bulk_create(
        StoredFile(owner=user, key=key, filename="f", size=1) for key in ORDER_KEYS
    )
    order = storage.LISTING_ORDER_SEGMENTS
    listed = [row.key for row in _row_stream("users/", order, timezone.now())]
    assert listed == sorted(ORDER_KEYS, key=_python_sort_key(order))


def test_a_stream_out_of_order_aborts_the_merge() -> None:
    class Item:
        def __init__(self, key: str) -> None:
            self.key = key

    sort_key = _python_sort_key(storage.LISTING_ORDER_BYTES)
    rows = _checked_order("rows", [Item("users/a/1"), Item("users/a/3")], sort_key)
    blobs = _checked_order("bucket listing", [Item("users/a/2"), Item("users/a/1")], sort_key)
    with pytest.raises(ReconcileAborted, match="bucket listing came out of order"):
        list(_merge_join(rows, blobs))


def test_merge_join_pairs_equal_keys() -> None:
    def pairs(keys: list[str]) -> Any:
        return iter([(key, key) for key in keys])

    merged = list(_merge_join(pairs(["a", "c", "d"]), pairs(["b", "c", "e"])))
    assert merged == [("a", None), (None, "b"), ("c", "c"), ("d", None), (None, "e")]


def test_checksums_stream_the_blob(s3_backend: Any, make_stored_file: Callable[..., Any]) -> None:
    from files.ops.integrity import blob_sha256

    content = b"x" * (3 * 1024 * 1024 + 5)
    file = make_stored_file(content=content, filename="big.bin")
    assert blob_sha256(file.key) == hashlib.sha256(content).hexdigest() == file.checksum
