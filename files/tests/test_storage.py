"""The storage seam against moto (fast), plus its management commands."""

from __future__ import annotations

import hashlib
import io
import socket
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from chatui.errors import StorageUnavailable
from files import storage


def _closed_port_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _record_operations() -> list[str]:
    operations: list[str] = []
    storage.client().meta.events.register(
        "before-call.s3.*", lambda model, **_: operations.append(model.name)
    )
    return operations


def test_storage_is_configured_from_s3_settings(settings) -> None:
    settings.S3_ENDPOINT = "http://127.0.0.1:9"
    settings.S3_BUCKET = "configured"
    backend = storage.get_storage()
    assert isinstance(backend, storage.ChatuiS3Storage)
    assert backend.bucket_name == "configured"
    assert backend.endpoint_url == "http://127.0.0.1:9"
    assert backend.default_acl is None and backend.querystring_auth is True
    assert backend.file_overwrite is False
    config = backend.client_config
    assert config.signature_version == "s3v4" and config.s3 == {"addressing_style": "path"}
    assert config.connect_timeout == settings.S3_TIMEOUT
    assert config.retries["max_attempts"] == 2


def test_changing_settings_rebuilds_the_storage(settings) -> None:
    settings.S3_BUCKET = "first"
    assert storage.get_storage().bucket_name == "first"
    with override_settings(S3_BUCKET="second"):
        assert storage.get_storage().bucket_name == "second"
    assert storage.get_storage().bucket_name == "first"


def test_put_head_read_delete_round_trip(s3_moto) -> None:
    # when
    info = storage.put_bytes("users/a@b.c/uploads/x.txt", b"hello", content_type="text/plain")
    # then
    assert (info.size, info.content_type) == (5, "text/plain")
    assert info.sha256 == hashlib.sha256(b"hello").hexdigest()
    head = storage.head("users/a@b.c/uploads/x.txt")
    assert (head.size, head.etag, head.content_type) == (5, info.etag, "text/plain")
    with storage.open_stream("users/a@b.c/uploads/x.txt") as stream:
        assert stream.read() == b"hello"
    storage.delete("users/a@b.c/uploads/x.txt")
    assert storage.head("users/a@b.c/uploads/x.txt") is None
    assert storage.list_keys() == []


@pytest.mark.parametrize(
    "value",
    [
        "Wed, 21 Oct 2015 07:28:00 GMT",  # Last-Modified, RFC 1123
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "2009-10-12T17:50:30.000Z",  # a listing's LastModified, ISO 8601
        "2009-10-12T17:50:30Z",
        "2024-02-29T23:59:59.123456+00:00",
        "2024-02-29T23:59:59+02:00",
        "Wed, 21 Oct 2015 07:28:00 -0000",  # no zone: botocore's parser decides
        "2009-10-12T17:50:30",
        "1445412480",  # epoch seconds
        1445412480,
    ],
)
def test_s3_timestamps_parse_as_botocore_parses_them(value) -> None:
    from botocore.utils import parse_timestamp

    parsed, expected = storage.parse_s3_timestamp(value), parse_timestamp(value)
    assert parsed == expected
    assert (parsed.tzinfo is None) == (expected.tzinfo is None)


def test_an_unreadable_timestamp_is_botocores_error() -> None:
    with pytest.raises(ValueError, match="Invalid timestamp"):
        storage.parse_s3_timestamp("not a date")


def test_the_storage_client_parses_dates_with_the_fast_parser(s3_moto, monkeypatch) -> None:
    # given: a spy in place before the client is built
    seen: list[str] = []
    parse = storage.parse_s3_timestamp

    def spy(value):
        seen.append(value)
        return parse(value)

    storage.put_bytes("users/a@b.c/uploads/t.txt", b"t", content_type="text/plain")
    monkeypatch.setattr(storage.backend, "parse_s3_timestamp", spy)
    storage.reset_storage()
    # when
    listed = list(storage.iter_blobs("users/"))
    # then: HeadObject's Last-Modified and the listing's LastModified both went through it
    head = storage.client().head_object(Bucket=storage.bucket_name(), Key=listed[0].key)
    assert len(seen) == 2
    assert head["LastModified"] == listed[0].last_modified


