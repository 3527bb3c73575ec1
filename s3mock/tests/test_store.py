"""Unit tests of the on-disk store (in-process; no HTTP)."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from pathlib import Path

import pytest

from s3mock import diskfmt
from s3mock.errors import S3Error
from s3mock.store import ObjectAttrs, Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "data")
    store.create_bucket("bucket", "alice")
    return store


def tmp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(diskfmt.TMP_PREFIX)]


def test_put_and_read_round_trip_with_md5_etag(store: Store):
    info = store.put_object_bytes(
        "bucket", "a/b.txt", b"hello", content_type="text/plain", metadata={"m": "1"}
    )

    assert info.etag == hashlib.md5(b"hello", usedforsecurity=False).hexdigest()
    assert info.quoted_etag == f'"{info.etag}"'
    assert store.read_object_bytes("bucket", "a/b.txt") == b"hello"
    head = store.head_object("bucket", "a/b.txt")
    assert (head.size, head.content_type, head.metadata) == (5, "text/plain", {"m": "1"})


@pytest.mark.parametrize(
    "name",
    ["ab", "a" * 64, "Upper", "-start", "end-", "a..b", "192.168.1.1", "xn--abc", "a_b",
     "files", "users", "health", "a.-b", "bucket-s3alias"],
)  # fmt: skip
def test_invalid_bucket_names_are_refused(tmp_path: Path, name: str):
    store = Store(tmp_path)

    with pytest.raises(S3Error) as caught:
        store.create_bucket(name, "alice")

    assert caught.value.code == "InvalidBucketName"


@pytest.mark.parametrize("name", ["abc", "a" * 63, "my.bucket-1", "1bucket", "files2"])
def test_valid_bucket_names_are_accepted(tmp_path: Path, name: str):
    Store(tmp_path).create_bucket(name, "alice")


def test_creating_an_existing_bucket_depends_on_the_owner(store: Store):
    with pytest.raises(S3Error) as own:
        store.create_bucket("bucket", "alice")
    with pytest.raises(S3Error) as other:
        store.create_bucket("bucket", "bob")

    assert own.value.code == "BucketAlreadyOwnedByYou"
    assert other.value.code == "BucketAlreadyExists"
    assert store.ensure_bucket("bucket", "bob").owner == "alice"


def test_delete_bucket_refuses_while_objects_remain(store: Store):
    store.put_object_bytes("bucket", "k", b"x")
    with pytest.raises(S3Error) as caught:
        store.delete_bucket("bucket")
    assert caught.value.code == "BucketNotEmpty"

    store.delete_object("bucket", "k")
    store.delete_bucket("bucket")

    assert store.bucket_owner("bucket") is None
    store.create_bucket("bucket", "bob")  # the name is free again, with clean directories
    store.put_object_bytes("bucket", "k", b"y")


@pytest.mark.parametrize("key", ["../escape", "a/../../b", "/abs", "nul\x00key", "a/.."])
def test_keys_that_look_like_path_escapes_are_refused(store: Store, key: str):
    with pytest.raises(S3Error) as caught:
        store.put_object_bytes("bucket", key, b"x")
    assert caught.value.code == "InvalidArgument"


def test_key_length_limit_is_1024_utf8_bytes(store: Store):
    store.put_object_bytes("bucket", "é" * 512, b"x")  # 1024 bytes
    with pytest.raises(S3Error) as caught:
        store.put_object_bytes("bucket", "é" * 512 + "a", b"x")
    assert caught.value.code == "KeyTooLongError"


def test_unusual_keys_survive_a_reload(store: Store):
    keys = ["a b", "a+b", "100%", "ünï/cødé ☃", "dots/./x", "k" * 1024, "tab\tnew\nline"]
    for key in keys:
        store.put_object_bytes("bucket", key, key.encode())

    reloaded = Store(store.root)

    assert [o.key for o in reloaded.iter_objects("bucket")] == sorted(keys)
    assert all(reloaded.read_object_bytes("bucket", k) == k.encode() for k in keys)


def test_listing_rolls_up_common_prefixes_and_pages(store: Store):
    for key in ["a/1", "a/2", "b", "c/1", "c/2/x", "d"]:
        store.put_object_bytes("bucket", key, b"")

    first = store.list_objects("bucket", delimiter="/", max_keys=2)
    second = store.list_objects("bucket", delimiter="/", start_after=first.next_marker)

    assert ([o.key for o in first.objects], first.common_prefixes) == (["b"], ["a/"])
    assert first.is_truncated and first.next_marker == "b"
    assert ([o.key for o in second.objects], second.common_prefixes) == (["d"], ["c/"])
    assert not second.is_truncated


def test_a_marker_equal_to_a_common_prefix_skips_its_keys(store: Store):
    for key in ["a/1", "a/2", "b"]:
        store.put_object_bytes("bucket", key, b"")

    page = store.list_objects("bucket", delimiter="/", start_after="a/")

    assert ([o.key for o in page.objects], page.common_prefixes) == (["b"], [])


def test_listing_orders_keys_by_utf8_bytes(store: Store):
    keys = ["z", "é", "\U0001f600", "\uffff", "A"]
    for key in keys:
        store.put_object_bytes("bucket", key, b"")

    listed = [o.key for o in store.list_objects("bucket").objects]

    assert listed == sorted(keys, key=lambda k: k.encode("utf-8"))


def test_put_tags_leaves_the_object_file_untouched(store: Store):
    store.put_object_bytes("bucket", "k", b"data", tags={"a": "1"})
    path = next((store.root / "buckets" / "bucket" / "objects").rglob("*.obj"))
    before = (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino)

    store.put_tags("bucket", "k", {"b": "2"})

    assert (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino) == before
    assert store.get_tags("bucket", "k") == {"b": "2"}
    assert Store(store.root).get_tags("bucket", "k") == {"b": "2"}


def test_a_new_put_drops_tags_set_on_the_old_version(store: Store):
    store.put_object_bytes("bucket", "k", b"v1")
    store.put_tags("bucket", "k", {"old": "1"})

    store.put_object_bytes("bucket", "k", b"v2", tags={"new": "1"})

    assert store.get_tags("bucket", "k") == {"new": "1"}
    assert Store(store.root).get_tags("bucket", "k") == {"new": "1"}


def test_an_abandoned_write_leaves_the_old_version_and_is_cleaned_on_start(store: Store):
    # given an object, and a writer for a new version that dies before committing
    store.put_object_bytes("bucket", "k", b"old")
    writer = store.object_writer("bucket", "k")
    writer.write(b"new bytes that never finished")

    # when the process "restarts"
    reloaded = Store(store.root)

    # then the old version is intact and the temp file is gone
    assert reloaded.read_object_bytes("bucket", "k") == b"old"
    assert tmp_files(store.root) == []


def test_a_failing_stream_is_not_committed(store: Store):
    async def body():
        yield b"partial"
        raise S3Error("BadDigest", "checksum mismatch")

    with pytest.raises(S3Error):
        asyncio.run(store.put_object_stream("bucket", "k", body(), ObjectAttrs()))

    assert store.list_objects("bucket").objects == []
    assert tmp_files(store.root) == []


def test_a_truncated_object_file_is_ignored_on_start(store: Store):
    store.put_object_bytes("bucket", "good", b"fine")
    store.put_object_bytes("bucket", "bad", b"will be cut")
    bad = Path(store._object_base(store._bucket("bucket"), "bad")[1] + ".obj")
    bad.write_bytes(bad.read_bytes()[:5])

    reloaded = Store(store.root)

    assert [o.key for o in reloaded.iter_objects("bucket")] == ["good"]


def test_concurrent_writers_to_one_key_leave_one_complete_version(store: Store):
    payloads = [bytes([i]) * (256 * 1024 + i) for i in range(8)]

    def write(data: bytes) -> None:
        for _ in range(5):
            store.put_object_bytes("bucket", "hot", data)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    data = store.read_object_bytes("bucket", "hot")
    info = store.head_object("bucket", "hot")
    assert data in payloads
    assert info.etag == hashlib.md5(data, usedforsecurity=False).hexdigest() and info.size == len(
        data
    )
    assert Store(store.root).head_object("bucket", "hot") == info


def test_multipart_state_survives_a_reload(store: Store):
    upload = store.multipart.create("bucket", "big", ObjectAttrs(content_type="a/b"), "alice")
    writer = store.multipart.part_writer(upload)
    writer.write(b"part one")
    store.multipart.commit_part(upload, 1, writer, None)

    reloaded = Store(store.root)
    again = reloaded.multipart.get("bucket", "big", upload.upload_id)
    info = reloaded.multipart.complete(
        again, [(1, hashlib.md5(b"part one", usedforsecurity=False).hexdigest())]
    )

    assert reloaded.read_object_bytes("bucket", "big") == b"part one"
    assert info.content_type == "a/b" and info.etag.endswith("-1")
    assert reloaded.multipart.list_uploads("bucket") == []


def test_deleting_a_bucket_discards_its_unfinished_uploads(store: Store):
    upload = store.multipart.create("bucket", "big", ObjectAttrs(), "alice")

    store.delete_bucket("bucket")
    store.create_bucket("bucket", "alice")

    assert store.multipart.list_uploads("bucket") == []
    with pytest.raises(S3Error) as caught:
        store.multipart.get("bucket", "big", upload.upload_id)
    assert caught.value.code == "NoSuchUpload"


def test_an_older_versions_acl_and_tags_survive_a_reload(store: Store):
    store.put_versioning("bucket", "Enabled")
    first = store.put_object_bytes("bucket", "k", b"1")
    store.put_object_acl("bucket", "k", "public-read")
    store.put_tags("bucket", "k", {"t": "v"})
    store.put_object_bytes("bucket", "k", b"2")

    old = Store(store.root).head_object("bucket", "k", first.version_id)

    assert (old.acl, old.tags) == ("public-read", {"t": "v"})
