"""The SeaweedFS and moto launchers used by integration tests and the benchmark."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from chatui.testing.seaweedfs import running_moto, running_seaweedfs, s3_client


def error_code(call) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


@pytest.mark.seaweedfs
def test_seaweedfs_enforces_credentials_and_aws_bucket_rules(tmp_path: Path) -> None:
    with running_seaweedfs(tmp_path) as server:
        client = server.client()
        client.create_bucket(Bucket="chatui-test")
        client.put_object(Bucket="chatui-test", Key="a b/ü.txt", Body=b"data")
        assert client.get_object(Bucket="chatui-test", Key="a b/ü.txt")["Body"].read() == b"data"
        wrong = s3_client(server.endpoint_url, server.access_key, "wrong-secret")
        assert error_code(wrong.list_buckets) == "SignatureDoesNotMatch"
        put_missing = lambda: client.put_object(Bucket="missing", Key="k", Body=b"")  # noqa: E731
        assert error_code(put_missing) == "NoSuchBucket"
        delete = lambda: client.delete_bucket(Bucket="chatui-test")  # noqa: E731
        assert error_code(delete) == "BucketNotEmpty"
    assert server.process.poll() is not None


def test_moto_server_starts_and_stops(tmp_path: Path) -> None:
    with running_moto(tmp_path) as server:
        client = server.client()
        client.create_bucket(Bucket="bench")
        assert [b["Name"] for b in client.list_buckets()["Buckets"]] == ["bench"]
    assert server.process.poll() is not None
