"""Buckets and objects on local disk, with in-memory indexes rebuilt on start.

Layout under ``root``::

    buckets/<bucket>/bucket.json                 owner and creation time
    buckets/<bucket>/objects/<h2>/<sha256>.obj    bytes + record (see diskfmt)
    buckets/<bucket>/objects/<h2>/<sha256>.tags   tags set after the PUT
    buckets/<bucket>/uploads/<upload id>/...      multipart state (see uploads)

Files are named by the SHA-256 of the key, so any valid key (``..``, ``%``,
unicode, 1024 bytes) maps to a safe, fixed-length filename. Each bucket keeps a
dict of :class:`ObjectInfo` and a sorted key list in memory, so HEAD and LIST
never touch the disk. Python orders ``str`` by code point, which is the UTF-8
byte order S3 lists in.

One process owns a data dir. Writes happen in a temporary file and become
visible with one ``os.replace`` made under the store lock together with the
index update, so the last complete write wins and a killed writer leaves
nothing but a ``.tmp-*`` file, removed on the next start.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import logging
import os
import shutil
import threading
from collections.abc import AsyncIterable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import diskfmt
from .errors import S3Error, no_such_key
from .keyindex import ListResult, collect
from .records import (
    DEFAULT_CONTENT_TYPE,
    BucketInfo,
    ObjectAttrs,
    ObjectInfo,
    OpenObject,
    new_version,
    next_seq,
    now,
)
from .sidecars import SidecarMixin, load_object
from .validation import check_bucket_name, check_key
from .versioning import DeleteOutcome, VersioningMixin

log = logging.getLogger(__name__)


@dataclass
class _Bucket:
    info: BucketInfo
    path: Path
    objects: dict[str, ObjectInfo] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)  # sorted, live keys only
    known_dirs: set[str] = field(default_factory=set)  # fan-out dirs known to exist
    versioning: str = ""  # "", "Enabled" or "Suspended"
    chains: dict[str, list[ObjectInfo]] = field(default_factory=dict)  # see versioning
    settings: dict[str, Any] = field(default_factory=dict)  # ACL, tags, CORS (sidecars)


class Store(VersioningMixin, SidecarMixin):
    def __init__(self, root: Path, *, fsync: bool = False):
        self.root = Path(root)
        self.fsync = fsync
        self._lock = threading.RLock()
        self._buckets: dict[str, _Bucket] = {}
        (self.root / "buckets").mkdir(parents=True, exist_ok=True)
        self._load()
        from .uploads import Multipart  # a sibling that needs this module's types

        self.multipart = Multipart(self)

    # --- buckets -------------------------------------------------------------

    def create_bucket(self, name: str, owner: str) -> BucketInfo:
        check_bucket_name(name)
        with self._lock:
            existing = self._buckets.get(name)
            if existing is not None:
                if existing.info.owner == owner:
                    raise S3Error("BucketAlreadyOwnedByYou", BucketName=name)
                raise S3Error("BucketAlreadyExists", BucketName=name)
            return self._make_bucket(name, owner)

    def ensure_bucket(self, name: str, owner: str) -> BucketInfo:
        """Create the bucket unless it exists (whoever owns it)."""
        with self._lock:
            existing = self._buckets.get(name)
            if existing is not None:
                return existing.info
            check_bucket_name(name)
            return self._make_bucket(name, owner)

    def _make_bucket(self, name: str, owner: str) -> BucketInfo:
        info = BucketInfo(name, owner, now())
        staging = Path(diskfmt.temp_path(self.root / "buckets"))
        (staging / "objects").mkdir(parents=True)
        (staging / "uploads").mkdir()
        record = {"name": name, "owner": owner, "created": info.created.timestamp()}
        diskfmt.write_json_atomic(staging / "bucket.json", record, fsync=self.fsync)
        path = self.root / "buckets" / name
        os.rename(staging, path)
        self._buckets[name] = _Bucket(info, path)
        return info

    def head_bucket(self, name: str) -> BucketInfo:
        """Raise NoSuchBucket unless it exists."""
        return self._bucket(name).info

    def bucket_owner(self, name: str) -> str | None:
        with self._lock:
            bucket = self._buckets.get(name)
            return bucket.info.owner if bucket else None

    def list_buckets(self, owner: str | None = None) -> list[BucketInfo]:
        with self._lock:
            infos = [b.info for b in self._buckets.values()]
        return sorted((i for i in infos if owner is None or i.owner == owner), key=lambda i: i.name)

    def delete_bucket(self, name: str) -> None:
        """Refuse while objects remain; in-progress multipart uploads are discarded."""
        with self._lock:
            bucket = self._bucket(name)
            if bucket.keys or bucket.chains:
                raise S3Error("BucketNotEmpty", BucketName=name)
            trash = diskfmt.temp_path(self.root / "buckets")
            os.rename(bucket.path, trash)
            del self._buckets[name]
            self.multipart.forget_bucket(name)
        shutil.rmtree(trash, ignore_errors=True)

    def _bucket(self, name: str) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            raise S3Error("NoSuchBucket", "The specified bucket does not exist.", BucketName=name)
        return bucket

    def bucket_path(self, name: str) -> Path:
        return self._bucket(name).path

    # --- writing objects -----------------------------------------------------

    def object_writer(self, bucket: str, key: str, *, compute_md5: bool = True):
        """Open a temporary file beside the key's final place (same filesystem)."""
        check_key(key)
        directory, _ = self._object_base(self._bucket(bucket), key)
        return diskfmt.ObjectWriter(directory, compute_md5=compute_md5, fsync=self.fsync)

    def commit_object(
        self,
        bucket: str,
        writer: diskfmt.ObjectWriter,
        key: str,
        attrs: ObjectAttrs,
        *,
        etag: str | None = None,
        parts_count: int | None = None,
        checksum: dict[str, str] | None = None,
        parts: list[list] | None = None,
        precondition: Callable[[ObjectInfo | None], None] | None = None,
    ) -> ObjectInfo:
        """Publish a finished writer as ``key``; the ETag defaults to the writer's md5.

        ``precondition`` sees the current object under the lock, just before publishing.
        """
        if etag is None:
            assert writer.md5 is not None, "pass etag= when the writer skipped md5"
            etag = writer.md5.hexdigest()
        versioned = self._bucket(bucket).versioning == "Enabled"
        info = ObjectInfo(
            key=key,
            size=writer.size,
            etag=etag,
            last_modified=now(),
            content_type=attrs.content_type,
            metadata=dict(attrs.metadata),
            headers=dict(attrs.headers),
            tags=dict(attrs.tags),
            acl=attrs.acl,
            version=new_version(),
            parts_count=parts_count,
            versioned=versioned,
            seq=next_seq(),
            checksum=checksum,
            parts=parts,
        )
        writer.finish(info.to_record())
        with self._lock:
            entry = self._bucket(bucket)  # deleted meanwhile -> NoSuchBucket
            _, base = self._object_base(entry, key)
            if precondition is not None:
                precondition(entry.objects.get(key))
            self._make_room(entry, key, info)
            writer.publish(base + ".obj")
            diskfmt.unlink_quietly(base + ".tags")
            self._index_put(entry, info)
        return info

    async def put_object_stream(
        self,
        bucket: str,
        key: str,
        chunks: AsyncIterable[bytes],
        attrs: ObjectAttrs,
        *,
        md5_hex: Callable[[], str] | None = None,
        checksum: Callable[[], dict[str, str] | None] | None = None,
        precondition: Callable[[ObjectInfo | None], None] | None = None,
    ) -> ObjectInfo:
        """Stream a body to disk; commit only if the iteration ends cleanly.

        ``md5_hex`` lets a caller that already hashed the body (the body verifier)
        supply the ETag after iteration, so the bytes are not hashed twice.
        """
        writer = self.object_writer(bucket, key, compute_md5=md5_hex is None)
        try:
            async for chunk in chunks:
                writer.write(chunk)
            etag = md5_hex() if md5_hex is not None else None
            stored = checksum() if checksum is not None else None
            return self.commit_object(
                bucket, writer, key, attrs, etag=etag, checksum=stored, precondition=precondition
            )
        finally:
            writer.discard()

    def put_object_bytes(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> ObjectInfo:
        attrs = ObjectAttrs(content_type, metadata or {}, headers or {}, tags or {})
        writer = self.object_writer(bucket, key)
        try:
            writer.write(data)
            return self.commit_object(bucket, writer, key, attrs)
        finally:
            writer.discard()

    def copy_object(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        make_attrs: Callable[[ObjectInfo], ObjectAttrs] | None = None,
        src_version: str | None = None,
    ) -> ObjectInfo:
        """Copy the bytes to another key; ``make_attrs`` chooses the rest from the source.

        ``make_attrs`` sees the exact version being copied (it may raise to refuse,
        e.g. a failed precondition); by default everything is copied. The ETag
        stays the source's, since the bytes are the same.
        """
        with self.open_object(src_bucket, src_key, src_version) as source:
            src = source.info
            if make_attrs is None:
                attrs = ObjectAttrs(src.content_type, src.metadata, src.headers, src.tags)
            else:
                attrs = make_attrs(src)
            writer = self.object_writer(dst_bucket, dst_key, compute_md5=False)
            try:
                writer.copy_from(source.file, 0, src.size)
                return self.commit_object(
                    dst_bucket,
                    writer,
                    dst_key,
                    attrs,
                    etag=src.etag,
                    parts_count=src.parts_count,
                    checksum=src.checksum,
                    parts=src.parts,
                )
            finally:
                writer.discard()

    def delete_object(self, bucket: str, key: str, version_id: str | None = None) -> DeleteOutcome:
        """Delete a key (a marker when versioning is set) or one version for good.

        A missing key or version is not an error, as in S3.
        """
        with self._lock:
            entry = self._bucket(bucket)
            if entry.versioning or version_id is not None:
                return self._delete_versioned(entry, key, version_id)
            if key in entry.objects:
                self._drop_live(entry, key, unlink=True)
            return DeleteOutcome(None, False)

    def _unindex(self, entry: _Bucket, key: str) -> None:
        if entry.objects.pop(key, None) is not None:
            del entry.keys[bisect.bisect_left(entry.keys, key)]

    # --- reading objects -----------------------------------------------------

    def head_object(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        if version_id is not None:
            return self.find_version(bucket, key, version_id)
        with self._lock:
            info = self._bucket(bucket).objects.get(key)
        if info is None:
            raise no_such_key(key)
        return info

    def open_object(self, bucket: str, key: str, version_id: str | None = None) -> OpenObject:
        """Open the current version (or ``version_id``); close it (or ``with``) when done."""
        with self._lock:
            entry = self._bucket(bucket)
            if version_id is None and key not in entry.objects:
                raise no_such_key(key)
            wanted = self.find_version(bucket, key, version_id) if version_id else None
            if wanted is not None and wanted.delete_marker:
                raise S3Error(
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    Method="GET",
                    ResourceType="DeleteMarker",
                )
            path = self.version_path(entry, wanted) if wanted else None
            try:
                file = open(path or self._object_base(entry, key)[1] + ".obj", "rb")  # noqa: SIM115
            except FileNotFoundError:
                raise no_such_key(key) from None
            current = wanted or entry.objects[key]
        try:
            record, _ = diskfmt.read_record(file)
        except BaseException:
            file.close()
            raise
        info = ObjectInfo.from_record(record)
        if info.version == current.version:
            info = replace(info, tags=current.tags)
        return OpenObject(file, info)

    def read_object_bytes(self, bucket: str, key: str) -> bytes:
        with self.open_object(bucket, key) as opened:
            return opened.read_all()

    # --- listing -------------------------------------------------------------

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        start_after: str = "",
        max_keys: int = 1000,
        delimiter: str = "",
    ) -> ListResult:
        """List keys after ``start_after`` in order, rolling up at ``delimiter``.

        Each key and each common prefix counts towards ``max_keys``. A marker that
        is itself a common prefix skips every key under it, as S3 does.
        """
        with self._lock:
            keys = self._bucket(bucket).keys
            objects = self._bucket(bucket).objects
            return collect(keys, objects, prefix, start_after, max_keys, delimiter)

    def iter_objects(self, bucket: str, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object under ``prefix`` in key order, a page at a time."""
        marker = ""
        while True:
            page = self.list_objects(bucket, prefix=prefix, start_after=marker)
            yield from page.objects
            if not page.is_truncated:
                return
            marker = page.next_marker

    # --- disk layout and start-up --------------------------------------------

    def _object_base(self, entry: _Bucket, key: str) -> tuple[str, str]:
        """(fan-out directory, path without suffix) of a key's ``.obj``/``.tags`` files."""
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        directory = f"{entry.path}/objects/{digest[:2]}"
        if directory not in entry.known_dirs:
            os.makedirs(directory, exist_ok=True)
            entry.known_dirs.add(directory)
        return directory, f"{directory}/{digest}"

    def _index_put(self, entry: _Bucket, info: ObjectInfo) -> None:
        if info.key not in entry.objects:
            bisect.insort(entry.keys, info.key)
        entry.objects[info.key] = info

    def _load(self) -> None:
        for path in sorted((self.root / "buckets").iterdir()):
            if path.name.startswith(diskfmt.TMP_PREFIX):
                shutil.rmtree(path, ignore_errors=True)  # an interrupted create/delete
                continue
            try:
                record = json.loads((path / "bucket.json").read_bytes())
            except (OSError, ValueError):
                log.warning("s3mock: ignoring %s (no readable bucket.json)", path)
                continue
            created = datetime.fromtimestamp(record["created"], UTC)
            entry = _Bucket(BucketInfo(record["name"], record["owner"], created), path)
            entry.versioning = record.get("versioning", "")
            entry.settings = record.get("settings", {})
            self._load_objects(entry)
            self._buckets[entry.info.name] = entry

    def _load_objects(self, entry: _Bucket) -> None:
        for directory in (entry.path / "objects").iterdir():
            entry.known_dirs.add(str(directory))
            for path in directory.iterdir():
                if path.name.startswith(diskfmt.TMP_PREFIX):
                    path.unlink(missing_ok=True)  # a writer that never finished
                elif path.suffix == ".obj":
                    info = load_object(path)
                    if info is not None:
                        entry.objects[info.key] = info
            self._load_versions(entry, directory)
        self._finish_load(entry)
        entry.keys = sorted(entry.objects)
