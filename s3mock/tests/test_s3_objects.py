"""Object operations through boto3 against a live runs3mock."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from botocore.exceptions import ClientError

RFC7231 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
UNUSUAL_KEYS = [
    "with space.txt",
    "plus+sign",
    "percent%20literal%",
    "ünïcødé/日本語/☃.txt",
    "emoji \U0001f600",
    "question?and#hash&amp=",
    "k" * 1024,
]


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def headers_of(response: dict) -> dict[str, str]:
    return response["ResponseMetadata"]["HTTPHeaders"]


def test_put_then_get_and_head_return_everything_stored(s3_client, s3_bucket):
    data = b"hello world"
    put = s3_client.put_object(
        Bucket=s3_bucket,
        Key="doc.txt",
        Body=data,
        ContentType="text/plain; charset=utf-8",
        Metadata={"origin": "test", "n": "1"},
        Tagging="colour=blue&size=",
        ContentDisposition='attachment; filename="doc.txt"',
        CacheControl="max-age=60",
        ContentEncoding="identity",
        ContentLanguage="en",
        Expires=datetime(2030, 1, 1, tzinfo=UTC),
    )

    got = s3_client.get_object(Bucket=s3_bucket, Key="doc.txt")
    head = s3_client.head_object(Bucket=s3_bucket, Key="doc.txt")

    etag = f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'
    assert put["ETag"] == got["ETag"] == head["ETag"] == etag
    assert got["Body"].read() == data
    for response in (got, head):
        assert response["ContentLength"] == len(data)
        assert response["ContentType"] == "text/plain; charset=utf-8"
        assert response["Metadata"] == {"origin": "test", "n": "1"}
        assert response["ContentDisposition"] == 'attachment; filename="doc.txt"'
        assert response["CacheControl"] == "max-age=60"
        assert response["ContentEncoding"] == "identity"
        assert response["ContentLanguage"] == "en"
        assert response["ExpiresString"] == "Tue, 01 Jan 2030 00:00:00 GMT"
        assert headers_of(response)["x-amz-tagging-count"] == "2"
        assert RFC7231.match(headers_of(response)["last-modified"])
    assert abs(head["LastModified"] - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_verified_flexible_checksum_is_echoed(s3_client, s3_bucket):
    data = b"checksummed"

    put = s3_client.put_object(Bucket=s3_bucket, Key="k", Body=data, ChecksumAlgorithm="CRC32")

    expected = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    assert put["ChecksumCRC32"] == expected


def test_default_content_type_and_empty_object(s3_client, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="empty", Body=b"")

    got = s3_client.get_object(Bucket=s3_bucket, Key="empty")

    assert got["Body"].read() == b""
    assert got["ContentType"] == "binary/octet-stream"
    assert got["ETag"] == f'"{hashlib.md5(b"", usedforsecurity=False).hexdigest()}"'


@pytest.mark.parametrize("key", UNUSUAL_KEYS)
def test_unusual_keys_round_trip_exactly(s3_client, s3_bucket, key):
    s3_client.put_object(Bucket=s3_bucket, Key=key, Body=key.encode())

    listed = [o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]]

    assert listed == [key]
    assert s3_client.get_object(Bucket=s3_bucket, Key=key)["Body"].read() == key.encode()
    s3_client.delete_object(Bucket=s3_bucket, Key=key)
    assert s3_client.list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 0


def test_key_over_1024_bytes_is_too_long(s3_client, s3_bucket):
    with pytest.raises(ClientError) as caught:
        s3_client.put_object(Bucket=s3_bucket, Key="é" * 513, Body=b"x")
    assert error(caught) == ("KeyTooLongError", 400)


@pytest.mark.parametrize("key", ["../../etc/passwd", "a/../../b", "a/..", "/absolute"])
def test_keys_escaping_the_bucket_are_a_400(s3_client, s3_bucket, key):
    with pytest.raises(ClientError) as caught:
        s3_client.put_object(Bucket=s3_bucket, Key=key, Body=b"x")
    assert error(caught)[1] == 400


def test_get_and_head_of_a_missing_key(s3_client, s3_bucket):
    with pytest.raises(ClientError) as get:
        s3_client.get_object(Bucket=s3_bucket, Key="missing")
    with pytest.raises(ClientError) as head:
        s3_client.head_object(Bucket=s3_bucket, Key="missing")

    assert error(get) == ("NoSuchKey", 404)
    assert error(head)[1] == 404


@pytest.mark.parametrize(
    ("header", "body", "content_range"),
    [
        ("bytes=2-5", b"2345", "bytes 2-5/10"),
        ("bytes=7-", b"789", "bytes 7-9/10"),
        ("bytes=-3", b"789", "bytes 7-9/10"),
        ("bytes=-50", b"0123456789", "bytes 0-9/10"),
        ("bytes=8-100", b"89", "bytes 8-9/10"),
    ],
)
def test_ranges(s3_client, s3_bucket, header, body, content_range):
    s3_client.put_object(Bucket=s3_bucket, Key="digits", Body=b"0123456789")

    got = s3_client.get_object(Bucket=s3_bucket, Key="digits", Range=header)

    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == body
    assert got["ContentRange"] == content_range
    assert got["ContentLength"] == len(body)


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=20-30", "bytes=-0"])
def test_unsatisfiable_range_is_416(s3_client, s3_bucket, header):
    s3_client.put_object(Bucket=s3_bucket, Key="digits", Body=b"0123456789")

    with pytest.raises(ClientError) as caught:
        s3_client.get_object(Bucket=s3_bucket, Key="digits", Range=header)

    assert error(caught) == ("InvalidRange", 416)


def test_conditional_gets(s3_client, s3_bucket):
    etag = s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"v")["ETag"]
    future = datetime.now(UTC) + timedelta(hours=1)
    past = datetime.now(UTC) - timedelta(hours=1)

    def status(**conditions) -> int:
        try:
            s3_client.get_object(Bucket=s3_bucket, Key="k", **conditions)
        except ClientError as exc:
            return int(exc.response["Error"]["Code"] == "PreconditionFailed" and 412) or int(
                exc.response["ResponseMetadata"]["HTTPStatusCode"]
            )
        return 200

    assert status(IfMatch=etag) == 200
    assert status(IfMatch='"0000"') == 412
    assert status(IfNoneMatch=etag) == 304
    assert status(IfNoneMatch='"0000"') == 200
    assert status(IfModifiedSince=future) == 304
    assert status(IfModifiedSince=past) == 200
    assert status(IfUnmodifiedSince=past) == 412
    assert status(IfUnmodifiedSince=future) == 200
    assert status(IfMatch=etag, IfUnmodifiedSince=past) == 200  # If-Match wins, as in S3


def test_response_header_overrides(s3_client, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"v", ContentType="text/plain")

    got = s3_client.get_object(
        Bucket=s3_bucket,
        Key="k",
        ResponseContentType="application/json",
        ResponseContentDisposition="attachment; filename=x.json",
        ResponseCacheControl="no-cache",
        ResponseContentEncoding="gzip",
        ResponseContentLanguage="fr",
        ResponseExpires=datetime(2031, 2, 3, tzinfo=UTC),
    )

    assert got["ContentType"] == "application/json"
    assert got["ContentDisposition"] == "attachment; filename=x.json"
    assert got["CacheControl"] == "no-cache"
    assert got["ContentEncoding"] == "gzip"
    assert got["ContentLanguage"] == "fr"
    assert got["ExpiresString"] == format_datetime(datetime(2031, 2, 3, tzinfo=UTC), True)


def test_presigned_get_works(s3_client, s3_bucket):
    import urllib.request

    s3_client.put_object(Bucket=s3_bucket, Key="shared file.txt", Body=b"shared")
    url = s3_client.generate_presigned_url(
        "get_object", Params={"Bucket": s3_bucket, "Key": "shared file.txt"}, ExpiresIn=60
    )

    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback URL)
        assert response.read() == b"shared"


def test_delete_object_is_204_even_for_a_missing_key(s3_client, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"v")

    deleted = s3_client.delete_object(Bucket=s3_bucket, Key="k")
    missing = s3_client.delete_object(Bucket=s3_bucket, Key="never-existed")

    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert missing["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3_client.list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 0


def test_delete_objects_reports_each_key(s3_client, s3_bucket):
    for key in ["a", "b"]:
        s3_client.put_object(Bucket=s3_bucket, Key=key, Body=b"v")

    result = s3_client.delete_objects(
        Bucket=s3_bucket,
        Delete={"Objects": [{"Key": "a"}, {"Key": "missing"}, {"Key": "../bad"}]},
    )

    assert sorted(d["Key"] for d in result["Deleted"]) == ["a", "missing"]
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("../bad", "InvalidArgument")]
    assert [o["Key"] for o in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]] == ["b"]


def test_delete_objects_quiet_mode_lists_only_errors(s3_client, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="a", Body=b"v")

    result = s3_client.delete_objects(
        Bucket=s3_bucket, Delete={"Objects": [{"Key": "a"}], "Quiet": True}
    )

    assert "Deleted" not in result and "Errors" not in result
    assert s3_client.list_objects_v2(Bucket=s3_bucket)["KeyCount"] == 0


def test_delete_objects_refuses_more_than_1000_keys(s3_client, s3_bucket):
    objects = [{"Key": f"k{i}"} for i in range(1001)]

    with pytest.raises(ClientError) as caught:
        s3_client.delete_objects(Bucket=s3_bucket, Delete={"Objects": objects})

    assert error(caught) == ("MalformedXML", 400)


def test_copy_object_keeps_metadata_and_tags_by_default(s3_client, s3_bucket):
    s3_client.put_object(
        Bucket=s3_bucket,
        Key="src dir/ünï+%.txt",
        Body=b"payload",
        ContentType="text/x-source",
        Metadata={"a": "1"},
        Tagging="t=1",
    )

    result = s3_client.copy_object(
        Bucket=s3_bucket,
        Key="dst",
        CopySource={"Bucket": s3_bucket, "Key": "src dir/ünï+%.txt", "VersionId": "null"},
    )

    got = s3_client.get_object(Bucket=s3_bucket, Key="dst")
    assert result["CopyObjectResult"]["ETag"] == got["ETag"]
    assert isinstance(result["CopyObjectResult"]["LastModified"], datetime)
    assert got["Body"].read() == b"payload"
    assert (got["ContentType"], got["Metadata"]) == ("text/x-source", {"a": "1"})
    assert s3_client.get_object_tagging(Bucket=s3_bucket, Key="dst")["TagSet"] == [
        {"Key": "t", "Value": "1"}
    ]


def test_copy_object_replace_directives(s3_client, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="src", Body=b"x", Metadata={"a": "1"}, Tagging="t=1")

    s3_client.copy_object(
        Bucket=s3_bucket,
        Key="dst",
        CopySource=f"{s3_bucket}/src",
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="image/png",
        TaggingDirective="REPLACE",
        Tagging="u=2",
    )

    head = s3_client.head_object(Bucket=s3_bucket, Key="dst")
    tags = s3_client.get_object_tagging(Bucket=s3_bucket, Key="dst")["TagSet"]
    assert (head["Metadata"], head["ContentType"]) == ({"b": "2"}, "image/png")
    assert tags == [{"Key": "u", "Value": "2"}]


def test_copy_onto_itself_needs_replace(s3_client, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"x", Metadata={"a": "1"})

    with pytest.raises(ClientError) as caught:
        s3_client.copy_object(Bucket=s3_bucket, Key="k", CopySource=f"{s3_bucket}/k")
    s3_client.copy_object(
        Bucket=s3_bucket,
        Key="k",
        CopySource=f"{s3_bucket}/k",
        MetadataDirective="REPLACE",
        Metadata={"a": "2"},
    )

    assert error(caught) == ("InvalidRequest", 400)
    assert s3_client.head_object(Bucket=s3_bucket, Key="k")["Metadata"] == {"a": "2"}


def test_copy_of_a_missing_source_and_failed_source_condition(s3_client, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="src", Body=b"x")

    with pytest.raises(ClientError) as missing:
        s3_client.copy_object(Bucket=s3_bucket, Key="d", CopySource=f"{s3_bucket}/nope")
    with pytest.raises(ClientError) as condition:
        s3_client.copy_object(
            Bucket=s3_bucket, Key="d", CopySource=f"{s3_bucket}/src", CopySourceIfMatch='"0"'
        )

    assert error(missing) == ("NoSuchKey", 404)
    assert error(condition) == ("PreconditionFailed", 412)


def test_object_tagging_is_separate_from_the_bytes(s3_client, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"v", Metadata={"m": "1"})
    before = s3_client.head_object(Bucket=s3_bucket, Key="k")

    s3_client.put_object_tagging(
        Bucket=s3_bucket,
        Key="k",
        Tagging={"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "b c", "Value": "ü"}]},
    )
    tags = s3_client.get_object_tagging(Bucket=s3_bucket, Key="k")["TagSet"]
    after = s3_client.head_object(Bucket=s3_bucket, Key="k")
    s3_client.delete_object_tagging(Bucket=s3_bucket, Key="k")

    assert tags == [{"Key": "a", "Value": "1"}, {"Key": "b c", "Value": "ü"}]
    assert (after["ETag"], after["LastModified"], after["Metadata"]) == (
        before["ETag"],
        before["LastModified"],
        before["Metadata"],
    )
    assert s3_client.get_object_tagging(Bucket=s3_bucket, Key="k")["TagSet"] == []
    assert s3_client.get_object(Bucket=s3_bucket, Key="k")["Body"].read() == b"v"


@pytest.mark.parametrize(
    "tag_set",
    [
        [{"Key": f"k{i}", "Value": "v"} for i in range(11)],
        [{"Key": "k" * 129, "Value": "v"}],
        [{"Key": "k", "Value": "v" * 257}],
        [{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}],
    ],
)
def test_invalid_tags_are_refused(s3_client, s3_bucket, tag_set):
    s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"v")

    with pytest.raises(ClientError) as caught:
        s3_client.put_object_tagging(Bucket=s3_bucket, Key="k", Tagging={"TagSet": tag_set})

    assert error(caught) == ("InvalidTag", 400)


def test_tagging_header_with_too_many_tags_is_refused(s3_client, s3_bucket):
    tagging = "&".join(f"k{i}=v" for i in range(11))

    with pytest.raises(ClientError) as caught:
        s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"v", Tagging=tagging)

    assert error(caught) == ("InvalidTag", 400)


def test_unsupported_object_subresource_is_501(s3_client, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"v")

    with pytest.raises(ClientError) as caught:
        s3_client.get_object_retention(Bucket=s3_bucket, Key="k")

    assert error(caught) == ("NotImplemented", 501)
    assert "retention" in caught.value.response["Error"]["Message"]


def test_conditional_put_if_none_match(s3_client, s3_bucket):
    s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"first", IfNoneMatch="*")

    with pytest.raises(ClientError) as caught:
        s3_client.put_object(Bucket=s3_bucket, Key="k", Body=b"second", IfNoneMatch="*")

    assert error(caught) == ("PreconditionFailed", 412)
    assert s3_client.get_object(Bucket=s3_bucket, Key="k")["Body"].read() == b"first"


def test_concurrent_writers_to_one_key_leave_one_complete_version(s3mock_server, s3_bucket):
    from s3mock.tests.conftest import make_s3_client

    payloads = [bytes([65 + i]) * (300_000 + i) for i in range(6)]
    failures: list[BaseException] = []

    def writer(data: bytes) -> None:
        client = make_s3_client(s3mock_server)  # boto3 clients are not shared across threads
        try:
            for _ in range(4):
                client.put_object(Bucket=s3_bucket, Key="hot", Body=data)
        except BaseException as exc:  # reported below, in the test thread
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    got = make_s3_client(s3mock_server).get_object(Bucket=s3_bucket, Key="hot")
    data = got["Body"].read()
    assert failures == []
    assert data in payloads
    assert got["ETag"] == f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'
