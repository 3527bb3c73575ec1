"""Bucket versioning for :class:`s3mock.store.Store` (a mixin over its private state).

A bucket's versioning status is ``""`` (never set), ``Enabled`` or ``Suspended``.
Once set, every key keeps a *chain*: its versions and delete markers, newest first.
The latest version, when it is an object, lives where an unversioned object does
(``<sha>.obj``), so reads of the current version are unchanged; older versions sit
in ``<sha>.versions/<version>.obj`` (tags beside them as ``.tags``) and delete
markers are ``<sha>.versions/<version>.dm`` JSON records. Moving a version aside is
one ``os.rename`` under the store lock, like every publish.

Writes made while versioning is Enabled get their own version id; writes made
without it are the ``null`` version, which a later null write (Suspended) replaces,
as S3 does.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import diskfmt
from .errors import S3Error
from .records import ObjectInfo, new_version, next_seq, now
from .sidecars import load_object

if TYPE_CHECKING:
    from .store import _Bucket

VERSIONING_STATES = ("Enabled", "Suspended")


@dataclass(frozen=True)
class DeleteOutcome:
    """What a DeleteObject did: the version it made or removed, and whether a marker."""

    version_id: str | None  # None: an unversioned bucket, nothing to report
    delete_marker: bool


@dataclass
class VersionPage:
    items: list[tuple[ObjectInfo, bool]]  # (version or marker, is latest)
    prefixes: list[str]
    truncated: bool
    next_key: str
    next_version: str


def _common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    if not delimiter:
        return None
    found = key.find(delimiter, len(prefix))
    return None if found < 0 else key[: found + len(delimiter)]


class VersioningMixin:
    """Versioning state and operations; expects Store's ``_lock``, ``_bucket``, paths."""

    _lock: Any
    fsync: bool

    # --- status --------------------------------------------------------------------

    def get_versioning(self, bucket: str) -> str:
        return self._bucket(bucket).versioning  # type: ignore[attr-defined]

    def put_versioning(self, bucket: str, status: str) -> None:
        if status not in VERSIONING_STATES:
            raise S3Error("MalformedXML", "Versioning Status must be Enabled or Suspended.")
        with self._lock:
            entry = self._bucket(bucket)  # type: ignore[attr-defined]
            self._write_bucket_field(entry, "versioning", status)  # type: ignore[attr-defined]
            entry.versioning = status
            for key, info in entry.objects.items():
                entry.chains.setdefault(key, [info])

    # --- reading ---------------------------------------------------------------------

    def versions_of(self, entry: _Bucket, key: str) -> list[ObjectInfo]:
        """A key's versions and markers, newest first (its one object when unversioned)."""
        chain = entry.chains.get(key)
        if chain is not None:
            return list(chain)
        current = entry.objects.get(key)
        return [current] if current is not None else []

    def find_version(self, bucket: str, key: str, version_id: str) -> ObjectInfo:
        """The version ``version_id`` of ``key`` (a marker too); NoSuchVersion if none."""
        with self._lock:
            entry = self._bucket(bucket)  # type: ignore[attr-defined]
            _check_version_id(version_id)
            for info in self.versions_of(entry, key):
                if info.version_id == version_id:
                    return info
        raise S3Error(
            "NoSuchVersion",
            "The specified version does not exist.",
            Key=key,
            VersionId=version_id,
        )

    def latest_marker(self, bucket: str, key: str) -> ObjectInfo | None:
        """The delete marker hiding ``key``, if its latest version is one."""
        with self._lock:
            chain = self._bucket(bucket).chains.get(key)  # type: ignore[attr-defined]
            return chain[0] if chain and chain[0].delete_marker else None

    def version_path(self, entry: _Bucket, info: ObjectInfo) -> str:
        """Where a version's file is: the key's own ``.obj`` when it is the current one."""
        base = self._object_base(entry, info.key)[1]  # type: ignore[attr-defined]
        current = entry.objects.get(info.key)
        if current is not None and current.version == info.version:
            return base + ".obj"
        suffix = ".dm" if info.delete_marker else ".obj"
        return f"{base}.versions/{info.version}{suffix}"

    # --- writing (called under the store lock) ----------------------------------------

    def _make_room(self, entry: _Bucket, key: str, incoming: ObjectInfo) -> bool:
        """Before a new latest version of ``key`` is published: keep the current one
        aside (versioning set), and drop the null version a null write replaces.

        Returns whether the current object was dropped with its ``.obj`` still in place
        (a publish replaces it; a delete marker must remove it).
        """
        if not entry.versioning:
            return False
        chain = entry.chains.setdefault(key, self.versions_of(entry, key))
        base = self._object_base(entry, key)[1]  # type: ignore[attr-defined]
        current = entry.objects.get(key)
        dropped = False
        if not incoming.versioned:
            for info in [i for i in chain if not i.versioned]:
                chain.remove(info)
                if current is not None and info.version == current.version:
                    dropped = True
                else:
                    self._unlink_version(base, info)
        if current is not None and not dropped:
            os.makedirs(base + ".versions", exist_ok=True)
            os.replace(base + ".obj", f"{base}.versions/{current.version}.obj")
            _move_quietly(base + ".tags", f"{base}.versions/{current.version}.tags")
        chain.insert(0, incoming)
        return dropped

    def _delete_versioned(self, entry: _Bucket, key: str, version_id: str | None) -> DeleteOutcome:
        if version_id is not None:
            return self._delete_version(entry, key, version_id)
        marker = ObjectInfo(
            key=key,
            size=0,
            etag="",
            last_modified=now(),
            version=new_version(),
            versioned=entry.versioning == "Enabled",
            delete_marker=True,
            seq=next_seq(),
        )
        base = self._object_base(entry, key)[1]  # type: ignore[attr-defined]
        os.makedirs(base + ".versions", exist_ok=True)
        path = f"{base}.versions/{marker.version}.dm"
        diskfmt.write_json_atomic(path, marker.to_record(), fsync=self.fsync)
        dropped = self._make_room(entry, key, marker)
        self._drop_live(entry, key, unlink=dropped)
        return DeleteOutcome(marker.version_id, True)

    def _delete_version(self, entry: _Bucket, key: str, version_id: str) -> DeleteOutcome:
        """Remove one version for good; the next one down becomes current."""
        _check_version_id(version_id)
        chain = entry.chains.get(key)
        current = entry.objects.get(key)
        if chain is None:  # unversioned bucket: only the null version exists
            if version_id == "null" and current is not None:
                self._drop_live(entry, key, unlink=True)
            return DeleteOutcome(version_id, False)
        found = next((info for info in chain if info.version_id == version_id), None)
        if found is None:
            return DeleteOutcome(version_id, False)
        base = self._object_base(entry, key)[1]  # type: ignore[attr-defined]
        if current is not None and current.version == found.version:
            self._drop_live(entry, key, unlink=True)
        else:
            self._unlink_version(base, found)
        chain.remove(found)
        if chain and not chain[0].delete_marker and key not in entry.objects:
            self._promote(entry, base, chain[0])
        if not chain:
            del entry.chains[key]
        return DeleteOutcome(version_id, found.delete_marker)

    def _replace_in_chain(self, entry: _Bucket, info: ObjectInfo) -> None:
        """Keep a key's chain in step when its current version's record changes (tags)."""
        chain = entry.chains.get(info.key)
        for index, old in enumerate(chain or []):
            if old.version == info.version:
                chain[index] = info  # type: ignore[index]

    def _promote(self, entry: _Bucket, base: str, info: ObjectInfo) -> None:
        """Make an older version the current one again (its file back to ``.obj``)."""
        os.replace(f"{base}.versions/{info.version}.obj", base + ".obj")
        _move_quietly(f"{base}.versions/{info.version}.tags", base + ".tags")
        self._index_put(entry, info)  # type: ignore[attr-defined]

    def _drop_live(self, entry: _Bucket, key: str, unlink: bool = False) -> None:
        """Take ``key`` out of the live index (its file already moved, or ``unlink``)."""
        self._unindex(entry, key)  # type: ignore[attr-defined]
        if unlink:
            base = self._object_base(entry, key)[1]  # type: ignore[attr-defined]
            diskfmt.unlink_quietly(base + ".obj")
            diskfmt.unlink_quietly(base + ".tags")

    def _unlink_version(self, base: str, info: ObjectInfo) -> None:
        suffix = ".dm" if info.delete_marker else ".obj"
        diskfmt.unlink_quietly(f"{base}.versions/{info.version}{suffix}")
        diskfmt.unlink_quietly(f"{base}.versions/{info.version}.tags")

    # --- listing -----------------------------------------------------------------------

    def list_versions(
        self,
        bucket: str,
        prefix: str = "",
        key_marker: str = "",
        version_marker: str = "",
        max_keys: int = 1000,
        delimiter: str = "",
    ) -> VersionPage:
        """One page of ListObjectVersions: every version and marker, keys in order,
        each key's newest first; common prefixes count once, like a version."""
        page = VersionPage([], [], False, "", "")
        with self._lock:
            entry = self._bucket(bucket)  # type: ignore[attr-defined]
            keys = sorted(k for k in {*entry.objects, *entry.chains} if k.startswith(prefix))
            chains = {key: self.versions_of(entry, key) for key in keys if key >= key_marker}
        for key, chain in chains.items():
            if key == key_marker:
                ids = [info.version_id for info in chain]
                skip = ids.index(version_marker) + 1 if version_marker in ids else len(chain)
                chain = chain[skip:]
            common = _common_prefix(key, prefix, delimiter)
            if common is not None and (common in page.prefixes or common <= key_marker):
                continue
            for item in [common] if common is not None else chain:
                if len(page.items) + len(page.prefixes) >= max_keys:
                    page.truncated = True
                    return page
                if isinstance(item, str):
                    page.prefixes.append(item)
                    page.next_key, page.next_version = item, ""
                else:
                    page.items.append((item, chains[key][0] is item))
                    page.next_key, page.next_version = key, item.version_id
        return page

    # --- start-up ----------------------------------------------------------------------

    def _load_versions(self, entry: _Bucket, directory: Path) -> None:
        """Read ``<sha>.versions`` directories and rebuild every key's chain."""
        archived: dict[str, list[ObjectInfo]] = {}
        for path in directory.glob("*.versions/*"):
            info = _load_version(path)
            if info is not None:
                archived.setdefault(info.key, []).append(info)
        for key, infos in archived.items():
            current = entry.objects.get(key)
            chain = [*infos, *([current] if current is not None else [])]
            entry.chains[key] = sorted(chain, key=lambda i: (i.seq, i.version), reverse=True)

    def _finish_load(self, entry: _Bucket) -> None:
        if entry.versioning:
            for key, info in entry.objects.items():
                entry.chains.setdefault(key, [info])


def _load_version(path: Path) -> ObjectInfo | None:
    if path.name.startswith(diskfmt.TMP_PREFIX):
        path.unlink(missing_ok=True)
        return None
    if path.suffix == ".obj":
        return load_object(path)
    if path.suffix != ".dm":
        return None
    try:
        return ObjectInfo.from_record(json.loads(path.read_bytes()))
    except (OSError, ValueError):
        return None


def _check_version_id(version_id: str) -> None:
    if version_id == "null":
        return
    if not version_id or len(version_id) > 64 or not version_id.isalnum():
        raise S3Error("InvalidArgument", "Invalid version id specified", ArgumentName="versionId")


def _move_quietly(source: str, target: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.replace(source, target)
