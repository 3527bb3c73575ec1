"""``manage.py create_demo``: a demo account with sample files (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatui.errors import DomainError
from files.ops.demo import DEMO_EMAIL, demo_create


class Command(BaseCommand):
    help = (
        f"Create {DEMO_EMAIL} with a CSV, a PNG, a text file and a PDF. On first creation "
        "the password is --password or a generated one, printed once. A second run changes "
        "nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="the demo password (default: generate one)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo_create(password=options["password"])
        except DomainError as err:
            raise CommandError(f"Could not create the demo files: {err.message}") from err
        if result.created_user:
            self.stdout.write(self.style.SUCCESS(f"Created the demo user {DEMO_EMAIL}."))
        if result.uploaded:
            self.stdout.write(f"Uploaded sample files: {', '.join(result.uploaded)}.")
        if not result.created_user and not result.uploaded:
            self.stdout.write(
                f"The demo user {DEMO_EMAIL} and its sample files exist; nothing changed."
            )
        if result.password_ignored:
            self.stdout.write(
                "--password ignored: the user already exists "
                f"(change it with `manage.py changepassword {DEMO_EMAIL}`)."
            )
        self._sign_in_hint(result.generated_password, options["password"], result.created_user)

    def _sign_in_hint(self, generated: str | None, given: str | None, created: bool) -> None:
        if generated:
            how = f"password {generated}  (shown once; only its hash is stored)"
        elif created and given:
            how = "the password you gave with --password"
        else:
            how = (
                "the password printed when it was created "
                f"(forgot it? `manage.py changepassword {DEMO_EMAIL}`)"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Sign in at /accounts/login/ as {DEMO_EMAIL} with {how}")
        )
