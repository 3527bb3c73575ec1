"""Fixtures for tests that need a live S3 endpoint (re-exported for other apps).

``s3mock_server`` is one runs3mock subprocess per test session on a temporary
data dir; ``s3_client`` is a boto3 client configured the way the product's
django-storages backend is (SigV4, path-style, us-east-1); ``s3_bucket`` is a
fresh, empty bucket for each test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

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