def test_put_sends_no_acl(s3_moto) -> None:
    sent: list[dict] = []
    storage.client().meta.events.register(
        "before-call.s3.PutObject", lambda params, **_: sent.append(dict(params["headers"]))
    )
    storage.put_bytes("users/a@b.c/x", b"x", content_type="text/plain")
    assert sent and not any(name.lower() == "x-amz-acl" for name in sent[0])


def test_large_put_streams_as_multipart(s3_moto) -> None:
    # given 20 MiB, more than the 8 MiB multipart threshold
    data = bytes(range(256)) * (20 * 4096)
    operations = _record_operations()
    # when
    info = storage.put_bytes("users/a@b.c/big.bin", data, content_type="application/x")
    # then
    assert operations.count("UploadPart") == 3
    assert "PutObject" not in operations
    assert info.size == len(data) and info.etag.endswith("-3")
    assert info.sha256 == hashlib.sha256(data).hexdigest()


def test_every_write_is_one_put_when_small_and_multipart_when_large(s3_moto) -> None:
    """The one write path: a body up to SINGLE_PUT_MAX_BYTES is one PutObject, sent
    with If-None-Match so an existing object is never overwritten."""
    operations = _record_operations()
    small = b"s" * storage.SINGLE_PUT_MAX_BYTES
    with storage.BlobWriter("users/a@b.c/s", content_type_of=lambda head, whole: "a/b") as writer:
        for start in range(0, len(small), 1 << 20):
            writer.write(small[start : start + (1 << 20)])
        info = writer.close()
    assert operations == ["PutObject"]
    assert (info.size, info.content_type) == (len(small), "a/b")
    assert info.sha256 == hashlib.sha256(small).hexdigest()


def test_range_reads(s3_moto) -> None:
    storage.put_bytes("users/a@b.c/r", b"0123456789", content_type="text/plain")
    with storage.open_stream("users/a@b.c/r", byte_range=(2, 4)) as stream:
        assert stream.read() == b"234"
        assert stream.content_range == "bytes 2-4/10"


def test_missing_object_is_blob_missing(s3_moto) -> None:
    with pytest.raises(storage.BlobMissing):
        storage.open_stream("users/a@b.c/nothing")
    assert storage.exists("users/a@b.c/nothing") is False
    storage.delete("users/a@b.c/nothing")  # deleting what is gone is fine


def test_presigned_url_is_sigv4_with_disposition(s3_moto) -> None:
    url = storage.presigned_url(
        "users/a@b.c/x.svg",
        content_disposition='attachment; filename="x.svg"',
        content_type="image/svg+xml",
    )
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["response-content-disposition"] == ['attachment; filename="x.svg"']
    assert int(query["X-Amz-Expires"][0]) <= 300


def test_endpoint_down_is_storage_unavailable(settings) -> None:
    settings.S3_ENDPOINT = _closed_port_endpoint()
    settings.S3_TIMEOUT = 2.0
    with pytest.raises(StorageUnavailable):
        storage.put_bytes("users/a@b.c/x", b"x", content_type="text/plain")
    with pytest.raises(StorageUnavailable):
        storage.open_stream("users/a@b.c/x")
    with pytest.raises(StorageUnavailable):
        storage.bucket_exists()
    with pytest.raises(StorageUnavailable):
        list(storage.iter_multipart_uploads("users/"))
    with pytest.raises(StorageUnavailable):
        storage.abort_multipart_upload("users/a@b.c/x", "some-upload")


def test_missing_bucket_is_storage_unavailable_not_file_not_found(s3_moto, settings) -> None:
    settings.S3_BUCKET = "no-such-bucket"
    with pytest.raises(StorageUnavailable) as info:
        storage.put_bytes("users/a@b.c/x", b"x", content_type="text/plain")
    assert not isinstance(info.value, storage.BlobMissing)


def test_ensure_bucket_creates_only_when_allowed(s3_moto, settings) -> None:
    settings.S3_BUCKET = "fresh-bucket"
    settings.S3_AUTO_CREATE_BUCKET = False
    with pytest.raises(StorageUnavailable):
        storage.ensure_bucket()
    assert storage.bucket_exists() is False
    settings.S3_AUTO_CREATE_BUCKET = True
    assert storage.ensure_bucket() is True
    assert storage.ensure_bucket() is False


