"""``manage.py files_stats``: files, bytes and quota use per user."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from files.management.cli import human_bytes, user_by_email
from files.selectors import user_storage_rows


class Command(BaseCommand):
    help = (
        "Per-user table of files, bytes (all; current versions; earlier versions; the "
        "trash), uploads, generated files and quota use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", metavar="EMAIL", help="only this user")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_by_email(options["user"]) if options["user"] else None
        rows = user_storage_rows(user=user)
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        header = (
            f"{'user':<32} {'files':>7} {'bytes':>10} {'current':>10} {'old vers.':>10} "
            f"{'trash':>10} {'uploads':>8} {'generated':>9} quota"
        )
        self.stdout.write(header)
        for row in rows:
            self.stdout.write(
                f"{row['email']:<32} {row['files']:>7} {human_bytes(row['bytes']):>10} "
                f"{human_bytes(row['current_bytes']):>10} "
                f"{human_bytes(row['old_versions_bytes']):>10} "
                f"{human_bytes(row['trash_bytes']):>10} "
                f"{row['uploads']:>8} {row['generated']:>9} {_quota(row)}"
            )
        total_bytes = sum(row["bytes"] for row in rows)
        total_files = sum(row["files"] for row in rows)
        self.stdout.write(f"{len(rows)} users, {total_files} files, {human_bytes(total_bytes)}")


def _quota(row: dict[str, Any]) -> str:
    if not row["quota_bytes"]:
        return "unlimited"
    return f"{row['quota_used_fraction']:.1%} of {human_bytes(row['quota_bytes'])}"
