"""``manage.py files_purge``: retention. Lists what would go unless --apply."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from files.management.cli import human_bytes, parse_duration, user_by_email
from files.models import StoredFile
from files.ops.retention import PurgeCriteria, files_purge
from files.sharing.services import links_purge_expired


class Command(BaseCommand):
    help = (
        "Empty the trash past FILES_TRASH_DAYS; with --keep-versions N drop earlier "
        "versions beyond each file's newest N (replaced longer ago than --older-than, "
        "default FILES_TRASH_DAYS); without it, --older-than deletes whole files created "
        "longer ago; expired and revoked share links go too. A dry run lists what would "
        "go; --apply deletes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            metavar="DURATION",
            help="age of the files (or, with --keep-versions, of the replaced versions) to "
            "remove, e.g. 90d, 12h, 30m",
        )
        parser.add_argument(
            "--keep-versions",
            type=int,
            metavar="N",
            help="purge earlier versions instead of whole files, keeping each file's newest N",
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
        older_than = options["older_than"]
        keep = options["keep_versions"]
        if keep is not None and keep < 1:
            raise CommandError("--keep-versions must be at least 1 (the current version).")
        age = parse_duration(older_than, option="--older-than") if older_than is not None else None
        criteria = PurgeCriteria(
            # with --keep-versions, --older-than ages the replaced versions, not whole files
            older_than=age if keep is None else None,
            versions_older_than=age,
            keep_versions=keep,
            source=options["source"],
            owner=user_by_email(options["user"]) if options["user"] else None,
            untagged_only=options["untagged_only"],
        )
        verb = "deleted" if options["apply"] else "would delete"
        result = files_purge(
            criteria=criteria,
            apply=options["apply"],
            on_file=lambda f: self._line(verb, f),
            on_version=lambda v: self._version_line(verb, v),
        )
        self.stdout.write(
            f"{result.trash_matched} files in the trash since before "
            f"{result.trash_cutoff:%Y-%m-%d %H:%M %Z} ({human_bytes(result.trash_bytes)}): {verb}."
        )
        if keep is not None:
            self.stdout.write(
                f"{result.versions_matched} earlier versions beyond the newest {keep} "
                f"({human_bytes(result.versions_bytes)}): {verb}."
            )
        if result.cutoff:
            self.stdout.write(
                f"{result.matched} files ({human_bytes(result.bytes)}) created before "
                f"{result.cutoff:%Y-%m-%d %H:%M %Z}: {verb}."
            )
        if result.error:
            raise CommandError(f"Stopped: storage failed at {result.error}")
        links = links_purge_expired(owner=criteria.owner, apply=options["apply"])
        self.stdout.write(f"{links} expired or revoked share links: {verb}.")
        if not options["apply"] and (
            result.matched or result.trash_matched or result.versions_matched or links
        ):
            self.stdout.write("Dry run: nothing changed. Run again with --apply to delete.")

    def _line(self, verb: str, file: StoredFile) -> None:
        self.stdout.write(
            f"{verb}: {file.owner.email}  {file.filename}  {human_bytes(file.size)}  "
            f"{file.created_at:%Y-%m-%d}  {file.key}"
        )

    def _version_line(self, verb: str, version: Any) -> None:
        file = version.file
        self.stdout.write(
            f"{verb}: {file.owner.email}  {file.filename} v{version.number}  "
            f"{human_bytes(version.size)}  {version.created_at:%Y-%m-%d}  {version.key}"
        )
