"""``manage.py storage_check``: can this deployment store files? Says what to fix."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chatui.errors import StorageUnavailable
from files import storage

PROBE = b"chatui storage_check probe\n"


def _reachable_and_bucket() -> str:
    if not storage.bucket_exists():
        raise StorageUnavailable(
            "the bucket does not exist: run `manage.py storage_init` (development) or create "
            "it with your provider's tools, then check S3_BUCKET"
        )
    return "endpoint reachable, credentials accepted, bucket exists"


def _round_trip() -> str:
    key = f"_chatui_check/{uuid.uuid4().hex}"
    storage.put_bytes(key, PROBE, content_type="text/plain")  # the uploads' write path
    try:
        with storage.open_stream(key) as stream:
            if stream.read() != PROBE:
                raise StorageUnavailable("read back different bytes than were written")
    finally:
        storage.delete(key)
    if storage.exists(key):
        raise StorageUnavailable("the probe object is still there after delete")
    return "write, read and delete work"


HINTS = {
    "EndpointConnectionError": "nothing answers at S3_ENDPOINT: start it (`manage.py runs3mock` "
    "in development) or fix the URL",
    "ConnectTimeoutError": "S3_ENDPOINT does not answer in S3_TIMEOUT seconds: check the network",
    "ReadTimeoutError": "S3_ENDPOINT accepted the connection but did not answer in time",
    "InvalidAccessKeyId": "S3_ACCESS_KEY is not known to the endpoint",
    "SignatureDoesNotMatch": "S3_SECRET_KEY does not match S3_ACCESS_KEY",
    "AccessDenied": "the credentials may not use this bucket: check the bucket policy",
    "NoSuchBucket": "the bucket does not exist: run `manage.py storage_init` or create it",
    "AuthorizationHeaderMalformed": "S3_REGION does not match the endpoint's region",
}


class Command(BaseCommand):
    help = "Check the endpoint, credentials, bucket and a write/read/delete round trip."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Checking {storage.endpoint_description()}")
        steps: list[Callable[[], str]] = [_reachable_and_bucket, _round_trip]
        for step in steps:
            try:
                self.stdout.write(self.style.SUCCESS(f"ok: {step()}"))
            except StorageUnavailable as err:
                raise CommandError(f"storage check failed: {self._explain(err)}") from err
        self.stdout.write(self.style.SUCCESS("Storage is ready."))

    def _explain(self, err: StorageUnavailable) -> str:
        reason = str(err.details.get("reason", ""))
        hint = HINTS.get(reason)
        return f"{err.message} ({reason}): {hint}" if hint else err.message
