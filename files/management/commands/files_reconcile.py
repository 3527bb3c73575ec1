"""``manage.py files_reconcile``: where do the database and the bucket disagree?"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatui.errors import StorageUnavailable
from files.management.cli import Progress, parse_duration, user_by_email
from files.models import ReconcileRun
from files.ops.reconcile import (
    BROKEN_DELETE,
    BROKEN_MARK,
    Finding,
    ReconcileAborted,
    ReconcileOptions,
    files_reconcile,
)

PROBLEMS_LEFT = 2  # exit status when problems remain (1 is a usage or runtime error)


class Command(BaseCommand):
    help = (
        "Compare the file rows with the blobs under users/ in the bucket: rows whose blob "
        "is missing, blobs no row points to, size (and with --verify-checksums, sha256) "
        "mismatches, multipart uploads left open. Reports only, unless --apply: then orphan "
        "blobs and open multipart uploads older than --min-age are deleted (aborted) and "
        "broken rows marked (or deleted, --broken=delete). Exits 2 when problems are left."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="repair what is found")
        parser.add_argument(
            "--broken",
            choices=[BROKEN_MARK, BROKEN_DELETE],
            default=BROKEN_MARK,
            help="with --apply: mark broken rows (status=broken, default) or delete them "
            "(and any mismatching blob)",
        )
        parser.add_argument("--user", metavar="EMAIL", help="only this user's files")
        parser.add_argument(
            "--verify-checksums",
            action="store_true",
            help="also read every blob whose size matches and compare its sha256 (slow)",
        )
        parser.add_argument(
            "--min-age",
            default="1h",
            metavar="DURATION",
            help="keep orphan blobs and open multipart uploads younger than this: an upload "
            "in flight writes its blob before its row (default 1h; e.g. 10m, 2h, 1d)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run_options = ReconcileOptions(
            apply=options["apply"],
            broken=options["broken"],
            owner=user_by_email(options["user"]) if options["user"] else None,
            verify_checksums=options["verify_checksums"],
            min_age=parse_duration(options["min_age"], option="--min-age"),
        )
        progress = Progress("reconcile")
        try:
            run = files_reconcile(
                options=run_options, on_finding=self._report, on_progress=progress.update
            )
        except (StorageUnavailable, ReconcileAborted) as err:
            raise CommandError(f"files_reconcile stopped: {err.message}") from err
        finally:
            progress.close()
        self._summarise(run)

    def _report(self, finding: Finding) -> None:
        line = f"{finding.kind:<18} {finding.key}  ({finding.detail}) -> {finding.action}"
        self.stdout.write(line)

    def _summarise(self, run: ReconcileRun) -> None:
        summary = run.summary
        self.stdout.write(
            f"Checked {run.rows_checked} rows and {run.blobs_checked} blobs under {run.scope} "
            f"(listing order: {summary['listing_order']})."
        )
        self.stdout.write(
            f"Missing blobs: {run.missing_blobs}, orphan blobs: {run.orphan_blobs}, "
            f"size mismatches: {run.size_mismatches}, checksum mismatches: "
            f"{run.checksum_mismatches}"
            + ("" if run.verify_checksums else " (not verified)")
            + f", stale multipart uploads: {run.stale_multipart_uploads}"
            + f"; repaired: {run.repaired}."
        )
        self.stdout.write(
            f"Also: {summary['recent_orphans']} orphan blobs and "
            f"{summary['recent_multipart_uploads']} multipart uploads within the grace "
            "period (kept), "
            f"{summary['known_broken']} rows already marked broken, "
            f"{summary['restored']} broken rows whose blob matches again."
        )
        left = run.problems - run.repaired
        if not run.applied and run.problems:
            self.stdout.write("Dry run: nothing changed. Run again with --apply to repair.")
        if left > 0:
            raise CommandError(f"{left} problems left unrepaired.", returncode=PROBLEMS_LEFT)
        self.stdout.write(self.style.SUCCESS(f"Done: {run.get_outcome_display().lower()}."))
