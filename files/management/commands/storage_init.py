"""``manage.py storage_init``: create the bucket where that is allowed (development)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chatui.errors import StorageUnavailable
from files import storage


class Command(BaseCommand):
    help = "Create the S3 bucket if it is missing and S3_AUTO_CREATE_BUCKET allows it."

    def handle(self, *args: Any, **options: Any) -> None:
        where = storage.endpoint_description()
        try:
            created = storage.ensure_bucket()
        except StorageUnavailable as err:
            raise CommandError(f"{where}: {err.message}") from err
        verb = "created" if created else "already exists"
        self.stdout.write(self.style.SUCCESS(f"{where}: bucket {verb}."))
