"""Upload, update, delete and read services against moto."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket
import threading
from unittest import mock

import pytest
from django.db import IntegrityError, OperationalError, connection

from chat.models import ChatSession
from chatui.errors import (
    FileTooLarge,
    InvalidBase64,
    InvalidInput,
    QuotaExceeded,
    StorageUnavailable,
)
from files import services, storage
from files.models import StoredFile

pytestmark = pytest.mark.django_db


def _closed_port_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_upload_bytes_writes_blob_and_row(s3_moto, user) -> None:
    # when
    file = services.file_upload(owner=user, content=b"a,b\n1,2\n", filename="t.csv")
    # then
    assert file.key.startswith("users/alice@example.com/uploads/")
    assert (file.size, file.content_type, file.category) == (8, "text/csv", "data")
    assert file.checksum == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert file.etag == storage.head(file.key).etag
    assert storage.list_keys() == [file.key]
    assert services.file_read_bytes(file=file) == b"a,b\n1,2\n"


def test_upload_stream_hashes_every_byte(s3_moto, user) -> None:
    data = bytes(range(256)) * 40_000  # ~10 MiB, multipart
    file = services.file_upload(owner=user, content=io.BytesIO(data), filename="blob.bin")
    assert file.size == len(data)
    assert file.checksum == hashlib.sha256(data).hexdigest()
    assert services.file_read_bytes(file=file) == data


def test_small_bodies_take_one_put_and_large_ones_stream(s3_moto, user) -> None:
    operations: list[str] = []
    storage.client().meta.events.register(
        "before-call.s3.*", lambda model, **_: operations.append(model.name)
    )
    services.file_upload(owner=user, content=io.BytesIO(b"x" * 1000), filename="small")
    assert operations == ["PutObject"]
    operations.clear()
    services.file_upload(owner=user, content=io.BufferedReader(io.BytesIO(b"y" * 9_000_000)),
                         filename="big")  # fmt: skip
    assert operations.count("UploadPart") == 2 and "PutObject" not in operations


def test_tool_files_go_under_generated(s3_moto, user) -> None:
    file = services.file_upload(
        owner=user, content=b"x", filename="out.txt", source="tool", source_tool="zip_files"
    )
    assert "/generated/" in file.key and file.source_tool == "zip_files"


def test_empty_uploads_are_refused_but_a_tool_may_store_one(s3_moto, user) -> None:
    with pytest.raises(InvalidInput, match=r"empty\.txt is empty \(0 bytes\)"):
        services.file_upload(owner=user, content=b"", filename="empty.txt")
    assert not StoredFile.objects.filter(owner=user).exists()
    file = services.file_upload(
        owner=user, content=b"", filename="none.txt", source="tool", source_tool="text_search"
    )
    assert file.size == 0 and services.file_read_bytes(file=file) == b""


def test_the_hint_cannot_make_html_an_image(s3_moto, user) -> None:
    file = services.file_upload(
        owner=user,
        content=b"<html><script>x</script>",
        filename="a.png",
        content_type_hint="image/png",
    )
    assert file.content_type == "text/html"


def test_too_large_leaves_nothing(s3_moto, user, settings) -> None:
    settings.FILES_MAX_UPLOAD_MB = 1
    with pytest.raises(FileTooLarge):
        services.file_upload(owner=user, content=b"x" * (1024 * 1024 + 1), filename="big")


def test_too_large_stream_of_unknown_size_is_aborted(s3_moto, user, settings) -> None:
    # given a stream that does not say how big it is
    settings.FILES_MAX_UPLOAD_MB = 1
    stream = io.BufferedReader(io.BytesIO(b"x" * (3 * 1024 * 1024)))  # type: ignore[arg-type]
    # when / then
    with pytest.raises(FileTooLarge):
        services.file_upload(owner=user, content=stream, filename="big")
    assert storage.list_keys() == [] and not StoredFile.objects.exists()


def test_quota_is_enforced(s3_moto, user, settings) -> None:
    settings.FILES_USER_QUOTA_MB = 1
    services.file_upload(owner=user, content=b"x" * 700_000, filename="a")
    with pytest.raises(QuotaExceeded):
        services.file_upload(owner=user, content=b"x" * 400_000, filename="b")
    assert StoredFile.objects.count() == 1 and len(storage.list_keys()) == 1


def test_per_user_quota_overrides_the_default(s3_moto, user, settings) -> None:
    settings.FILES_USER_QUOTA_MB = 1
    user.storage_quota_mb = 0  # unlimited for this user
    user.save()
    services.file_upload(owner=user, content=b"x" * 2_000_000, filename="a")
    assert services.user_quota_bytes(user) == 0


def test_quota_is_rechecked_after_the_blob_is_written(s3_moto, user, settings) -> None:
    # given a concurrent upload that lands between the first check and the insert
    settings.FILES_USER_QUOTA_MB = 1
    real_put = storage.objects.put_object

    def put_and_race(key, data, *, content_type):
        info = real_put(key, data, content_type=content_type)
        StoredFile.objects.create(
            owner=user, key=f"users/{user.email}/uploads/racer", filename="r", size=900_000
        )
        return info

    # when / then
    with (
        mock.patch.object(storage.multipart, "put_object", put_and_race),
        pytest.raises(QuotaExceeded),
    ):
        services.file_upload(owner=user, content=b"x" * 500_000, filename="late")
    assert storage.list_keys() == []  # the late upload's blob was removed


def test_storage_down_means_no_row(user, settings) -> None:
    settings.S3_ENDPOINT = _closed_port_endpoint()
    settings.S3_TIMEOUT = 2.0
    with pytest.raises(StorageUnavailable):
        services.file_upload(owner=user, content=b"x", filename="a.txt")
    assert not StoredFile.objects.exists()


@pytest.mark.parametrize("error", [IntegrityError("boom"), OperationalError("locked")])
def test_failed_insert_removes_the_blob(s3_moto, user, error) -> None:
    with mock.patch.object(StoredFile, "save", side_effect=error), pytest.raises(type(error)):
        services.file_upload(owner=user, content=b"x", filename="a.txt")
    assert storage.list_keys() == []
    assert not StoredFile.objects.exists()


def test_base64_upload(s3_moto, user) -> None:
    file = services.file_upload_base64(
        owner=user, filename="a.txt", content_base64=base64.b64encode(b"hi").decode()
    )
    assert services.file_read_bytes(file=file) == b"hi"


@pytest.mark.parametrize(
    "value", ["not base64!", "aGk", "aGk=\n", "data:text/plain;base64,aGk=", "é"]
)
def test_base64_is_strict(s3_moto, user, value) -> None:
    with pytest.raises(InvalidBase64):
        services.file_upload_base64(owner=user, filename="a.txt", content_base64=value)
    assert storage.list_keys() == []


def test_session_must_be_the_owners(s3_moto, user, other_user) -> None:
    session = ChatSession.objects.create(owner=other_user)
    with pytest.raises(InvalidInput):
        services.file_upload(owner=user, content=b"x", filename="a", session_id=session.id)
    own = ChatSession.objects.create(owner=user)
    stored = services.file_upload(owner=user, content=b"x", filename="a", session_id=own.id)
    assert stored.session_id == own.id


@pytest.mark.parametrize("tags", [{"a": 1}, ["x"], {"": "x"}, {f"k{i}": "v" for i in range(51)}])
def test_tags_are_validated(s3_moto, user, tags) -> None:
    with pytest.raises(InvalidInput):
        services.file_upload(owner=user, content=b"x", filename="a", tags=tags)


def test_update_renames_without_moving_the_blob(s3_moto, stored_file) -> None:
    key = stored_file.key
    updated = services.file_update(
        file=stored_file, filename="new name.txt", tags={"k": "v"}, tagged=True
    )
    updated.refresh_from_db()
    assert (updated.filename, updated.tags, updated.tagged) == ("new name.txt", {"k": "v"}, True)
    assert updated.key == key and storage.exists(key)


def test_update_refuses_an_empty_name(s3_moto, stored_file) -> None:
    with pytest.raises(InvalidInput):
        services.file_update(file=stored_file, filename="\x00 ")


def test_delete_removes_blob_and_row(s3_moto, stored_file) -> None:
    services.file_delete(file=stored_file)
    assert storage.list_keys() == [] and not StoredFile.objects.exists()


def test_delete_with_storage_down_keeps_the_row(s3_moto, stored_file, settings) -> None:
    settings.S3_ENDPOINT = _closed_port_endpoint()
    settings.S3_TIMEOUT = 2.0
    with pytest.raises(StorageUnavailable):
        services.file_delete(file=stored_file)
    assert StoredFile.objects.filter(pk=stored_file.pk).exists()


def test_read_bytes_limits(s3_moto, make_stored_file) -> None:
    file = make_stored_file(content=b"0123456789")
    with pytest.raises(FileTooLarge):
        services.file_read_bytes(file=file, max_bytes=4)
    assert services.file_read_bytes(file=file, max_bytes=4, truncate=True) == b"0123"


def test_open_streams_in_chunks(s3_moto, make_stored_file) -> None:
    file = make_stored_file(content=b"x" * 1000)
    with services.file_open(file=file) as stream:
        assert [len(c) for c in stream.iter_chunks(400)] == [400, 400, 200]


def test_a_row_whose_key_escaped_is_never_read(s3_moto, stored_file, other_user) -> None:
    StoredFile.objects.filter(pk=stored_file.pk).update(owner=other_user)
    stored_file.refresh_from_db()
    with pytest.raises(InvalidInput):
        services.file_open(file=stored_file)


# --- FileUpload (the streaming door) ------------------------------------------------------


def test_file_upload_in_pieces_hashes_and_stores_every_byte(s3_moto, user) -> None:
    data = bytes(range(256)) * 40_000  # ~10 MiB: multipart
    with services.FileUpload(owner=user, filename="blob.bin") as upload:
        for start in range(0, len(data), 65_536):
            upload.write(data[start : start + 65_536])
        file = upload.finish(tags={"k": "v"})
    assert (file.size, file.tags) == (len(data), {"k": "v"})
    assert file.checksum == hashlib.sha256(data).hexdigest()
    assert services.file_read_bytes(file=file) == data


def test_small_upload_in_pieces_is_hashed_once_beside_its_one_put(s3_moto, user) -> None:
    """Held for one PutObject, the body is hashed while the PUT runs (not per piece)."""
    data = os.urandom(300_001)
    hashed_on: list[str] = []
    with services.FileUpload(owner=user, filename="small.bin") as upload:
        for start in range(0, len(data), 65_536):
            upload.write(data[start : start + 65_536])
        real = upload._blob._sha256

        class Watched:
            def update(self, chunk: bytes) -> None:
                hashed_on.append(threading.current_thread().name)
                real.update(chunk)

            def hexdigest(self) -> str:
                return real.hexdigest()

        upload._blob._sha256 = Watched()
        file = upload.finish()
    assert file.checksum == hashlib.sha256(data).hexdigest()
    assert len(hashed_on) == 1 and hashed_on[0].startswith("s3-io")
    assert services.file_read_bytes(file=file) == data


def test_file_upload_past_the_limit_stops_and_leaves_nothing(s3_moto, user, settings) -> None:
    settings.FILES_MAX_UPLOAD_MB = 9
    with pytest.raises(FileTooLarge), services.FileUpload(owner=user, filename="b") as upload:
        for _ in range(20):
            upload.write(b"x" * (1024 * 1024))
    assert storage.list_keys() == []
    assert storage.client().list_multipart_uploads(Bucket=s3_moto).get("Uploads") is None


def test_file_upload_bad_tags_at_finish_leave_no_parts(s3_moto, user) -> None:
    with pytest.raises(InvalidInput), services.FileUpload(owner=user, filename="b") as upload:
        upload.write(b"x" * (9 * 1024 * 1024))
        upload.finish(tags={"": "empty key"})
    assert storage.list_keys() == [] and not StoredFile.objects.exists()
    assert storage.client().list_multipart_uploads(Bucket=s3_moto).get("Uploads") is None


def test_failed_insert_after_a_multipart_blob_removes_it(s3_moto, user) -> None:
    big = io.BytesIO(b"z" * (9 * 1024 * 1024))
    failing_save = mock.patch.object(StoredFile, "save", side_effect=OperationalError("locked"))
    with failing_save, pytest.raises(OperationalError):
        services.file_upload(owner=user, content=big, filename="big.bin")
    assert storage.list_keys() == [] and not StoredFile.objects.exists()


def test_an_upload_checks_its_row_before_its_write_transaction_begins(s3_moto, user):
    """On SQLite the transaction holds the one write lock from its BEGIN: the field
    checks are not made inside it, where every queued writer would wait for them."""
    depth: dict[str, int] = {}
    clean, save = StoredFile.full_clean, StoredFile.save

    def noted(name, method):
        def wrapper(self, *args, **kwargs):
            depth[name] = len(connection.atomic_blocks)
            return method(self, *args, **kwargs)

        return wrapper

    with (
        mock.patch.object(StoredFile, "full_clean", noted("check", clean)),
        mock.patch.object(StoredFile, "save", noted("insert", save)),
    ):
        services.file_upload(owner=user, content=b"x", filename="a.txt")

    assert depth["check"] < depth["insert"], depth


def test_an_upload_asks_the_database_only_what_it_must(
    s3_moto, user, settings, django_assert_num_queries
):
    """Without a quota: insert the row, its version 1 and its extraction job, in one
    transaction. With one: lock the owner, sum, insert the three. The savepoint pair
    is the test's transaction. Uniqueness, check
    constraints and foreign keys are the database's to enforce: validating them first cost five
    more queries."""
    with django_assert_num_queries(5):
        services.file_upload(owner=user, content=b"x", filename="a.txt")
    settings.FILES_USER_QUOTA_MB = 5
    with django_assert_num_queries(8) as queries:  # the early check sums too
        services.file_upload(owner=user, content=b"x", filename="b.txt")
    sql = [query["sql"] for query in queries.captured_queries]
    assert sum('"chatui_user"' in q for q in sql) == 1 and sum("SUM(" in q for q in sql) == 2
