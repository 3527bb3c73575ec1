"""Protocol details where s3mock follows the S3 API reference, through boto3 over HTTP.

Each test runs on s3mock and, where it applies, on SeaweedFS (``seaweedfs`` marker);
where SeaweedFS departs from the S3 documentation the test records its answer and the
README lists the difference.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from botocore.exceptions import ClientError

from s3mock.testing import S3MockProcess
from s3mock.tests.conftest import LiveS3, make_s3_client

MIB = 1024 * 1024


def error_of(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def documented(live: LiveS3, expected, *, seaweedfs):
    """What S3's documentation says, or SeaweedFS's recorded difference (README)."""
    return seaweedfs if live.name == "seaweedfs" else expected


def unsigned(live: LiveS3, method: str, path: str) -> tuple[int, bytes]:
    parts = urlsplit(live.endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request(method, path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_anonymous_request_to_a_missing_bucket_is_no_such_bucket(live_s3: LiveS3):
    missing = unsigned(live_s3, "GET", "/no-such-bucket-4f1c9/key")
    private = unsigned(live_s3, "GET", f"/{live_s3.bucket}/key")

    assert missing[0] == documented(live_s3, 404, seaweedfs=403)
    assert (
        documented(live_s3, b"<Code>NoSuchBucket</Code>", seaweedfs=b"AccessDenied") in missing[1]
    )
    assert private[0] == 403 and b"<Code>AccessDenied</Code>" in private[1]


def test_anonymous_list_buckets_is_access_denied(live_s3: LiveS3):
    status, body = unsigned(live_s3, "GET", "/")

    assert status == 403 and b"AccessDenied" in body


def test_list_objects_v1_echoes_the_prefix_as_sent(live_s3: LiveS3):
    live_s3.client.put_object(Bucket=live_s3.bucket, Key="a b/é+1", Body=b"x")

    # boto3 asks for encoding-type=url on its own and decodes keys, not v1's Prefix
    page = live_s3.client.list_objects(Bucket=live_s3.bucket, Prefix="a b/é")

    assert page["Prefix"] == "a b/é"
    assert [item["Key"] for item in page["Contents"]] == ["a b/é+1"]


def test_recreating_your_own_bucket_in_us_east_1_is_200(live_s3: LiveS3):
    if live_s3.name == "seaweedfs":
        again = error_of(lambda: live_s3.client.create_bucket(Bucket=live_s3.bucket))
        assert again == ("BucketAlreadyOwnedByYou", 409)  # a difference (README)
        return
    again = live_s3.client.create_bucket(Bucket=live_s3.bucket)

    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.fixture
def eu_server(tmp_path: Path) -> Iterator[S3MockProcess]:
    with S3MockProcess(tmp_path, region="eu-west-1") as server:
        yield server


def test_recreating_your_own_bucket_elsewhere_is_already_owned_by_you(eu_server):
    client = make_s3_client(eu_server)
    config = {"LocationConstraint": "eu-west-1"}
    client.create_bucket(Bucket="mine-eu", CreateBucketConfiguration=config)

    again = error_of(
        lambda: client.create_bucket(Bucket="mine-eu", CreateBucketConfiguration=config)
    )
    other = error_of(
        lambda: make_s3_client(eu_server, account=1).create_bucket(
            Bucket="mine-eu", CreateBucketConfiguration=config
        )
    )

    assert again == ("BucketAlreadyOwnedByYou", 409)
    assert other == ("BucketAlreadyExists", 409)


def test_expired_and_out_of_range_presigned_urls_are_403(live_s3: LiveS3):
    live_s3.client.put_object(Bucket=live_s3.bucket, Key="k", Body=b"v")
    params = {"Bucket": live_s3.bucket, "Key": "k"}
    expired = live_s3.client.generate_presigned_url("get_object", Params=params, ExpiresIn=1)
    too_long = live_s3.client.generate_presigned_url("get_object", Params=params, ExpiresIn=604801)
    fine = live_s3.client.generate_presigned_url("get_object", Params=params, ExpiresIn=60)
    time.sleep(2.1)

    assert httpx.get(fine).content == b"v"
    assert httpx.get(expired).status_code == 403
    assert b"AccessDenied" in httpx.get(expired).content
    assert httpx.get(too_long).status_code == documented(live_s3, 403, seaweedfs=400)


def test_if_match_on_put_object(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    etag = client.put_object(Bucket=bucket, Key="k", Body=b"one")["ETag"]

    wrong = error_of(lambda: client.put_object(Bucket=bucket, Key="k", Body=b"x", IfMatch='"0"'))
    right = client.put_object(Bucket=bucket, Key="k", Body=b"two", IfMatch=etag)
    missing = error_of(
        lambda: client.put_object(Bucket=bucket, Key="nope", Body=b"x", IfMatch=etag)
    )
    created = error_of(
        lambda: client.put_object(Bucket=bucket, Key="k", Body=b"x", IfNoneMatch="*")
    )

    assert wrong == ("PreconditionFailed", 412)
    assert right["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    assert missing == documented(live_s3, ("NoSuchKey", 404), seaweedfs=("PreconditionFailed", 412))
    assert created == ("PreconditionFailed", 412)


def test_content_encoding_is_returned_as_sent(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    client.put_object(Bucket=bucket, Key="k", Body=b"v", ContentEncoding="gzip, br")

    head = client.head_object(Bucket=bucket, Key="k")

    assert head["ContentEncoding"] == "gzip, br"


def test_a_repeated_complete_with_the_same_parts_succeeds(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    upload_id = client.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    parts = []
    for number, fill in ((1, b"a"), (2, b"b")):
        response = client.upload_part(
            Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=number, Body=fill * 5 * MIB
        )
        parts.append({"PartNumber": number, "ETag": response["ETag"]})

    def complete(chosen):
        return client.complete_multipart_upload(
            Bucket=bucket, Key="big", UploadId=upload_id, MultipartUpload={"Parts": chosen}
        )

    first = complete(parts)
    second = complete(parts)

    assert second["ETag"] == first["ETag"]
    assert client.head_object(Bucket=bucket, Key="big")["ContentLength"] == 10 * MIB
    if live_s3.name == "s3mock":  # SeaweedFS completes again with any list (README)
        assert error_of(lambda: complete(parts[:1])) == ("NoSuchUpload", 404)
