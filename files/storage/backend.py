"""Backend configuration: which S3 endpoint, bucket and credentials, and the client.

:class:`ChatuiS3Storage` is django-storages' S3 backend configured from chatui's
``S3_*`` settings (``STORAGES["default"]`` names it). :func:`get_storage` builds it
once and drops it whenever an ``S3_*``/``STORAGES`` setting changes
(``override_settings``, pytest-django's ``settings`` fixture), so tests point the
same code path at another endpoint. :func:`client` is the storage's boto3 client
that the other modules of this package call; :func:`translated` turns botocore's
failures into the project's error vocabulary:

* :class:`~chatui.errors.StorageUnavailable` when the endpoint is down, slow,
  answers 5xx, rejects our credentials or the bucket is missing;
* :class:`BlobMissing` (a ``FileNotFound``) when the object itself is not there.

Bucket checks (:func:`bucket_exists`, :func:`ensure_bucket`) live here too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import boto3
import boto3.exceptions
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import DEFAULT_TIMESTAMP_PARSER
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string
from storages.backends.s3 import S3Storage

from chatui.errors import FileNotFound, StorageUnavailable

logger = logging.getLogger(__name__)

PRESIGN_SECONDS = 300
MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
_lock = threading.RLock()


class BlobMissing(FileNotFound):
    """The row exists but its object does not (a crash, or someone emptied the bucket)."""

    default_message = "The file's content is missing from storage."


class ChatuiS3Storage(S3Storage):
    """django-storages' S3 backend configured from chatui's ``S3_*`` settings.

    Private objects (no ACL header, presigned reads), never overwrite, SigV4,
    path-style addressing, bounded timeouts and retries: a down endpoint must
    fail a request in seconds, not hang a worker.
    """

    def get_default_settings(self) -> dict[str, Any]:
        defaults = super().get_default_settings()
        defaults.update(_settings_from_s3_config())
        return defaults

    @property
    def connection(self) -> Any:
        """One boto3 resource per storage instance, shared by all threads.

        django-storages keeps one per *thread*. Django's ASGI handler runs each
        request's sync code in a fresh thread, so that meant a new boto3 session
        (~200 ms of CPU loading service models) on every request. The client
        underneath is thread-safe; we only ever create short-lived ``Object``s from
        the resource, never share loaded resource state.
        """
        shared = self.__dict__.get("_shared_connection")
        if shared is None:
            with _lock:
                shared = self.__dict__.get("_shared_connection")
                if shared is None:
                    shared = self._create_session().resource(
                        "s3",
                        region_name=self.region_name,
                        use_ssl=self.use_ssl,
                        endpoint_url=self.endpoint_url,
                        config=self.client_config,
                        verify=self.verify,
                    )
                    self.__dict__["_shared_connection"] = shared
        return shared

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_shared_connection", None)
        return state

    def _create_session(self) -> boto3.Session:
        """django-storages' session, on a botocore session that parses S3's dates fast."""
        core = botocore.session.get_session()
        core.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=parse_s3_timestamp
        )
        if self.session_profile:
            return boto3.Session(profile_name=self.session_profile, botocore_session=core)
        return boto3.Session(
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            aws_session_token=self.security_token,
            botocore_session=core,
        )


def parse_s3_timestamp(value: Any) -> datetime:
    """botocore's timestamp parser without dateutil for the two forms S3 sends.

    botocore parses every date through ``dateutil`` (about 90 us here), and S3 sends
    one per GetObject and HeadObject (``Last-Modified``, RFC 1123) and one per key in
    a listing (ISO 8601): 65 ms a ListObjectsV2 page of 1000 keys. The standard
    library reads both forms in about 5 us. Anything else, or a result without a
    time zone, goes to botocore's own parser, so the answers are the same.
    Installed through botocore's ``set_parser_defaults(timestamp_parser=...)``;
    ``test_the_storage_client_parses_dates_with_the_fast_parser`` fails if botocore
    stops calling it.
    """
    if isinstance(value, str):
        parse = parsedate_to_datetime if value.endswith("GMT") else datetime.fromisoformat
        try:
            parsed = parse(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    return DEFAULT_TIMESTAMP_PARSER(value)


S3_MAX_POOL_CONNECTIONS = 64


def _settings_from_s3_config() -> dict[str, Any]:
    timeout = settings.S3_TIMEOUT
    return {
        "access_key": settings.S3_ACCESS_KEY or None,
        "secret_key": settings.S3_SECRET_KEY or None,
        "bucket_name": settings.S3_BUCKET,
        "region_name": settings.S3_REGION,
        "endpoint_url": settings.S3_ENDPOINT or None,
        "signature_version": "s3v4",
        "addressing_style": "path",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": PRESIGN_SECONDS,
        "file_overwrite": False,
        "object_parameters": {},
        "client_config": Config(
            signature_version="s3v4",
            region_name=settings.S3_REGION,
            s3={"addressing_style": "path"},
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"max_attempts": 2, "mode": "standard"},
            # one pooled connection per thread that may call S3 at once (downloads,
            # multipart parts, chat context reads, requests); botocore's 10 made
            # busy servers open and drop a connection per call past the tenth
            max_pool_connections=S3_MAX_POOL_CONNECTIONS,
            # We hash every upload ourselves (sha256 in the row); botocore's extra
            # CRC32 trailer costs CPU on every byte and not every S3 speaks it.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    }


_storage: ChatuiS3Storage | None = None


def get_storage() -> ChatuiS3Storage:
    """The storage ``STORAGES["default"]`` names, built once and rebuilt after settings change.

    Built here from the setting (Django's documented ``BACKEND``/``OPTIONS``), not
    taken from ``django.core.files.storage.storages``, so that dropping it when an
    ``S3_*`` setting changes needs no private attribute of Django's handler.
    """
    global _storage
    current = _storage
    if current is None:
        with _lock:
            if _storage is None:
                _storage = _build_storage()
            current = _storage
    return current


def _build_storage() -> ChatuiS3Storage:
    config = settings.STORAGES["default"]
    backend = import_string(config["BACKEND"])
    if not (isinstance(backend, type) and issubclass(backend, ChatuiS3Storage)):
        raise StorageUnavailable(
            f"STORAGES['default'] must be files.storage.ChatuiS3Storage; it is {config['BACKEND']}."
        )
    return backend(**config.get("OPTIONS", {}))


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **_: Any) -> None:
    """Tests point S3_* at another endpoint; the next call must see it."""
    if setting.startswith("S3_") or setting == "STORAGES":
        reset_storage()


def reset_storage() -> None:
    """Forget the built storage; the next :func:`get_storage` builds it from settings."""
    global _storage
    with _lock:
        _storage = None


def client() -> Any:
    """The configured storage's boto3 S3 client (thread-safe, shared)."""
    return get_storage().connection.meta.client


def bucket_name() -> str:
    return get_storage().bucket_name


# --- Error translation -------------------------------------------------------------


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


@contextmanager
def translated(key: str = "") -> Iterator[None]:
    """Turn botocore failures into the project's error vocabulary."""
    try:
        yield
    except ClientError as err:
        code = _error_code(err)
        if code in MISSING_CODES or (_status(err) == 404 and code != "NoSuchBucket"):
            raise BlobMissing(key=key) from err
        logger.warning("s3 request failed key=%s code=%s status=%s", key, code, _status(err))
        raise StorageUnavailable(_unavailable_message(code), reason=code or "error") from err
    except (BotoCoreError, boto3.exceptions.Boto3Error) as err:
        logger.warning("s3 unreachable key=%s error=%s", key, type(err).__name__)
        raise StorageUnavailable(reason=type(err).__name__) from err


def _unavailable_message(code: str) -> str:
    if code == "NoSuchBucket":
        return "The storage bucket does not exist. An administrator must run `storage_init`."
    if code in {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
        return "File storage rejected the server's credentials. Please tell an administrator."
    return StorageUnavailable.default_message


# --- The bucket --------------------------------------------------------------------


def bucket_exists() -> bool:
    """True when the bucket is there and our credentials may use it."""
    try:
        with translated():
            client().head_bucket(Bucket=bucket_name())
    except BlobMissing:
        return False
    return True


def ensure_bucket() -> bool:
    """Create the bucket when missing, only where ``S3_AUTO_CREATE_BUCKET`` allows it.

    Returns True when it created the bucket. Production buckets are made by
    whoever owns the account (with its policies), never by the app.
    """
    if bucket_exists():
        return False
    if not settings.S3_AUTO_CREATE_BUCKET:
        raise StorageUnavailable(
            f"The bucket {bucket_name()!r} does not exist and S3_AUTO_CREATE_BUCKET is off; "
            "create it with your provider's tools (or set S3_AUTO_CREATE_BUCKET=true in "
            "development)."
        )
    params: dict[str, Any] = {"Bucket": bucket_name()}
    if settings.S3_REGION and settings.S3_REGION != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": settings.S3_REGION}
    with translated():
        client().create_bucket(**params)
    return True


def endpoint_description() -> str:
    """Where the storage points, for operators' messages (never includes secrets)."""
    return f"{settings.S3_ENDPOINT or 'AWS S3'} bucket={settings.S3_BUCKET!r}"
