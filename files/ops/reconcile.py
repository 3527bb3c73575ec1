"""Find where the database and the bucket disagree under ``users/``, and repair it.

Flat memory
    Both sides are walked once, in the same order, and merged like two sorted
    files: the bucket through ``storage.iter_blobs`` (one listing page at a time),
    the rows by keyset pagination (``WHERE sort_key > last ORDER BY sort_key LIMIT
    n``). Neither side is ever held whole; repairs are batched. Keyset pages, unlike
    one long open cursor, also let repairs write between pages on SQLite.

The order is the crux
    A merge-join is right only when both streams come in the same order. AWS S3,
    MinIO and s3mock list in UTF-8 byte order of the key, so the rows are sorted
    with the database's binary collation ("C" on PostgreSQL, whose default locale
    collation would put "a-b" and "a.b" elsewhere; "BINARY" on SQLite). SeaweedFS
    lists directory by directory (``a/b`` before ``a.b``), so there the rows are
    sorted by the key with "/" replaced by "\\x01", below every character a key
    can hold: the same order. :func:`files.storage.listing_order` probes which one
    the endpoint uses. In Python, ``str`` compares by code point, which for UTF-8
    is byte order. Both streams are checked as they pass: a key not strictly after
    the previous one aborts the run, since a merge over misordered input would call
    healthy files broken.

Live traffic
    Uploads write the blob and then the row; deletes remove the blob and then the
    row. So rows created after the run started are skipped; orphan blobs younger
    than ``min_age`` are reported but kept (an upload in flight); and each repair
    re-checks its premise just before acting (still no row for this key? blob
    still missing?), which also makes a wrong merge harmless to data.

Open multipart uploads
    A server killed mid-upload (SIGKILL, OOM) leaves its S3 multipart upload open:
    parts that no listing of objects shows and no row points to, billed until
    aborted. After the merge, the uploads under the scope are listed; those started
    before the grace period are aborted with ``apply``, younger ones are uploads in
    flight and kept. Aborting never touches a completed object under the same key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.utils import timezone

from chatui.errors import InvalidInput
from chatui.models import User

from .. import storage
from ..keys import USER_PREFIX, user_prefix
from ..models import FileVersion, ReconcileRun, StoredFile
from ..services import file_delete
from ..version_rows import version_drop
from .integrity import blob_sha256
from .reconcile_rows import ReconcileAborted, _python_sort_key, _Row, _row_stream

MISSING_BLOB = "missing_blob"
ORPHAN_BLOB = "orphan_blob"
SIZE_MISMATCH = "size_mismatch"
CHECKSUM_MISMATCH = "checksum_mismatch"
STALE_MULTIPART = "stale_multipart"
# Reported, but not problems: an orphan or open multipart upload within the grace
# period, a row already marked broken, a broken row whose blob is healthy again.
RECENT_ORPHAN = "recent_orphan"
RECENT_MULTIPART = "recent_multipart"
KNOWN_BROKEN = "known_broken"
RESTORED = "restored"
COUNT_FIELDS = {
    MISSING_BLOB: "missing_blobs",
    ORPHAN_BLOB: "orphan_blobs",
    SIZE_MISMATCH: "size_mismatches",
    CHECKSUM_MISMATCH: "checksum_mismatches",
    STALE_MULTIPART: "stale_multipart_uploads",
}
BROKEN_MARK = "mark"
BROKEN_DELETE = "delete"
DEFAULT_MIN_AGE = timedelta(hours=1)
REPAIR_BATCH = 500
SAMPLES_PER_KIND = 50


@dataclass(frozen=True)
class ReconcileOptions:
    apply: bool = False
    broken: str = BROKEN_MARK
    owner: User | None = None
    verify_checksums: bool = False
    min_age: timedelta = DEFAULT_MIN_AGE


@dataclass(frozen=True)
class Finding:
    kind: str
    key: str
    detail: str
    action: str  # what was done, or what --apply would do


def _ignore(*_: Any) -> None:
    return None


def files_reconcile(
    *,
    options: ReconcileOptions,
    on_finding: Callable[[Finding], None] = _ignore,
    on_progress: Callable[[int], None] = _ignore,
) -> ReconcileRun:
    """Compare rows and blobs under the scope, repair with ``options.apply``; record a run.

    Raises StorageUnavailable or ReconcileAborted (the run is recorded as failed).
    """
    prefix = user_prefix(options.owner.email) if options.owner else f"{USER_PREFIX}/"
    run = ReconcileRun.objects.create(
        started_at=timezone.now(),
        applied=options.apply,
        broken_action=options.broken,
        scope=prefix,
        verify_checksums=options.verify_checksums,
    )
    reconciler = _Reconciler(run, options, on_finding, on_progress)
    try:
        reconciler.merge(prefix)
        reconciler.sweep_multipart_uploads(prefix)
    except BaseException as err:  # recorded, then re-raised: a run never stays "running"
        reconciler.finish(error=getattr(err, "message", "") or repr(err))
        raise
    reconciler.finish()
    return run


# --- The two ordered streams and their merge ---------------------------------------


T = TypeVar("T", _Row, storage.ListedBlob)


def _checked_order(what: str, items: Iterable[T], sort_key: Callable[[str], Any]) -> Iterator[Any]:
    """(sort key, item) pairs; refuses a stream that is not strictly increasing."""
    previous = None
    for item in items:
        current = sort_key(item.key)
        if previous is not None and not previous < current:
            raise ReconcileAborted(
                f"The {what} came out of order at {item.key!r}; nothing after it was compared."
            )
        previous = current
        yield current, item


def _merge_join(
    rows: Iterator[tuple[Any, _Row]], blobs: Iterator[tuple[Any, storage.ListedBlob]]
) -> Iterator[tuple[_Row | None, storage.ListedBlob | None]]:
    row, blob = next(rows, None), next(blobs, None)
    while row is not None or blob is not None:
        if blob is None or (row is not None and row[0] < blob[0]):
            yield row[1], None  # type: ignore[index]
            row = next(rows, None)
        elif row is None or blob[0] < row[0]:
            yield None, blob[1]
            blob = next(blobs, None)
        else:
            yield row[1], blob[1]
            row, blob = next(rows, None), next(blobs, None)


# --- Comparing and repairing --------------------------------------------------------


class _Reconciler:
    def __init__(
        self,
        run: ReconcileRun,
        options: ReconcileOptions,
        on_finding: Callable[[Finding], None],
        on_progress: Callable[[int], None],
    ) -> None:
        self.run = run
        self.options = options
        self.on_finding = on_finding
        self.on_progress = on_progress
        self.young_after = run.started_at - options.min_age
        self.counts: Counter[str] = Counter()
        self.samples: dict[str, list[dict[str, str]]] = {}
        self.pending_orphans: list[tuple[str, str]] = []
        self.pending_rows: list[tuple[_Row, str, str]] = []
        self.listing_order = ""

    def merge(self, prefix: str) -> None:
        self.listing_order = storage.listing_order()
        sort_key = _python_sort_key(self.listing_order)
        rows = _row_stream(prefix, self.listing_order, self.run.started_at)
        pairs = _merge_join(
            _checked_order("database rows", rows, sort_key),
            _checked_order("bucket listing", storage.iter_blobs(prefix), sort_key),
        )
        for checked, (row, blob) in enumerate(pairs, start=1):
            self._compare(row, blob)
            if len(self.pending_orphans) + len(self.pending_rows) >= REPAIR_BATCH:
                self._flush()
            if checked % 1000 == 0:
                self.on_progress(checked)
        self._flush()

    def sweep_multipart_uploads(self, prefix: str) -> None:
        """Abort (with apply) the uploads a killed server left open; keep those in flight."""
        for upload in storage.iter_multipart_uploads(prefix):
            self.counts["multipart_uploads"] += 1
            started = upload.initiated.strftime("%Y-%m-%d %H:%M:%S")
            if upload.initiated > self.young_after:
                detail = f"open upload started {started}, within the grace period"
                self._note(RECENT_MULTIPART, upload.key, detail, "kept")
                continue
            self._problem(STALE_MULTIPART, upload.key)
            detail = f"open upload {upload.upload_id} started {started}"
            self._note(STALE_MULTIPART, upload.key, detail, self._abort(upload))

    def _abort(self, upload: storage.MultipartUploadInfo) -> str:
        if not self.options.apply:
            return "would abort the upload"
        if not storage.abort_multipart_upload(upload.key, upload.upload_id):
            return "none needed: the upload was already gone"
        self.counts["repaired"] += 1
        return "aborted the upload"

    def _compare(self, row: _Row | None, blob: storage.ListedBlob | None) -> None:
        self.counts["rows"] += row is not None
        self.counts["blobs"] += blob is not None
        if row is None:
            self._orphan(blob)  # type: ignore[arg-type]
        elif blob is None:
            self._broken(row, MISSING_BLOB, "no blob under this key")
        elif problem := self._mismatch(row, blob):
            self._broken(row, *problem)
        elif row.status == StoredFile.Status.BROKEN:
            self._restore(row)

    def _mismatch(self, row: _Row, blob: storage.ListedBlob) -> tuple[str, str] | None:
        if blob.size != row.size:
            return SIZE_MISMATCH, f"the blob has {blob.size} bytes, the row says {row.size}"
        if self.options.verify_checksums and row.checksum:
            try:
                actual = blob_sha256(row.key)
            except storage.BlobMissing:
                return MISSING_BLOB, "the blob disappeared while it was being read"
            if actual != row.checksum:
                return (
                    CHECKSUM_MISMATCH,
                    f"sha256 {actual[:16]}… but the row says {row.checksum[:16]}…",
                )
        return None

    def _orphan(self, blob: storage.ListedBlob) -> None:
        written = blob.last_modified.strftime("%Y-%m-%d %H:%M:%S")
        if blob.last_modified > self.young_after:
            self._note(
                RECENT_ORPHAN,
                blob.key,
                f"no row; written {written}, within the grace period",
                "kept",
            )
            return
        detail = f"no row ({blob.size} bytes, written {written})"
        self._problem(ORPHAN_BLOB, blob.key)
        if self.options.apply:
            self.pending_orphans.append((blob.key, detail))
        else:
            self._note(ORPHAN_BLOB, blob.key, detail, "would delete the blob")

    def _broken(self, row: _Row, kind: str, detail: str) -> None:
        deleting = self.options.apply and self.options.broken == BROKEN_DELETE
        if row.status == StoredFile.Status.BROKEN and not deleting:
            self._note(KNOWN_BROKEN, row.key, detail, "already marked broken")
            return
        self._problem(kind, row.key)
        if self.options.apply:
            self.pending_rows.append((row, kind, detail))
        else:
            self._note(kind, row.key, detail, f"would {self._row_verb(kind)}")

    def _restore(self, row: _Row) -> None:
        if row.status_detail.startswith(CHECKSUM_MISMATCH) and not self.options.verify_checksums:
            self._note(KNOWN_BROKEN, row.key, row.status_detail, "kept (needs --verify-checksums)")
            return
        if self.options.apply:
            StoredFile.objects.filter(pk=row.id).update(
                status=StoredFile.Status.OK, status_detail=""
            )
            self._note(RESTORED, row.key, "the blob matches again", "marked ok")
        else:
            self._note(RESTORED, row.key, "the blob matches again", "would mark ok")

    def _row_verb(self, kind: str) -> str:
        if self.options.broken == BROKEN_MARK:
            return "mark the row broken"
        return "delete the row" if kind == MISSING_BLOB else "delete the row and its blob"

    # --- Applying, a batch at a time ------------------------------------------------

    def _flush(self) -> None:
        self._delete_orphans()
        rows, self.pending_rows = self.pending_rows, []
        for row, kind, detail in rows:
            self._note(kind, row.key, detail, self._repair_row(row, kind))

    def _delete_orphans(self) -> None:
        orphans, self.pending_orphans = self.pending_orphans, []
        if not orphans:
            return
        keys = [key for key, _ in orphans]
        claimed = set(StoredFile.objects.filter(key__in=keys).values_list("key", flat=True))
        claimed |= set(FileVersion.objects.filter(key__in=keys).values_list("key", flat=True))
        failed = set(storage.delete_many([key for key in keys if key not in claimed]))
        for key, detail in orphans:
            if key in claimed:
                action = "kept: a row for it appeared meanwhile"
            elif key in failed:
                action = "delete FAILED"
            else:
                action = "deleted the blob"
                self.counts["repaired"] += 1
            self._note(ORPHAN_BLOB, key, detail, action)

    def _repair_row(self, row: _Row, kind: str) -> str:
        if kind == MISSING_BLOB and storage.exists(row.key):
            return "kept: the blob is there now"
        if row.version_id is not None:
            return self._drop_earlier_version(row, kind)
        if self.options.broken == BROKEN_MARK:
            detail = f"{kind}: found by files_reconcile {self.run.started_at:%Y-%m-%d %H:%M}"
            StoredFile.objects.filter(pk=row.id).update(
                status=StoredFile.Status.BROKEN, status_detail=detail[:200]
            )
            self.counts["repaired"] += 1
            return "marked the row broken"
        file = StoredFile.objects.select_related("owner").filter(pk=row.id).first()
        if file is None:
            return "kept: the row is already gone"
        try:
            file_delete(file=file)
        except InvalidInput as err:
            return f"NOT deleted: {err.message}"
        self.counts["repaired"] += 1
        return "deleted the row" + ("" if kind == MISSING_BLOB else " and its blob")

    def _drop_earlier_version(self, row: _Row, kind: str) -> str:
        """An earlier version whose object is gone or different cannot be served or
        marked (only the file's current object has a status): its row goes, and with
        ``--broken=delete`` a different object too."""
        if kind != MISSING_BLOB and self.options.broken == BROKEN_MARK:
            return "kept: an earlier version (delete it with --broken=delete)"
        if kind != MISSING_BLOB:
            storage.delete(row.key)
        version_drop(version_id=row.version_id)
        self.counts["repaired"] += 1
        return "deleted the earlier version's row" + ("" if kind == MISSING_BLOB else " and blob")

    # --- Reporting ------------------------------------------------------------------

    def _problem(self, kind: str, key: str) -> None:
        self.counts[kind] += 1
        samples = self.samples.setdefault(kind, [])
        if len(samples) < SAMPLES_PER_KIND:
            samples.append({"key": key})

    def _note(self, kind: str, key: str, detail: str, action: str) -> None:
        if kind not in COUNT_FIELDS:
            self.counts[kind] += 1
        self.on_finding(Finding(kind, key, detail, action))

    def finish(self, *, error: str = "") -> None:
        run = self.run
        run.finished_at = timezone.now()
        run.rows_checked = self.counts["rows"]
        run.blobs_checked = self.counts["blobs"]
        for kind, field in COUNT_FIELDS.items():
            setattr(run, field, self.counts[kind])
        run.repaired = self.counts["repaired"]
        run.outcome = _outcome(run, error)
        run.summary = {
            "listing_order": self.listing_order,
            "min_age_seconds": int(self.options.min_age.total_seconds()),
            "recent_orphans": self.counts[RECENT_ORPHAN],
            "multipart_uploads": self.counts["multipart_uploads"],
            "recent_multipart_uploads": self.counts[RECENT_MULTIPART],
            "known_broken": self.counts[KNOWN_BROKEN],
            "restored": self.counts[RESTORED],
            "samples": self.samples,
            "error": error,
        }
        run.save()


def _outcome(run: ReconcileRun, error: str) -> str:
    if error:
        return ReconcileRun.Outcome.FAILED
    if not run.problems:
        return ReconcileRun.Outcome.CLEAN
    if run.repaired >= run.problems:
        return ReconcileRun.Outcome.REPAIRED
    return ReconcileRun.Outcome.PROBLEMS
