"""``files_index``: queue existing files for text extraction (a backfill), with progress.

By default it queues the files never indexed (uploaded before the document index
existed); ``--failed`` adds failed files and those a stopped worker abandoned;
``--rebuild`` re-indexes every file. The worker (``files_worker``) does the work;
``--now`` does it here instead, one file after another, through the same job code.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from files.documents.jobs import text_extraction_run
from files.documents.ops import files_to_index, text_reindex
from files.management.cli import Progress, user_by_email


class Command(BaseCommand):
    help = (
        "Queue files for text extraction: never-indexed ones, --failed ones too, or --rebuild all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", metavar="EMAIL", help="only this user's files")
        parser.add_argument("--rebuild", action="store_true", help="re-index every file")
        parser.add_argument(
            "--failed", action="store_true", help="also failed files and abandoned jobs"
        )
        parser.add_argument(
            "--now", action="store_true", help="extract here instead of leaving it to the worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_by_email(options["user"]) if options["user"] else None
        files = list(
            files_to_index(user=user, rebuild=options["rebuild"], failed=options["failed"])
        )
        progress = Progress("indexing" if options["now"] else "queueing", total=len(files))
        outcomes: dict[str, int] = {}
        for done, file in enumerate(files, start=1):
            with transaction.atomic():
                text_reindex(file=file, by_worker=not options["now"])
            if options["now"]:
                outcome = text_extraction_run(file_id=str(file.pk))
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            progress.update(done)
        progress.close()
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        verb = "indexed" if options["now"] else "queued for the worker"
        self.stdout.write(f"{len(files)} file(s) {verb}" + (f": {summary}." if summary else "."))
