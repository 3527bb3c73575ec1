"""Flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) through boto3 over HTTP:
verified on the way in, stored, returned with ``x-amz-checksum-mode: ENABLED``, and
combined for multipart uploads as S3 documents (COMPOSITE and FULL_OBJECT)."""

from __future__ import annotations

import base64
import hashlib
import io
import zlib
from typing import Any

import anycrc
import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from s3mock.tests.conftest import LiveS3

MIB = 1024 * 1024
DATA = b"123456789"


def b64int(value: int, size: int) -> str:
    return base64.b64encode(value.to_bytes(size, "big")).decode()


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# The catalogue's check values (the CRC of "123456789"), so a wrong polynomial fails here.
EXPECTED = {
    "CRC32": b64int(0xCBF43926, 4),
    "CRC32C": b64int(0xE3069283, 4),
    "CRC64NVME": b64int(0xAE8B14860A799888, 8),
    "SHA1": b64(hashlib.sha1(DATA).digest()),  # noqa: S324 (S3's algorithm)
    "SHA256": b64(hashlib.sha256(DATA).digest()),
}


def error_of(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize("algorithm", sorted(EXPECTED))
def test_a_sent_checksum_is_verified_stored_and_returned(live_s3: LiveS3, algorithm: str):
    client, bucket, field = live_s3.client, live_s3.bucket, f"Checksum{algorithm}"

    put = client.put_object(Bucket=bucket, Key="k", Body=DATA, **{field: EXPECTED[algorithm]})
    got = client.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    head = client.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    plain = client.head_object(Bucket=bucket, Key="k")

    assert put[field] == EXPECTED[algorithm]
    assert got[field] == head[field] == EXPECTED[algorithm] and got["Body"].read() == DATA
    assert head.get("ChecksumType") == live_s3.documented("FULL_OBJECT", seaweedfs=None)
    assert field not in plain  # only with x-amz-checksum-mode: ENABLED


@pytest.mark.parametrize("algorithm", sorted(EXPECTED))
def test_a_wrong_checksum_is_bad_digest_and_nothing_is_stored(live_s3: LiveS3, algorithm: str):
    client, bucket = live_s3.client, live_s3.bucket
    wrong = {f"Checksum{algorithm}": EXPECTED[algorithm]}

    refused = error_of(lambda: client.put_object(Bucket=bucket, Key="k", Body=b"other", **wrong))

    assert refused == ("BadDigest", 400)
    assert error_of(lambda: client.head_object(Bucket=bucket, Key="k"))[1] == 404


def test_without_a_checksum_s3_keeps_a_crc64nvme(live_s3: LiveS3):
    quiet = live_s3.make_client(request_checksum_calculation="when_required")
    quiet.put_object(Bucket=live_s3.bucket, Key="k", Body=DATA)

    head = quiet.head_object(Bucket=live_s3.bucket, Key="k", ChecksumMode="ENABLED")

    expected = live_s3.documented(EXPECTED["CRC64NVME"], seaweedfs=None)
    assert head.get("ChecksumCRC64NVME") == expected


class _Stop(Exception):  # a control-flow signal, not an error
    pass


def test_an_aws_chunked_trailer_checksum_is_verified_and_stored(live_s3: LiveS3):
    """What boto3 sends over TLS: the body aws-chunked with a trailing x-amz-checksum-*."""
    data = bytes(range(256)) * 5000
    client = boto3.client(
        "s3",
        endpoint_url=live_s3.endpoint_url.replace("http://", "https://"),
        aws_access_key_id=live_s3.access_key,
        aws_secret_access_key=live_s3.secret_key,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    captured: dict[str, Any] = {}

    def stop(request: Any, **_: Any) -> None:
        captured["request"] = request
        raise _Stop

    client.meta.events.register("before-send.s3", stop)
    with pytest.raises(_Stop):
        client.put_object(
            Bucket=live_s3.bucket, Key="t", Body=io.BytesIO(data), ChecksumAlgorithm="SHA256"
        )
    request = captured["request"]
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    headers.pop("Transfer-Encoding", None)
    trailer = next(v for k, v in headers.items() if k.lower() == "x-amz-trailer")
    wire = request.body.read()
    url = request.url.replace("https://", "http://", 1)

    bad = httpx.put(url, headers=headers, content=wire.replace(b"\x00\x01\x02", b"\x00\x01\x03", 1))
    good = httpx.put(url, headers=headers, content=wire)
    got = live_s3.client.head_object(Bucket=live_s3.bucket, Key="t", ChecksumMode="ENABLED")

    assert trailer == "x-amz-checksum-sha256"
    assert bad.status_code == 400
    assert live_s3.documented("BadDigest", seaweedfs="InvalidDigest") in bad.text
    assert good.status_code == 200, good.text
    assert got["ChecksumSHA256"] == b64(hashlib.sha256(data).digest())


def upload_parts(client, bucket: str, key: str, upload_id: str, chunks: list[bytes], **extra):
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        response = client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk, **extra
        )
        part = {"PartNumber": number, "ETag": response["ETag"]}
        part.update({k: v for k, v in response.items() if k.startswith("Checksum")})
        parts.append(part)
    return parts


def test_multipart_composite_checksum(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    chunks = [b"a" * 5 * MIB, b"tail"]
    upload_id = client.create_multipart_upload(Bucket=bucket, Key="m", ChecksumAlgorithm="CRC32")[
        "UploadId"
    ]
    parts = upload_parts(client, bucket, "m", upload_id, chunks, ChecksumAlgorithm="CRC32")
    listed = client.list_parts(Bucket=bucket, Key="m", UploadId=upload_id)["Parts"]

    done = client.complete_multipart_upload(
        Bucket=bucket, Key="m", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    head = client.head_object(Bucket=bucket, Key="m", ChecksumMode="ENABLED")

    raw = b"".join(zlib.crc32(chunk).to_bytes(4, "big") for chunk in chunks)
    expected = f"{b64int(zlib.crc32(raw), 4)}-2"
    part_sums = [b64int(zlib.crc32(c), 4) for c in chunks]
    listed_sums = [p.get("ChecksumCRC32") for p in listed]
    assert listed_sums == live_s3.documented(part_sums, seaweedfs=[None, None])
    assert done["ChecksumCRC32"] == head["ChecksumCRC32"] == expected
    assert done["ChecksumType"] == "COMPOSITE"


def test_multipart_full_object_checksum_is_verified(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    chunks = [b"b" * 5 * MIB, b"c" * 1000]
    whole = b64int(zlib.crc32(b"".join(chunks)), 4)
    upload_id = client.create_multipart_upload(
        Bucket=bucket, Key="f", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT"
    )["UploadId"]
    parts = upload_parts(client, bucket, "f", upload_id, chunks, ChecksumAlgorithm="CRC32")

    def complete(value: str):
        return client.complete_multipart_upload(
            Bucket=bucket,
            Key="f",
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            ChecksumCRC32=value,
            ChecksumType="FULL_OBJECT",
        )

    wrong = error_of(lambda: complete(b64int(1, 4)))
    done = complete(whole)
    head = client.head_object(Bucket=bucket, Key="f", ChecksumMode="ENABLED")

    assert wrong == ("BadDigest", 400)
    assert done["ChecksumCRC32"] == head["ChecksumCRC32"] == whole
    assert head.get("ChecksumType") == "FULL_OBJECT"


def test_multipart_part_checksum_must_match_the_one_stored(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    upload_id = client.create_multipart_upload(Bucket=bucket, Key="p", ChecksumAlgorithm="CRC32")[
        "UploadId"
    ]
    parts = upload_parts(client, bucket, "p", upload_id, [b"x"], ChecksumAlgorithm="CRC32")
    parts[0]["ChecksumCRC32"] = b64int(7, 4)

    refused = error_of(
        lambda: client.complete_multipart_upload(
            Bucket=bucket, Key="p", UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    )

    assert refused == live_s3.documented(("InvalidPart", 400), seaweedfs=("BadDigest", 400))


def test_invalid_checksum_type_combinations_are_refused(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket

    full_sha = error_of(
        lambda: client.create_multipart_upload(
            Bucket=bucket, Key="x", ChecksumAlgorithm="SHA256", ChecksumType="FULL_OBJECT"
        )
    )

    assert full_sha == ("InvalidRequest", 400)


def test_crc_models_are_the_ones_s3_uses():
    """anycrc's model names pinned to the catalogue's check values (a library behaviour pin)."""
    assert anycrc.Model("CRC32-ISCSI").calc(DATA) == 0xE3069283
    assert anycrc.Model("CRC64-NVME").calc(DATA) == 0xAE8B14860A799888
    assert anycrc.Model("CRC64-NVME").calc(b"6789", anycrc.Model("CRC64-NVME").calc(b"12345")) == (
        0xAE8B14860A799888
    )


def test_a_part_read_of_an_empty_object_names_its_checksum_once(s3_client, s3_bucket: str):
    """s3mock's own header assembly (s3mock only: the s3_client fixture)."""
    client, bucket = s3_client, s3_bucket
    empty = b64int(0, 4)
    client.put_object(Bucket=bucket, Key="e", Body=b"", ChecksumCRC32=empty)

    head = client.head_object(Bucket=bucket, Key="e", PartNumber=1, ChecksumMode="ENABLED")

    assert head["ChecksumCRC32"] == empty
