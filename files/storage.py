"""The storage seam: the only module in chatui that knows S3 (boto3, django-storages).

Everything else calls the small functions below with an object key and gets
bytes, :class:`BlobInfo` or a domain error back:

* :class:`~chatui.errors.StorageUnavailable` when the endpoint is down, slow, answers
  5xx, rejects our credentials or the bucket is missing (the user can only retry);
* :class:`BlobMissing` (a ``FileNotFound``) when the object itself is not there.

Configuration comes from the ``S3_*`` settings through ``STORAGES["default"]``
(:class:`ChatuiS3Storage`). The storage instance is cached, and dropped whenever
an ``S3_*``/``STORAGES`` setting changes (``override_settings``, pytest-django's
``settings`` fixture), so tests can point the same code path at another endpoint.

Why not only ``storage.save()``/``storage.open()``: django-storages' ``_save``
streams through boto3's managed transfer (multipart above the threshold), so
writes go through it. Its ``S3File`` however downloads the whole object into a
``SpooledTemporaryFile`` (held in memory with the default
``AWS_S3_MAX_MEMORY_SIZE=0``) before the first ``read()``, so reads use the
storage's own boto3 client and stream the ``GetObject`` body instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any

import boto3
import boto3.exceptions
import botocore.session
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import DEFAULT_TIMESTAMP_PARSER
from django.conf import settings
from django.core.files.base import File
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string
from storages.backends.s3 import S3Storage

from chatui.errors import FileNotFound, StorageUnavailable

logger = logging.getLogger(__name__)

MULTIPART_CHUNK_BYTES = 8 * 1024 * 1024
SINGLE_PUT_MAX_BYTES = MULTIPART_CHUNK_BYTES  # bodies this small are sent in one PutObject
PRESIGN_SECONDS = 300
MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
PART_UPLOADS_IN_FLIGHT = 1  # per MultipartWriter, while the next part fills
_lock = threading.RLock()
_part_executor: ThreadPoolExecutor | None = None


class BlobMissing(FileNotFound):
    """The row exists but its object does not (a crash, or someone emptied the bucket)."""

    default_message = "The file's content is missing from storage."


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    etag: str  # without quotes
    content_type: str = ""


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
            # We hash every upload ourselves (sha256 in the row); botocore's extra
            # CRC32 trailer costs CPU on every byte and not every S3 speaks it.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
        "transfer_config": _transfer_config(),
    }


def _transfer_config() -> TransferConfig:
    """Bounded memory per upload: a non-seekable body is buffered part by part, so
    at most ``max_in_memory_upload_chunks`` parts of 8 MiB are held at once."""
    config = TransferConfig(
        multipart_threshold=MULTIPART_CHUNK_BYTES,
        multipart_chunksize=MULTIPART_CHUNK_BYTES,
        max_concurrency=3,
        max_io_queue=16,
    )
    config.max_in_memory_upload_chunks = 3  # s3transfer option boto3 does not expose
    return config


# --- The cached instance -----------------------------------------------------------


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


def _client() -> Any:
    return get_storage().connection.meta.client


def _bucket() -> str:
    return get_storage().bucket_name


# --- Error translation -------------------------------------------------------------


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


@contextmanager
def _translated(key: str = "") -> Iterator[None]:
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


# --- Writes ------------------------------------------------------------------------


class _UploadBody(File):
    """What ``storage.save`` gets: carries the sniffed content type to django-storages."""

    def __init__(self, stream: IO[bytes], name: str, content_type: str) -> None:
        super().__init__(stream, name)
        self.content_type = content_type


def put(key: str, stream: IO[bytes], *, content_type: str) -> BlobInfo:
    """Write ``stream`` under ``key`` (multipart above 8 MiB) and return what S3 stored.

    ``stream`` is read once, front to back; make it non-seekable if reading it has
    side effects (hashing), so boto3 never rewinds it on a retry.
    """
    storage = get_storage()
    with _translated(key):
        saved = storage.save(key, _UploadBody(stream, key, content_type))
    if saved != key:  # file_overwrite=False renamed it: our key was taken (never expected)
        delete(saved)
        raise StorageUnavailable("The storage key was already taken; please retry.")
    info = head(key)
    if info is None:
        raise StorageUnavailable("The upload did not arrive in storage; please retry.")
    return info


def put_bytes(key: str, data: bytes, *, content_type: str) -> BlobInfo:
    """One PutObject for a small body already in memory: one round trip, not three.

    ``storage.save`` would HEAD the key (``file_overwrite=False``), PUT, then we
    would HEAD again for the ETag. ``If-None-Match: *`` keeps the never-overwrite
    guarantee atomically where the endpoint supports conditional writes.
    """
    with _translated(key):
        response = _client().put_object(
            Bucket=_bucket(), Key=key, Body=data, ContentType=content_type, IfNoneMatch="*"
        )
    etag = str(response.get("ETag", "")).strip('"')
    return BlobInfo(key=key, size=len(data), etag=etag, content_type=content_type)


class MultipartWriter:
    """Writes one object as an S3 multipart upload from chunks, with bounded memory.

    ``write`` buffers at most one part; each full part is sent from a small shared
    thread pool while the caller keeps writing, with at most
    ``PART_UPLOADS_IN_FLIGHT`` parts in flight (so a writer holds about two parts
    of memory, whatever the object's size). ``close`` sends the last part and
    completes the upload; on any failure the caller must ``abort`` so no parts
    linger in the bucket (invisible, but billed).
    """

    def __init__(self, key: str, *, content_type: str, part_bytes: int = MULTIPART_CHUNK_BYTES):
        self.key = key
        self.content_type = content_type
        self.part_bytes = part_bytes
        self.size = 0
        self._buffer = bytearray()
        self._upload_id = ""
        self._parts: list[Future[dict[str, Any]]] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= self.part_bytes:
            with memoryview(self._buffer) as view:
                part = bytes(view[: self.part_bytes])  # the one copy a part costs
            del self._buffer[: self.part_bytes]
            self._send(part)

    def close(self) -> BlobInfo:
        if self._buffer or not self._parts:
            self._send(bytes(self._buffer))
            self._buffer = bytearray()
        parts = [future.result() for future in self._parts]
        with _translated(self.key):
            response = _client().complete_multipart_upload(
                Bucket=_bucket(),
                Key=self.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",  # never overwrite, where the endpoint supports it
            )
        etag = str(response.get("ETag", "")).strip('"')
        return BlobInfo(key=self.key, size=self.size, etag=etag, content_type=self.content_type)

    def abort(self) -> None:
        """Stop the parts still queued, wait for those running, drop the upload."""
        for future in self._parts:
            future.cancel()
        wait(self._parts)
        if self._upload_id:
            try:
                with _translated(self.key):
                    _client().abort_multipart_upload(
                        Bucket=_bucket(), Key=self.key, UploadId=self._upload_id
                    )
            except BlobMissing:
                pass  # the endpoint already forgot it (NoSuchUpload)
            except StorageUnavailable:
                logger.error("multipart upload left open key=%s", self.key)

    def _send(self, part: bytes) -> None:
        if not self._upload_id:
            with _translated(self.key):
                created = _client().create_multipart_upload(
                    Bucket=_bucket(), Key=self.key, ContentType=self.content_type
                )
            self._upload_id = created["UploadId"]
        if len(self._parts) >= PART_UPLOADS_IN_FLIGHT:
            self._parts[-PART_UPLOADS_IN_FLIGHT].result()  # raises a failed part's error now
        number = len(self._parts) + 1
        self._parts.append(_part_pool().submit(self._upload_part, number, part))

    def _upload_part(self, number: int, part: bytes) -> dict[str, Any]:
        with _translated(self.key):
            response = _client().upload_part(
                Bucket=_bucket(),
                Key=self.key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=part,
            )
        return {"PartNumber": number, "ETag": response["ETag"]}


def _part_pool() -> ThreadPoolExecutor:
    """One pool for every writer in the process: part uploads are I/O, not CPU."""
    global _part_executor
    if _part_executor is None:
        with _lock:
            if _part_executor is None:
                _part_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="s3-part")
    return _part_executor


def delete(key: str) -> None:
    """Remove the object; a missing object is already deleted, which is fine."""
    with _translated(key):
        _client().delete_object(Bucket=_bucket(), Key=key)


def delete_quietly(key: str) -> bool:
    """Best-effort cleanup on an error path; returns False (and logs) when it failed."""
    try:
        delete(key)
    except StorageUnavailable:
        logger.error("orphan blob left behind key=%s (files_reconcile will remove it)", key)
        return False
    return True


# --- Reads -------------------------------------------------------------------------


def head(key: str) -> BlobInfo | None:
    """Size, ETag and type of the object, or None when it does not exist."""
    try:
        with _translated(key):
            meta = _client().head_object(Bucket=_bucket(), Key=key)
    except BlobMissing:
        return None
    return BlobInfo(
        key=key,
        size=int(meta.get("ContentLength", 0)),
        etag=str(meta.get("ETag", "")).strip('"'),
        content_type=str(meta.get("ContentType", "")),
    )


def exists(key: str) -> bool:
    return head(key) is not None


class BlobStream:
    """A read-only, forward-only stream over an object's body; always close it."""

    def __init__(self, key: str, body: Any, length: int, content_range: str) -> None:
        self.key = key
        self.length = length
        self.content_range = content_range
        self._body = body

    def read(self, size: int = -1) -> bytes:
        with _translated(self.key):
            return self._body.read(None if size is None or size < 0 else size)

    def iter_chunks(self, chunk_size: int) -> Iterator[bytes]:
        while chunk := self.read(chunk_size):
            yield chunk

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> BlobStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_stream(key: str, *, byte_range: tuple[int, int] | None = None) -> BlobStream:
    """Start a GetObject and return its body unread (``byte_range`` is inclusive)."""
    params: dict[str, Any] = {"Bucket": _bucket(), "Key": key}
    if byte_range is not None:
        params["Range"] = f"bytes={byte_range[0]}-{byte_range[1]}"
    with _translated(key):
        response = _client().get_object(**params)
    return BlobStream(
        key,
        response["Body"],
        int(response.get("ContentLength", 0)),
        str(response.get("ContentRange", "")),
    )


def presigned_url(
    key: str, *, content_disposition: str, content_type: str, expires: int = PRESIGN_SECONDS
) -> str:
    """A short-lived GET URL that makes S3 answer with our Content-Disposition/Type."""
    parameters = {
        "ResponseContentDisposition": content_disposition,
        "ResponseContentType": content_type,
    }
    with _translated(key):
        return get_storage().url(key, parameters=parameters, expire=expires)


def list_keys(prefix: str = "") -> list[str]:
    """Every key under ``prefix`` (for checks, reconciliation and tests)."""
    keys: list[str] = []
    paginator = _client().get_paginator("list_objects_v2")
    with _translated(prefix):
        for page in paginator.paginate(Bucket=_bucket(), Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", ()))
    return keys


# --- The bucket --------------------------------------------------------------------


def bucket_exists() -> bool:
    """True when the bucket is there and our credentials may use it."""
    try:
        with _translated():
            _client().head_bucket(Bucket=_bucket())
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
            f"The bucket {_bucket()!r} does not exist and S3_AUTO_CREATE_BUCKET is off; "
            "create it with your provider's tools (or set S3_AUTO_CREATE_BUCKET=true in "
            "development)."
        )
    params: dict[str, Any] = {"Bucket": _bucket()}
    if settings.S3_REGION and settings.S3_REGION != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": settings.S3_REGION}
    with _translated():
        _client().create_bucket(**params)
    return True


def endpoint_description() -> str:
    """Where the storage points, for operators' messages (never includes secrets)."""
    return f"{settings.S3_ENDPOINT or 'AWS S3'} bucket={settings.S3_BUCKET!r}"


# --- Operations: listing, bulk delete (files_reconcile, files_purge) ----------------
# Kept at the end of the module, apart from the request path, on purpose.

import uuid  # noqa: E402 (this block's own imports, kept with it)

LIST_PAGE_KEYS = 1000  # S3's own maximum per ListObjectsV2 page
DELETE_BATCH_KEYS = 1000  # S3's maximum per DeleteObjects request


@dataclass(frozen=True)
class ListedBlob:
    """One entry of a bucket listing: what S3 says without reading the object."""

    key: str
    size: int
    etag: str  # without quotes
    last_modified: datetime


def iter_blobs(prefix: str, *, page_size: int = LIST_PAGE_KEYS) -> Iterator[ListedBlob]:
    """Every object under ``prefix``, one listing page at a time, in the order S3 gives.

    S3 lists in UTF-8 byte order of the keys (for valid keys that equals Python's
    ``str`` order). Memory is one page, however many objects the bucket holds.
    """
    params: dict[str, Any] = {"Bucket": _bucket(), "Prefix": prefix, "MaxKeys": page_size}
    while True:
        with _translated(prefix):
            page = _client().list_objects_v2(**params)
        for item in page.get("Contents", ()):
            yield ListedBlob(
                key=item["Key"],
                size=int(item.get("Size", 0)),
                etag=str(item.get("ETag", "")).strip('"'),
                last_modified=item["LastModified"],
            )
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return
        params["ContinuationToken"] = token


def delete_many(keys: list[str]) -> list[str]:
    """Delete up to any number of objects, 1000 per request; returns the keys that failed."""
    failed: list[str] = []
    for start in range(0, len(keys), DELETE_BATCH_KEYS):
        batch = keys[start : start + DELETE_BATCH_KEYS]
        objects = [{"Key": key} for key in batch]
        with _translated(batch[0]):
            response = _client().delete_objects(
                Bucket=_bucket(), Delete={"Objects": objects, "Quiet": True}
            )
        failed.extend(error["Key"] for error in response.get("Errors", ()))
    return failed


@dataclass(frozen=True)
class MultipartUploadInfo:
    """An upload started and neither completed nor aborted: its parts are billed, unseen."""

    key: str
    upload_id: str
    initiated: datetime


def iter_multipart_uploads(
    prefix: str, *, page_size: int = LIST_PAGE_KEYS
) -> Iterator[MultipartUploadInfo]:
    """Every open multipart upload under ``prefix``, one ListMultipartUploads page at a time.

    The order is the endpoint's: S3 and s3mock list by key, SeaweedFS by upload id.
    A page that would not move the listing forward stops it, rather than looping.
    """
    params: dict[str, Any] = {"Bucket": _bucket(), "Prefix": prefix, "MaxUploads": page_size}
    while True:
        with _translated(prefix):
            page = _client().list_multipart_uploads(**params)
        uploads = page.get("Uploads", ())
        for item in uploads:
            yield MultipartUploadInfo(
                key=item["Key"], upload_id=item["UploadId"], initiated=item["Initiated"]
            )
        if not page.get("IsTruncated") or not uploads:
            return
        markers = _next_upload_markers(page, uploads[-1])
        if markers == {k: params[k] for k in ("KeyMarker", "UploadIdMarker") if k in params}:
            raise StorageUnavailable("The multipart upload listing did not advance.")
        params = {k: v for k, v in params.items() if not k.endswith("Marker")} | markers


def _next_upload_markers(page: dict[str, Any], last: dict[str, Any]) -> dict[str, str]:
    """Where the next page starts. S3 continues after (key, upload id). SeaweedFS (3.x)
    sends only ``NextUploadIdMarker``, answers nothing when ``KeyMarker`` is sent with it,
    and continues from the upload id alone; so send back just the markers given."""
    if page.get("NextKeyMarker"):
        return {
            "KeyMarker": page["NextKeyMarker"],
            "UploadIdMarker": page.get("NextUploadIdMarker", ""),
        }
    if page.get("NextUploadIdMarker"):
        return {"UploadIdMarker": page["NextUploadIdMarker"]}
    return {"KeyMarker": last["Key"], "UploadIdMarker": last["UploadId"]}


def abort_multipart_upload(key: str, upload_id: str) -> bool:
    """Drop an open upload and its parts; False when it was already gone (NoSuchUpload:
    completed or aborted meanwhile). Never touches a completed object under ``key``."""
    try:
        with _translated(key):
            _client().abort_multipart_upload(Bucket=_bucket(), Key=key, UploadId=upload_id)
    except BlobMissing:
        return False
    return True


# Listing order differs between S3 implementations, and a merge-join against the
# database must walk both sides in the same order. AWS S3, MinIO and s3mock list
# in UTF-8 byte order of the whole key. SeaweedFS walks its filer directory by
# directory, each sorted by name: "a/b" comes before "a.b" there (and
# "users/x@a.co/..." before "users/x@a.co.uk/..."), the reverse of byte order.
LISTING_ORDER_BYTES = "bytes"
LISTING_ORDER_SEGMENTS = "segments"  # compare key.split("/") segment by segment
_listing_orders: dict[tuple[str, str], str] = {}


def listing_order() -> str:
    """How this endpoint orders a listing; probed once per endpoint and bucket."""
    cache_key = (settings.S3_ENDPOINT, _bucket())
    if cache_key not in _listing_orders:
        _listing_orders[cache_key] = _probe_listing_order()
    return _listing_orders[cache_key]


def _probe_listing_order() -> str:
    """Write two empty objects whose order tells the two apart, list, remove them."""
    prefix = f"_chatui_check/order-{uuid.uuid4().hex}/"
    keys = [prefix + "a.b", prefix + "a/b"]  # byte order; directory order is reversed
    try:
        for key in keys:
            put_bytes(key, b"", content_type="application/octet-stream")
        listed = [blob.key for blob in iter_blobs(prefix)]
    finally:
        for key in keys:
            delete_quietly(key)
    if listed == keys:
        return LISTING_ORDER_BYTES
    if listed == keys[::-1]:
        return LISTING_ORDER_SEGMENTS
    raise StorageUnavailable(f"The endpoint lists keys in an unknown order: {listed!r}.")
