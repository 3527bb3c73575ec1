"""Conditional writes, multipart edge cases, GetObjectAttributes and partNumber reads,
through boto3 over HTTP on s3mock and SeaweedFS (differences recorded, see README)."""

from __future__ import annotations

import base64
import threading
import zlib

import httpx
import pytest
from botocore.exceptions import ClientError

from s3mock.tests.conftest import LiveS3

MIB = 1024 * 1024
PART = 5 * MIB


def error_of(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def multipart(live: LiveS3, key: str, chunks: list[bytes], **create) -> tuple[str, list[dict]]:
    client, bucket = live.client, live.bucket
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        extra = {"ChecksumAlgorithm": create["ChecksumAlgorithm"]} if create else {}
        response = client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk, **extra
        )
        parts.append({"PartNumber": number, "ETag": response["ETag"]})
        parts[-1].update({k: v for k, v in response.items() if k.startswith("Checksum")})
    return upload_id, parts


def complete(live: LiveS3, key: str, upload_id: str, parts: list[dict], **extra):
    return live.client.complete_multipart_upload(
        Bucket=live.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}, **extra
    )


def test_conditional_complete_multipart_upload(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    etag = client.put_object(Bucket=bucket, Key="k", Body=b"first")["ETag"]
    upload_id, parts = multipart(live_s3, "k", [b"new"])

    exists = error_of(lambda: complete(live_s3, "k", upload_id, parts, IfNoneMatch="*"))
    stale = error_of(lambda: complete(live_s3, "k", upload_id, parts, IfMatch='"0"'))
    done = complete(live_s3, "k", upload_id, parts, IfMatch=etag)

    assert exists == ("PreconditionFailed", 412) and stale == ("PreconditionFailed", 412)
    assert done["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"new"


def test_a_write_that_lands_after_the_condition_changed_is_a_conflict(live_s3: LiveS3):
    """If-None-Match: * holds when the request starts; another writer creates the key while
    the body streams; S3 answers 409 ConditionalRequestConflict and keeps the other."""
    client, bucket = live_s3.client, live_s3.bucket
    url = client.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "race"})
    started, release = threading.Event(), threading.Event()

    def body():
        yield b"slow-"
        started.set()
        release.wait(10)
        yield b"writer"

    outcome: dict = {}

    def slow_put():
        headers = {"If-None-Match": "*", "Content-Length": "11"}
        outcome["response"] = httpx.put(url, content=body(), headers=headers, timeout=20)

    thread = threading.Thread(target=slow_put)
    thread.start()
    assert started.wait(10)
    client.put_object(Bucket=bucket, Key="race", Body=b"fast")
    release.set()
    thread.join(20)
    response = outcome["response"]

    # SeaweedFS re-checks at the end too, but answers 412 PreconditionFailed (README)
    assert response.status_code == live_s3.documented(409, seaweedfs=412)
    if live_s3.name == "s3mock":
        assert "<Code>ConditionalRequestConflict</Code>" in response.text
        assert client.get_object(Bucket=bucket, Key="race")["Body"].read() == b"fast"


