"""``manage.py files_purge``: retention. Lists what would go unless --apply."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from files.management.cli import human_bytes, parse_duration, user_by_email
from files.models import StoredFile
from files.ops.retention import PurgeCriteria, files_purge


class Command(BaseCommand):
    help = (
        "Delete files (blob and row) created longer ago than --older-than. A dry run "
        "lists what would go; --apply deletes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            required=True,
            metavar="DURATION",
            help="age of the files to remove, e.g. 90d, 12h, 30m",
        )
        parser.add_argument("--source", choices=StoredFile.Source.values, help="only this source")
        parser.add_argument("--user", metavar="EMAIL", help="only this user's files")
        parser.add_argument(
            "--untagged-only",
            action="store_true",
            help="keep files tagged for chat or carrying any key/value tag",
        )
        parser.add_argument("--apply", action="store_true", help="delete (default: dry run)")

    def handle(self, *args: Any, **options: Any) -> None:
        criteria = PurgeCriteria(
            older_than=parse_duration(options["older_than"], option="--older-than"),
            source=options["source"],
            owner=user_by_email(options["user"]) if options["user"] else None,
            untagged_only=options["untagged_only"],
        )
        verb = "deleted" if options["apply"] else "would delete"
        result = files_purge(
            criteria=criteria, apply=options["apply"], on_file=lambda f: self._line(verb, f)
        )
        self.stdout.write(
            f"{result.matched} files ({human_bytes(result.bytes)}) created before "
            f"{result.cutoff:%Y-%m-%d %H:%M %Z}: {verb}."
        )
        if result.error:
            raise CommandError(f"Stopped: storage failed at {result.error}")
        if not options["apply"] and result.matched:
            self.stdout.write("Dry run: nothing changed. Run again with --apply to delete.")

    def _line(self, verb: str, file: StoredFile) -> None:
        self.stdout.write(
            f"{verb}: {file.owner.email}  {file.filename}  {human_bytes(file.size)}  "
            f"{file.created_at:%Y-%m-%d}  {file.key}"
        )
