"""``files_worker``: the background worker that extracts document text.

django-tasks' ``db_worker`` runs the jobs; this command first re-queues the files a
dead worker left ``processing`` (their lease ran out), so a restarted worker picks
them up. Run one or more per deployment, beside the web servers:
``python manage.py files_worker``. ``rundev`` starts one.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from files.documents.jobs import text_requeue_stale


class Command(BaseCommand):
    help = "Run the document extraction worker (db_worker after re-queueing stale jobs)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument(
            "--interval", type=float, default=0.25, help="idle poll interval, seconds"
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="exit after N jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        requeued = text_requeue_stale()
        if requeued:
            self.stdout.write(f"Re-queued {requeued} file(s) a stopped worker left processing.")
        call_command(
            "db_worker",
            batch=options["batch"],
            interval=options["interval"],
            max_tasks=options["max_tasks"],
            reload=False,
            startup_delay=False,
            verbosity=options["verbosity"],
            stdout=self.stdout,
        )
