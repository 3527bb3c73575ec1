"""``manage.py files_export``: one user's files and a manifest, as a zip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatui.errors import InvalidInput, StorageUnavailable
from files.management.cli import Progress, human_bytes, user_by_email
from files.ops.export import check_output_path, files_export

PROBLEMS_LEFT = 2


class Command(BaseCommand):
    help = (
        "Write all of a user's files into a zip, with manifest.json (filename, key, size, "
        "sha256, source, tags, dates). Blobs are streamed, never held whole in memory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", metavar="EMAIL", required=True, help="whose files")
        parser.add_argument("--output", metavar="PATH.zip", required=True, help="the zip to write")
        parser.add_argument("--overwrite", action="store_true", help="replace an existing file")

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_by_email(options["user"])
        try:
            output = check_output_path(Path(options["output"]), overwrite=options["overwrite"])
        except InvalidInput as err:
            raise CommandError(err.message) from err
        progress = Progress("export")
        try:
            result = files_export(
                owner=user,
                output=output,
                overwrite=options["overwrite"],
                on_progress=progress.update,
            )
        except StorageUnavailable as err:
            raise CommandError(f"Export failed, nothing written: {err.message}") from err
        finally:
            progress.close()
        self.stdout.write(
            f"Wrote {result.files} files ({human_bytes(result.bytes)}) of {user.email} "
            f"to {result.path}"
        )
        for problem in result.problems:
            self.stderr.write(f"problem: {problem}")
        if result.problems:
            raise CommandError(
                f"{len(result.problems)} files could not be exported intact (see manifest.json).",
                returncode=PROBLEMS_LEFT,
            )