def test_a_part_sent_again_keeps_the_newest_data(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    upload_id, parts = multipart(live_s3, "m", [b"a" * PART, b"b" * 10])
    again = client.upload_part(
        Bucket=bucket, Key="m", UploadId=upload_id, PartNumber=1, Body=b"c" * PART
    )
    parts[0] = {"PartNumber": 1, "ETag": again["ETag"]}
    parts[0].update({k: v for k, v in again.items() if k.startswith("Checksum")})

    complete(live_s3, "m", upload_id, parts)

    data = client.get_object(Bucket=bucket, Key="m")["Body"].read()
    assert data == b"c" * PART + b"b" * 10


def test_part_order_is_checked(live_s3: LiveS3):
    upload_id, parts = multipart(live_s3, "o", [b"a" * PART, b"b"])

    backwards = error_of(lambda: complete(live_s3, "o", upload_id, parts[::-1]))
    assert backwards == ("InvalidPartOrder", 400)
    if live_s3.name == "s3mock":  # SeaweedFS completes with a part listed twice (README)
        twice = error_of(lambda: complete(live_s3, "o", upload_id, [parts[0], parts[0]]))
        assert twice == ("InvalidPartOrder", 400)


def test_part_number_reads_of_a_multipart_object(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    upload_id, parts = multipart(live_s3, "m", [b"a" * PART, b"tail"])
    complete(live_s3, "m", upload_id, parts)

    first = client.head_object(Bucket=bucket, Key="m", PartNumber=1)
    second = client.get_object(Bucket=bucket, Key="m", PartNumber=2)
    beyond = error_of(lambda: client.get_object(Bucket=bucket, Key="m", PartNumber=3))

    assert first["ContentLength"] == PART and first["PartsCount"] == 2
    assert first["ContentRange"] == f"bytes 0-{PART - 1}/{PART + 4}"
    assert second["Body"].read() == b"tail" and second["ContentRange"].startswith(f"bytes {PART}-")
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert beyond == ("InvalidPartNumber", 416)


def test_part_number_one_of_a_plain_object_is_the_whole_object(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    client.put_object(Bucket=bucket, Key="p", Body=b"plain")

    got = client.get_object(Bucket=bucket, Key="p", PartNumber=1)
    beyond = error_of(lambda: client.head_object(Bucket=bucket, Key="p", PartNumber=2))

    assert got["Body"].read() == b"plain"
    assert got.get("PartsCount") == live_s3.documented(None, seaweedfs=1)
    assert beyond[1] == live_s3.documented(416, seaweedfs=beyond[1])


def test_get_object_attributes(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    chunks = [b"x" * PART, b"yz"]
    upload_id, parts = multipart(live_s3, "m", chunks, ChecksumAlgorithm="CRC32")
    done = complete(live_s3, "m", upload_id, parts)
    client.put_object(Bucket=bucket, Key="plain", Body=b"12345")
    everything = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]

    multi = client.get_object_attributes(Bucket=bucket, Key="m", ObjectAttributes=everything)
    plain = client.get_object_attributes(Bucket=bucket, Key="plain", ObjectAttributes=everything)
    missing = error_of(
        lambda: client.get_object_attributes(Bucket=bucket, Key="no", ObjectAttributes=["ETag"])
    )

    assert multi["ETag"] == done["ETag"].strip('"') and multi["ObjectSize"] == PART + 2
    assert multi["StorageClass"] == "STANDARD"
    checksum = multi.get("Checksum", {}).get("ChecksumCRC32")
    assert checksum == live_s3.documented(done["ChecksumCRC32"], seaweedfs=None)
    object_parts = multi["ObjectParts"]
    assert object_parts["TotalPartsCount"] == 2
    crc = [base64.b64encode(zlib.crc32(c).to_bytes(4, "big")).decode() for c in chunks]
    crc = live_s3.documented(crc, seaweedfs=[None, None])  # no part checksums (README)
    assert [
        (p["PartNumber"], p["Size"], p.get("ChecksumCRC32")) for p in object_parts["Parts"]
    ] == [
        (1, PART, crc[0]),
        (2, 2, crc[1]),
    ]
    assert plain["ObjectSize"] == 5 and "ObjectParts" not in plain
    assert missing == ("NoSuchKey", 404)


def test_part_number_read_returns_the_parts_checksum(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    chunks = [b"q" * PART, b"last part"]
    upload_id, parts = multipart(live_s3, "c", chunks, ChecksumAlgorithm="CRC32")
    complete(live_s3, "c", upload_id, parts)

    second = client.get_object(Bucket=bucket, Key="c", PartNumber=2, ChecksumMode="ENABLED")

    expected = base64.b64encode(zlib.crc32(chunks[1]).to_bytes(4, "big")).decode()
    assert second["Body"].read() == b"last part"
    assert second.get("ChecksumCRC32") == live_s3.documented(expected, seaweedfs=None)
