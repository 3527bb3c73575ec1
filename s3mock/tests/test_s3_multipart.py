"""Multipart uploads through boto3 (and its TransferManager) against a live runs3mock."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

MIB = 1024 * 1024
PART = 5 * MIB


def md5(data: bytes):
    return hashlib.md5(data, usedforsecurity=False)


def error_code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return caught.value.response["Error"]["Code"]


def start(client, bucket: str, key: str = "big", **extra) -> str:
    return client.create_multipart_upload(Bucket=bucket, Key=key, **extra)["UploadId"]


def upload(client, bucket: str, upload_id: str, number: int, data: bytes, key: str = "big"):
    response = client.upload_part(
        Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
    )
    return {"PartNumber": number, "ETag": response["ETag"]}


def complete(client, bucket: str, upload_id: str, parts: list[dict], key: str = "big"):
    return client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )


def test_complete_concatenates_parts_with_the_md5_of_md5s_etag(s3_client, s3_bucket):
    # given two parts, the first at the 5 MiB minimum, and attributes set at creation
    first, second = os.urandom(PART), b"tail bytes"
    upload_id = start(
        s3_client,
        s3_bucket,
        ContentType="video/mp4",
        Metadata={"source": "camera"},
        Tagging="kind=video",
    )
    parts = [upload(s3_client, s3_bucket, upload_id, 1, first)]
    parts.append(upload(s3_client, s3_bucket, upload_id, 2, second))

    # when
    result = complete(s3_client, s3_bucket, upload_id, parts)

    # then
    expected = md5(md5(first).digest() + md5(second).digest()).hexdigest() + "-2"
    got = s3_client.get_object(Bucket=s3_bucket, Key="big")
    assert parts[0]["ETag"] == f'"{md5(first).hexdigest()}"'
    assert result["ETag"] == got["ETag"] == f'"{expected}"'
    assert got["Body"].read() == first + second
    assert (got["ContentType"], got["Metadata"]) == ("video/mp4", {"source": "camera"})
    assert s3_client.get_object_tagging(Bucket=s3_bucket, Key="big")["TagSet"] == [
        {"Key": "kind", "Value": "video"}
    ]
    assert s3_client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_small_non_final_part_is_entity_too_small(s3_client, s3_bucket):
    upload_id = start(s3_client, s3_bucket)
    parts = [upload(s3_client, s3_bucket, upload_id, n, b"tiny") for n in (1, 2)]

    with pytest.raises(ClientError) as caught:
        complete(s3_client, s3_bucket, upload_id, parts)

    assert error_code(caught) == "EntityTooSmall"


def test_a_single_small_part_is_fine(s3_client, s3_bucket):
    upload_id = start(s3_client, s3_bucket)
    parts = [upload(s3_client, s3_bucket, upload_id, 1, b"only part")]

    complete(s3_client, s3_bucket, upload_id, parts)

    assert s3_client.get_object(Bucket=s3_bucket, Key="big")["Body"].read() == b"only part"


def test_parts_out_of_order_are_invalid_part_order(s3_client, s3_bucket):
    upload_id = start(s3_client, s3_bucket)
    parts = [upload(s3_client, s3_bucket, upload_id, n, b"x") for n in (1, 2)]

    with pytest.raises(ClientError) as caught:
        complete(s3_client, s3_bucket, upload_id, list(reversed(parts)))

    assert error_code(caught) == "InvalidPartOrder"


def test_wrong_etag_or_missing_part_is_invalid_part(s3_client, s3_bucket):
    upload_id = start(s3_client, s3_bucket)
    part = upload(s3_client, s3_bucket, upload_id, 1, b"x")

    with pytest.raises(ClientError) as wrong:
        complete(s3_client, s3_bucket, upload_id, [{**part, "ETag": '"0123"'}])
    with pytest.raises(ClientError) as missing:
        complete(s3_client, s3_bucket, upload_id, [part, {"PartNumber": 7, "ETag": '"ab"'}])

    assert error_code(wrong) == error_code(missing) == "InvalidPart"


@pytest.mark.parametrize("number", [0, 10001])
def test_part_number_must_be_1_to_10000(s3_client, s3_bucket, number):
    upload_id = start(s3_client, s3_bucket)

    with pytest.raises(ClientError) as caught:
        upload(s3_client, s3_bucket, upload_id, number, b"x")

    assert error_code(caught) == "InvalidArgument"


def test_abort_and_unknown_upload_ids(s3_client, s3_bucket):
    upload_id = start(s3_client, s3_bucket)
    upload(s3_client, s3_bucket, upload_id, 1, b"x")

    aborted = s3_client.abort_multipart_upload(Bucket=s3_bucket, Key="big", UploadId=upload_id)

    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    for call in (
        lambda: s3_client.abort_multipart_upload(Bucket=s3_bucket, Key="big", UploadId=upload_id),
        lambda: upload(s3_client, s3_bucket, upload_id, 1, b"x"),
        lambda: s3_client.list_parts(Bucket=s3_bucket, Key="big", UploadId="not-an-id"),
        lambda: complete(s3_client, s3_bucket, upload_id, [{"PartNumber": 1, "ETag": '"x"'}]),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert error_code(caught) == "NoSuchUpload"


def test_list_parts_pages(s3_client, s3_bucket):
    upload_id = start(s3_client, s3_bucket)
    for number in (3, 1, 2):
        upload(s3_client, s3_bucket, upload_id, number, b"p" * number)
    upload(s3_client, s3_bucket, upload_id, 2, b"replaced")  # re-uploading replaces a part

    first = s3_client.list_parts(Bucket=s3_bucket, Key="big", UploadId=upload_id, MaxParts=2)
    rest = s3_client.list_parts(
        Bucket=s3_bucket,
        Key="big",
        UploadId=upload_id,
        PartNumberMarker=first["NextPartNumberMarker"],
    )

    assert [(p["PartNumber"], p["Size"]) for p in first["Parts"]] == [(1, 1), (2, 8)]
    assert first["IsTruncated"] and first["NextPartNumberMarker"] == 2
    assert first["Parts"][1]["ETag"] == f'"{md5(b"replaced").hexdigest()}"'
    assert [p["PartNumber"] for p in rest["Parts"]] == [3] and not rest["IsTruncated"]
    assert first["Initiator"]["ID"] == "s3mock-test"


def test_list_multipart_uploads(s3_client, s3_bucket):
    ids = {key: start(s3_client, s3_bucket, key) for key in ["b/1", "a/1", "a/2"]}

    everything = s3_client.list_multipart_uploads(Bucket=s3_bucket)
    under_a = s3_client.list_multipart_uploads(Bucket=s3_bucket, Prefix="a/")
    paged = s3_client.list_multipart_uploads(Bucket=s3_bucket, MaxUploads=1)

    assert [(u["Key"], u["UploadId"]) for u in everything["Uploads"]] == sorted(ids.items())
    assert [u["Key"] for u in under_a["Uploads"]] == ["a/1", "a/2"]
    assert paged["IsTruncated"] and paged["NextKeyMarker"] == "a/1"
    after = s3_client.list_multipart_uploads(
        Bucket=s3_bucket,
        KeyMarker=paged["NextKeyMarker"],
        UploadIdMarker=paged["NextUploadIdMarker"],
    )
    assert [u["Key"] for u in after["Uploads"]] == ["a/2", "b/1"]


def test_list_multipart_uploads_pages_through_uploads_of_one_key(s3_client, s3_bucket):
    ids = [start(s3_client, s3_bucket, key) for key in ["k", "k", "k", "l"]]
    seen, params = [], {"Bucket": s3_bucket, "MaxUploads": 1}
    while True:
        page = s3_client.list_multipart_uploads(**params)
        seen += [u["UploadId"] for u in page.get("Uploads", [])]
        if not page["IsTruncated"]:
            break
        params["KeyMarker"] = page["NextKeyMarker"]
        params["UploadIdMarker"] = page["NextUploadIdMarker"]
    assert len(seen) == 4 and sorted(seen) == sorted(ids)  # none skipped, none repeated


def test_upload_part_copy_with_a_range(s3_client, s3_bucket):
    source = os.urandom(PART + 100)
    s3_client.put_object(Bucket=s3_bucket, Key="source", Body=source)
    upload_id = start(s3_client, s3_bucket)

    copied = s3_client.upload_part_copy(
        Bucket=s3_bucket,
        Key="big",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": s3_bucket, "Key": "source"},
        CopySourceRange=f"bytes=0-{PART - 1}",
    )
    tail = upload(s3_client, s3_bucket, upload_id, 2, b"end")
    first = {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]}
    complete(s3_client, s3_bucket, upload_id, [first, tail])

    got = s3_client.get_object(Bucket=s3_bucket, Key="big")["Body"].read()
    assert got == source[:PART] + b"end"


def test_transfer_manager_round_trips_20_mib(s3_client, s3_bucket, tmp_path: Path):
    # given a 20 MiB file and a transfer config that forces multipart both ways
    original = tmp_path / "original.bin"
    original.write_bytes(os.urandom(20 * MIB))
    config = TransferConfig(
        multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB, max_concurrency=4
    )

    # when
    s3_client.upload_file(str(original), s3_bucket, "transfer.bin", Config=config)
    s3_client.download_file(s3_bucket, "transfer.bin", str(tmp_path / "copy.bin"), Config=config)

    # then
    head = s3_client.head_object(Bucket=s3_bucket, Key="transfer.bin")
    assert head["ETag"].endswith('-3"') and head["ContentLength"] == 20 * MIB
    assert (tmp_path / "copy.bin").read_bytes() == original.read_bytes()
