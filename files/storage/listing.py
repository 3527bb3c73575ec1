"""Listing for reconciliation and clean-up: every object and open upload under a prefix.

Used by ``files_reconcile``, ``files_purge`` and tests, never by a request. Each
listing walks one page (1000 keys) at a time, so memory stays flat however many
objects the bucket holds; :func:`listing_order` says how this endpoint orders a
listing, which a merge-join against the database needs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from chatui.errors import StorageUnavailable

from .backend import BlobMissing, bucket_name, client, translated
from .multipart import put_bytes
from .objects import delete_quietly

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
    params: dict[str, Any] = {"Bucket": bucket_name(), "Prefix": prefix, "MaxKeys": page_size}
    while True:
        with translated(prefix):
            page = client().list_objects_v2(**params)
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
        with translated(batch[0]):
            response = client().delete_objects(
                Bucket=bucket_name(), Delete={"Objects": objects, "Quiet": True}
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
    params: dict[str, Any] = {"Bucket": bucket_name(), "Prefix": prefix, "MaxUploads": page_size}
    while True:
        with translated(prefix):
            page = client().list_multipart_uploads(**params)
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
        with translated(key):
            client().abort_multipart_upload(Bucket=bucket_name(), Key=key, UploadId=upload_id)
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
    cache_key = (settings.S3_ENDPOINT, bucket_name())
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


def list_keys(prefix: str = "") -> list[str]:
    """Every key under ``prefix`` (for checks, reconciliation and tests)."""
    keys: list[str] = []
    paginator = client().get_paginator("list_objects_v2")
    with translated(prefix):
        for page in paginator.paginate(Bucket=bucket_name(), Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", ()))
    return keys
