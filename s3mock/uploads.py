"""Multipart uploads on disk: one directory per upload, one file per part.

``buckets/<bucket>/uploads/<upload id>/upload.json`` holds what the final object
will carry (content type, metadata, tags); ``<part number>.part`` files use the
object format of :mod:`diskfmt`, so a part is written and replaced atomically
like an object. Completing concatenates the parts into a temporary object file
and publishes it through :meth:`Store.commit_object`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import threading
from collections import OrderedDict
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import diskfmt
from .checksums import MultipartChecksum
from .errors import S3Error
from .records import ObjectAttrs, ObjectInfo, now
from .validation import check_key

if TYPE_CHECKING:
    from .store import Store

log = logging.getLogger(__name__)

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000
MAX_REMEMBERED_COMPLETIONS = 10_000  # per process; a restart forgets them
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class UploadInfo:
    upload_id: str
    bucket: str
    key: str
    initiated: datetime
    attrs: ObjectAttrs
    owner: str
    checksum_algorithm: str = ""  # lower-case; "" = S3's default (full-object CRC64NVME)
    checksum_type: str = ""  # COMPOSITE | FULL_OBJECT


@dataclass(frozen=True)
class PartInfo:
    number: int
    size: int
    etag: str  # WITHOUT quotes
    last_modified: datetime
    checksum: dict[str, str] | None = None  # {"algorithm", "value", "type"}


class Multipart:
    def __init__(self, store: Store):
        self._store = store
        self._lock = threading.RLock()
        self._uploads: dict[str, UploadInfo] = {}
        # upload id -> (the completed upload, its part list, the object it made): a
        # repeated CompleteMultipartUpload with the same parts answers the same, as S3 does.
        self._completed: OrderedDict[str, tuple[UploadInfo, list[tuple[int, str]], ObjectInfo]]
        self._completed = OrderedDict()
        self._load()

    def completed(
        self, bucket: str, key: str, upload_id: str, requested: list[tuple[int, str]]
    ) -> ObjectInfo | None:
        """The object an earlier Complete of this upload made, if the parts are the same."""
        with self._lock:
            found = self._completed.get(upload_id)
        if found is None:
            return None
        upload, parts, info = found
        same = [(n, normalize_etag(e)) for n, e in requested] == parts
        return info if (upload.bucket, upload.key) == (bucket, key) and same else None

    def create(
        self,
        bucket: str,
        key: str,
        attrs: ObjectAttrs,
        owner: str,
        checksum: tuple[str, str] = ("", ""),
    ) -> UploadInfo:
        """Start an upload; ``checksum`` is the (algorithm, type) the object will carry."""
        check_key(key)
        upload_id = os.urandom(16).hex()
        directory = self._store.bucket_path(bucket) / "uploads" / upload_id
        directory.mkdir()
        upload = UploadInfo(upload_id, bucket, key, now(), attrs, owner, *checksum)
        diskfmt.write_json_atomic(directory / "upload.json", _upload_record(upload))
        with self._lock:
            self._uploads[upload_id] = upload
        return upload

    def get(self, bucket: str, key: str, upload_id: str) -> UploadInfo:
        self._store.head_bucket(bucket)
        with self._lock:
            upload = self._uploads.get(upload_id)
        if upload is None or upload.bucket != bucket or upload.key != key:
            raise S3Error(
                "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, "
                "or the upload may have been aborted or completed.",
                UploadId=upload_id,
            )
        return upload

    def list_uploads(self, bucket: str) -> list[UploadInfo]:
        """In-progress uploads of a bucket, ordered by key then initiation time."""
        self._store.head_bucket(bucket)
        with self._lock:
            uploads = [u for u in self._uploads.values() if u.bucket == bucket]
        return sorted(uploads, key=lambda u: (u.key, u.initiated, u.upload_id))

    # --- parts ---------------------------------------------------------------

    def part_writer(self, upload: UploadInfo, *, compute_md5: bool = True):
        return diskfmt.ObjectWriter(
            self._dir(upload), compute_md5=compute_md5, fsync=self._store.fsync
        )

    def commit_part(
        self,
        upload: UploadInfo,
        number: int,
        writer: diskfmt.ObjectWriter,
        etag: str | None,
        checksum: dict[str, str] | None = None,
    ) -> PartInfo:
        check_part_number(number)
        if etag is None:
            assert writer.md5 is not None
            etag = writer.md5.hexdigest()
        part = PartInfo(number, writer.size, etag, now(), checksum)
        record = {"size": part.size, "etag": etag, "number": number}
        writer.finish({**record, "mtime": _ts(part.last_modified), "checksum": checksum})
        with self._lock:
            self.get(upload.bucket, upload.key, upload.upload_id)  # aborted meanwhile?
            writer.publish(self._part_path(upload, number))
        return part

    async def put_part_stream(
        self,
        upload: UploadInfo,
        number: int,
        chunks: AsyncIterable[bytes],
        *,
        md5_hex: Callable[[], str] | None = None,
        checksum: Callable[[], dict[str, str] | None] | None = None,
    ) -> PartInfo:
        check_part_number(number)
        writer = self.part_writer(upload, compute_md5=md5_hex is None)
        try:
            async for chunk in chunks:
                writer.write(chunk)
            etag = md5_hex() if md5_hex is not None else None
            stored = checksum() if checksum is not None else None
            return self.commit_part(upload, number, writer, etag, stored)
        finally:
            writer.discard()

    def copy_part(
        self,
        upload: UploadInfo,
        number: int,
        src_bucket: str,
        src_key: str,
        byte_range: tuple[int, int] | None = None,
        src_version: str | None = None,
    ) -> PartInfo:
        """UploadPartCopy: ``byte_range`` is (start, length) or None for the whole source."""
        check_part_number(number)
        with self._store.open_object(src_bucket, src_key, src_version) as source:
            start, length = byte_range or (0, source.info.size)
            writer = self.part_writer(upload)
            try:
                writer.copy_from(source.file, start, length)
                return self.commit_part(upload, number, writer, None)
            finally:
                writer.discard()

    def list_parts(self, upload: UploadInfo) -> list[PartInfo]:
        parts = []
        for path in sorted(self._dir(upload).glob("*.part")):
            part = _read_part(path)
            if part is not None:
                parts.append(part)
        return parts

    # --- finishing -----------------------------------------------------------

    def complete(
        self,
        upload: UploadInfo,
        requested: list[tuple[int, str]],
        claimed: dict[int, dict[str, str]] | None = None,
        expected: str | None = None,
        precondition: Callable[[ObjectInfo | None], None] | None = None,
    ) -> ObjectInfo:
        """Check the client's part list against the stored parts, then concatenate.

        ``requested`` is [(part number, etag)] in the order the client sent them;
        the final ETag is the md5 of the parts' binary md5s, suffixed ``-<count>``.
        ``claimed`` holds the part checksums the client listed (each must match the
        stored one) and ``expected`` the object checksum it sent (BadDigest otherwise).
        """
        parts = self._check_parts(upload, requested)
        summer = MultipartChecksum(upload.checksum_algorithm, upload.checksum_type)
        _check_claims(parts, claimed or {}, summer)
        writer = self._store.object_writer(upload.bucket, upload.key, compute_md5=False)
        try:
            combined = hashlib.md5(usedforsecurity=False)
            for part in parts:
                with open(self._part_path(upload, part.number), "rb") as file:
                    for chunk in diskfmt.read_range(file, 0, part.size):
                        writer.write(chunk)
                        summer.feed(chunk)
                combined.update(bytes.fromhex(part.etag))
            etag = f"{combined.hexdigest()}-{len(parts)}"
            checksum = summer.result()
            if expected is not None and expected.strip() != checksum["value"]:
                raise S3Error(
                    "BadDigest",
                    f"The {summer.algorithm.upper()} you specified did not match the calculated"
                    " checksum.",
                )
            with self._lock:
                self.get(upload.bucket, upload.key, upload.upload_id)  # raced with abort?
                del self._uploads[upload.upload_id]
            try:
                info = self._store.commit_object(
                    upload.bucket,
                    writer,
                    upload.key,
                    upload.attrs,
                    etag=etag,
                    parts_count=len(parts),
                    checksum=checksum,
                    parts=[[part.size, _part_value(part, summer.algorithm)] for part in parts],
                    precondition=precondition,
                )
            except BaseException:  # refused (a 409): the upload stays, as it was
                with self._lock:
                    self._uploads[upload.upload_id] = upload
                raise
        finally:
            writer.discard()
        self._remember(upload, requested, info)
        shutil.rmtree(self._dir(upload), ignore_errors=True)
        return info

    def _remember(
        self, upload: UploadInfo, requested: list[tuple[int, str]], info: ObjectInfo
    ) -> None:
        parts = [(number, normalize_etag(etag)) for number, etag in requested]
        with self._lock:
            self._completed[upload.upload_id] = (upload, parts, info)
            while len(self._completed) > MAX_REMEMBERED_COMPLETIONS:
                self._completed.popitem(last=False)

    def _check_parts(self, upload: UploadInfo, requested: list[tuple[int, str]]) -> list[PartInfo]:
        numbers = [number for number, _ in requested]
        if any(b <= a for a, b in itertools.pairwise(numbers)):
            raise S3Error("InvalidPartOrder", "The list of parts was not in ascending order.")
        stored = {part.number: part for part in self.list_parts(upload)}
        parts = []
        for number, etag in requested:
            part = stored.get(number)
            if part is None or part.etag != normalize_etag(etag):
                raise S3Error(
                    "InvalidPart",
                    "One or more of the specified parts could not be found or did not match.",
                    UploadId=upload.upload_id,
                    PartNumber=str(number),
                    ETag=etag,
                )
            parts.append(part)
        for part in parts[:-1]:
            if part.size < MIN_PART_SIZE:
                raise S3Error(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed object size.",
                    ProposedSize=str(part.size),
                    MinSizeAllowed=str(MIN_PART_SIZE),
                    PartNumber=str(part.number),
                )
        return parts

    def abort(self, upload: UploadInfo) -> None:
        with self._lock:
            self._uploads.pop(upload.upload_id, None)
        shutil.rmtree(self._dir(upload), ignore_errors=True)

    def forget_bucket(self, bucket: str) -> None:
        """Drop the index entries of a deleted bucket (its directory is gone)."""
        with self._lock:
            for upload_id in [i for i, u in self._uploads.items() if u.bucket == bucket]:
                del self._uploads[upload_id]

    # --- disk ----------------------------------------------------------------

    def _dir(self, upload: UploadInfo) -> Path:
        return self._store.bucket_path(upload.bucket) / "uploads" / upload.upload_id

    def _part_path(self, upload: UploadInfo, number: int) -> Path:
        return self._dir(upload) / f"{number:05d}.part"

    def _load(self) -> None:
        for bucket in self._store.list_buckets():
            uploads_dir = self._store.bucket_path(bucket.name) / "uploads"
            for directory in uploads_dir.iterdir():
                upload = _load_upload(bucket.name, directory)
                if upload is not None:
                    self._uploads[upload.upload_id] = upload


def _check_claims(
    parts: list[PartInfo], claimed: dict[int, dict[str, str]], summer: MultipartChecksum
) -> None:
    """Each part checksum the client lists must be the stored one; feed COMPOSITE sums."""
    for part in parts:
        stored = part.checksum or {}
        for algorithm, value in claimed.get(part.number, {}).items():
            if stored.get("algorithm") != algorithm or stored.get("value") != value.strip():
                raise S3Error(
                    "InvalidPart",
                    "One or more of the specified parts could not be found or did not match.",
                    PartNumber=str(part.number),
                )
        same = stored.get("algorithm") == summer.algorithm
        summer.add_part(stored.get("value") if same else None)


def _part_value(part: PartInfo, algorithm: str) -> str | None:
    """The part's checksum in the object's algorithm (GetObjectAttributes lists it)."""
    checksum = part.checksum or {}
    return checksum.get("value") if checksum.get("algorithm") == algorithm else None


def check_part_number(number: int) -> None:
    if not 1 <= number <= MAX_PART_NUMBER:
        raise S3Error(
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=str(number),
        )


def is_upload_id(value: str) -> bool:
    return bool(_UPLOAD_ID.fullmatch(value))


def normalize_etag(etag: str) -> str:
    return etag.strip().strip('"')


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _upload_record(upload: UploadInfo) -> dict:
    attrs = upload.attrs
    return {
        "key": upload.key,
        "initiated": _ts(upload.initiated),
        "owner": upload.owner,
        "content_type": attrs.content_type,
        "metadata": attrs.metadata,
        "headers": attrs.headers,
        "tags": attrs.tags,
        "acl": attrs.acl,
        "checksum_algorithm": upload.checksum_algorithm,
        "checksum_type": upload.checksum_type,
    }


def _load_upload(bucket: str, directory: Path) -> UploadInfo | None:
    if not is_upload_id(directory.name):
        shutil.rmtree(directory, ignore_errors=True)  # an interrupted write
        return None
    for leftover in directory.glob(f"{diskfmt.TMP_PREFIX}*"):
        leftover.unlink(missing_ok=True)
    try:
        record = json.loads((directory / "upload.json").read_bytes())
    except (OSError, ValueError) as exc:
        log.warning("s3mock: ignoring upload %s: %s", directory, exc)
        return None
    attrs = ObjectAttrs(
        record["content_type"],
        record["metadata"],
        record["headers"],
        record["tags"],
        record.get("acl", "private"),
    )
    initiated = datetime.fromtimestamp(record["initiated"], UTC)
    checksum = (record.get("checksum_algorithm", ""), record.get("checksum_type", ""))
    return UploadInfo(
        directory.name, bucket, record["key"], initiated, attrs, record["owner"], *checksum
    )


def _read_part(path: Path) -> PartInfo | None:
    try:
        with open(path, "rb") as file:
            record, _ = diskfmt.read_record(file)
    except FileNotFoundError:
        return None  # replaced or aborted meanwhile
    except diskfmt.CorruptObjectFile as exc:
        log.warning("s3mock: ignoring unreadable part %s: %s", path, exc)
        return None
    moment = datetime.fromtimestamp(record["mtime"], UTC)
    return PartInfo(
        record["number"], record["size"], record["etag"], moment, record.get("checksum")
    )
