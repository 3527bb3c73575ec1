"""Fixtures for tests that need a live S3 endpoint (re-exported for other apps).

``s3mock_server`` is one runs3mock subprocess per test session on a temporary
data dir; ``s3_client`` is a boto3 client configured the way the product's
django-storages backend is (SigV4, path-style, us-east-1); ``s3_bucket`` is a
fresh, empty bucket for each test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from s3mock.testing import S3MockProcess


def make_s3_client(server: S3MockProcess, account: int = 0, **config: object):
    access_key, secret_key = server.accounts[account]
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=server.region,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},
            **config,
        ),
    )


@pytest.fixture(scope="session")
def s3mock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3MockProcess]:
    server = S3MockProcess(tmp_path_factory.mktemp("s3mock-data"))
    with server:
        yield server


@pytest.fixture(scope="session")
def s3_client(s3mock_server: S3MockProcess):
    return make_s3_client(s3mock_server)


@pytest.fixture(scope="session")
def s3_client_other(s3mock_server: S3MockProcess):
    """A client for a second account, which owns nothing the first one creates."""
    return make_s3_client(s3mock_server, account=1)


@pytest.fixture
def s3_bucket(s3_client) -> str:
    name = f"test-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    return name


@dataclass
class LiveS3:
    """One live endpoint for a test that runs on s3mock and on SeaweedFS alike."""

    name: str  # "s3mock" | "seaweedfs"
    endpoint_url: str
    access_key: str
    secret_key: str
    client: Any
    bucket: str

    def documented(self, expected: Any, *, seaweedfs: Any) -> Any:
        """What the S3 documentation says, or SeaweedFS's answer where it differs (the
        README lists every such difference)."""
        return seaweedfs if self.name == "seaweedfs" else expected

    def make_client(self, **config: Any) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1, "mode": "standard"},
                **config,
            ),
        )


@pytest.fixture(params=["s3mock", pytest.param("seaweedfs", marks=pytest.mark.seaweedfs)])
def live_s3(request: pytest.FixtureRequest) -> Iterator[LiveS3]:
    """A fresh bucket on s3mock, then on SeaweedFS (``seaweedfs`` marker): both sides of
    a difference from the S3 documentation are on record in the same test."""
    if request.param == "s3mock":
        server = request.getfixturevalue("s3mock_server")
        endpoint, access, secret = server.endpoint_url, server.access_key, server.secret_key
    else:
        backend = request.getfixturevalue("seaweedfs_server")
        endpoint, access, secret = backend.endpoint, backend.access_key, backend.secret_key
    live = LiveS3(request.param, endpoint, access, secret, None, f"live-{uuid.uuid4().hex[:12]}")
    live.client = live.make_client()
    live.client.create_bucket(Bucket=live.bucket)
    yield live
    empty_and_delete_bucket(live.client, live.bucket)


def empty_and_delete_bucket(client: Any, bucket: str) -> None:
    """Remove every version, delete marker and upload, then the bucket (best effort)."""
    try:
        for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                client.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
        for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            client.abort_multipart_upload(
                Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )
        client.delete_bucket(Bucket=bucket)
    except ClientError:
        pass
