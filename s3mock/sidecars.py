"""What changes after a write without rewriting the object: its tags and canned ACL (a
``.tags`` sidecar file naming the version it belongs to), and bucket settings (ACL,
tags, CORS) kept in ``bucket.json``. A mixin over :class:`s3mock.store.Store`."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import diskfmt
from .errors import no_such_key
from .records import ObjectInfo

log = logging.getLogger(__name__)


class SidecarMixin:
    _lock: Any
    fsync: bool

    # --- object tags and ACL ---------------------------------------------------------

    def get_tags(self, bucket: str, key: str) -> dict[str, str]:
        return dict(self.head_object(bucket, key).tags)  # type: ignore[attr-defined]

    def put_tags(self, bucket: str, key: str, tags: dict[str, str]) -> ObjectInfo:
        """Replace the tag set without touching the object file (bytes or record)."""
        return self._update_current(bucket, key, tags=dict(tags))

    def delete_tags(self, bucket: str, key: str) -> ObjectInfo:
        return self.put_tags(bucket, key, {})

    def put_object_acl(self, bucket: str, key: str, acl: str) -> ObjectInfo:
        return self._update_current(bucket, key, acl=acl)

    def _update_current(self, bucket: str, key: str, **changes: Any) -> ObjectInfo:
        """The sidecar names the version it belongs to, so one written just as a
        concurrent PUT replaces the object is ignored rather than misattributed."""
        with self._lock:
            entry = self._bucket(bucket)  # type: ignore[attr-defined]
            info = entry.objects.get(key)
            if info is None:
                raise no_such_key(key)
            info = replace(info, **changes)
            path = self._object_base(entry, key)[1] + ".tags"  # type: ignore[attr-defined]
            record = {"version": info.version, "tags": info.tags, "acl": info.acl}
            diskfmt.write_json_atomic(path, record, fsync=self.fsync)
            entry.objects[key] = info
            self._replace_in_chain(entry, info)  # type: ignore[attr-defined]
        return info

    # --- bucket settings ---------------------------------------------------------------

    def bucket_setting(self, bucket: str, name: str, default: Any = None) -> Any:
        return self._bucket(bucket).settings.get(name, default)  # type: ignore[attr-defined]

    def set_bucket_setting(self, bucket: str, name: str, value: Any) -> None:
        """Store one bucket setting (``None`` removes it) in ``bucket.json``."""
        with self._lock:
            entry = self._bucket(bucket)  # type: ignore[attr-defined]
            settings = dict(entry.settings)
            if value is None:
                settings.pop(name, None)
            else:
                settings[name] = value
            self._write_bucket_field(entry, "settings", settings)
            entry.settings = settings

    def _write_bucket_field(self, entry: Any, name: str, value: Any) -> None:
        """Rewrite one field of ``bucket.json`` (called under the store lock)."""
        record = json.loads((entry.path / "bucket.json").read_bytes())
        record[name] = value
        diskfmt.write_json_atomic(entry.path / "bucket.json", record, fsync=self.fsync)


def load_object(path: Path) -> ObjectInfo | None:
    """An object file's record, with its sidecar's tags and ACL when they are its own."""
    try:
        with open(path, "rb") as file:
            record, _ = diskfmt.read_record(file)
    except (OSError, diskfmt.CorruptObjectFile) as exc:
        log.warning("s3mock: ignoring unreadable object file %s: %s", path, exc)
        return None
    info = ObjectInfo.from_record(record)
    try:
        sidecar = json.loads(path.with_suffix(".tags").read_bytes())
    except FileNotFoundError:
        return info
    except (OSError, ValueError) as exc:
        log.warning("s3mock: ignoring unreadable tags file for %s: %s", path, exc)
        return info
    if sidecar.get("version") != info.version:
        return info
    return replace(info, tags=sidecar["tags"], acl=sidecar.get("acl", info.acl))