def test_storage_init_command(s3_moto, settings) -> None:
    settings.S3_BUCKET = "init-bucket"
    settings.S3_AUTO_CREATE_BUCKET = False
    with pytest.raises(CommandError, match="S3_AUTO_CREATE_BUCKET"):
        call_command("storage_init")
    settings.S3_AUTO_CREATE_BUCKET = True
    out = io.StringIO()
    call_command("storage_init", stdout=out)
    assert "created" in out.getvalue()


def test_storage_check_passes_on_a_working_store(s3_moto) -> None:
    out = io.StringIO()
    call_command("storage_check", stdout=out)
    assert "Storage is ready." in out.getvalue()
    assert storage.list_keys() == []  # the probe cleaned up after itself


def test_storage_check_explains_a_missing_bucket(s3_moto, settings) -> None:
    settings.S3_BUCKET = "absent"
    with pytest.raises(CommandError, match="storage_init"):
        call_command("storage_check", stdout=io.StringIO())


def test_storage_check_explains_a_down_endpoint(settings) -> None:
    settings.S3_ENDPOINT = _closed_port_endpoint()
    settings.S3_TIMEOUT = 2.0
    with pytest.raises(CommandError, match="nothing answers at S3_ENDPOINT"):
        call_command("storage_check", stdout=io.StringIO())


# --- MultipartWriter ---------------------------------------------------------------------


def _pending_uploads() -> list:
    return storage.client().list_multipart_uploads(Bucket=storage.bucket_name()).get("Uploads", [])


def test_multipart_writer_sends_parts_as_they_fill(s3_moto) -> None:
    # given 20 MiB written in odd-sized chunks
    data = bytes(range(256)) * (20 * 4096)
    operations = _record_operations()
    writer = storage.MultipartWriter("users/a@b.c/w.bin", content_type="application/x")
    # when
    for start in range(0, len(data), 777_777):
        writer.write(data[start : start + 777_777])
    info = writer.close()
    # then
    assert operations.count("UploadPart") == 3 and "PutObject" not in operations
    assert (info.size, info.etag) == (len(data), storage.head("users/a@b.c/w.bin").etag)
    with storage.open_stream("users/a@b.c/w.bin") as stream:
        assert stream.read() == data


def test_multipart_writer_abort_leaves_no_parts(s3_moto) -> None:
    writer = storage.MultipartWriter("users/a@b.c/w.bin", content_type="application/x")
    writer.write(b"x" * (9 * 1024 * 1024))  # one part sent
    assert len(_pending_uploads()) == 1
    writer.abort()
    assert _pending_uploads() == [] and storage.list_keys() == []


def test_multipart_writer_reports_a_failed_part(s3_moto, monkeypatch) -> None:
    def fail(self, number, part):
        raise StorageUnavailable(reason="test")

    monkeypatch.setattr(storage.MultipartWriter, "_upload_part", fail)
    writer = storage.MultipartWriter("users/a@b.c/w.bin", content_type="application/x")
    with pytest.raises(StorageUnavailable):
        for _ in range(4):
            writer.write(b"x" * (8 * 1024 * 1024))
        writer.close()
    writer.abort()
    assert _pending_uploads() == [] and storage.list_keys() == []


def test_multipart_uploads_are_listed_and_aborted(s3_moto) -> None:
    client, bucket = storage.client(), storage.bucket_name()
    started = sorted(
        (key, client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
        for key in ["users/a@b.c/1", "users/a@b.c/2", "users/a@b.c/2", "other/3"]
    )
    listed = [(u.key, u.upload_id) for u in storage.iter_multipart_uploads("users/", page_size=1)]
    assert sorted(listed) == [pair for pair in started if pair[0].startswith("users/")]
    assert storage.abort_multipart_upload(*started[-1]) is True
    assert len(list(storage.iter_multipart_uploads(""))) == 3


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (  # S3, s3mock: after (key, upload id)
            {"NextKeyMarker": "k", "NextUploadIdMarker": "u"},
            {"KeyMarker": "k", "UploadIdMarker": "u"},
        ),
        # SeaweedFS: only the upload id, and it answers nothing when a KeyMarker comes too
        ({"NextUploadIdMarker": "u"}, {"UploadIdMarker": "u"}),
        ({}, {"KeyMarker": "last", "UploadIdMarker": "last-id"}),  # no markers at all
    ],
)
def test_multipart_listing_continues_from_the_markers_given(page, expected) -> None:
    last = {"Key": "last", "UploadId": "last-id"}
    assert storage.listing._next_upload_markers(page, last) == expected
