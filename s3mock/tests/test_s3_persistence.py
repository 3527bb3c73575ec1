"""Durability: restarts keep everything; a SIGKILL mid-upload never leaves a torn object.

Each test runs its own runs3mock on its own data dir, since it stops the server.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from s3mock.diskfmt import TMP_PREFIX
from s3mock.testing import PeakRss, S3MockProcess
from s3mock.tests.conftest import make_s3_client

MIB = 1024 * 1024


@pytest.fixture
def server(tmp_path: Path) -> Iterator[S3MockProcess]:
    with S3MockProcess(tmp_path / "data") as running:
        yield running


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(f"{TMP_PREFIX}*") if p.is_file()]


def snapshot(client, bucket: str) -> dict[str, tuple]:
    state = {}
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        got = client.get_object(Bucket=bucket, Key=item["Key"])
        tags = client.get_object_tagging(Bucket=bucket, Key=item["Key"])["TagSet"]
        state[item["Key"]] = (
            got["Body"].read(),
            got["ETag"],
            got["LastModified"],
            got["ContentType"],
            got["Metadata"],
            tags,
        )
    return state


def test_a_restart_keeps_every_object_tag_and_upload(server: S3MockProcess):
    # given objects of every kind, retagged objects and an unfinished multipart upload
    client = make_s3_client(server)
    client.create_bucket(Bucket="keep")
    for index, key in enumerate(["plain", "dir/ünï code", "a+b%c", "k" * 1024]):
        client.put_object(
            Bucket="keep", Key=key, Body=os.urandom(1000 + index), Metadata={"i": str(index)}
        )
    client.put_object_tagging(
        Bucket="keep", Key="plain", Tagging={"TagSet": [{"Key": "t", "Value": "v"}]}
    )
    upload_id = client.create_multipart_upload(Bucket="keep", Key="later")["UploadId"]
    part = client.upload_part(
        Bucket="keep", Key="later", UploadId=upload_id, PartNumber=1, Body=b"part"
    )
    before = snapshot(client, "keep")

    # when
    server.restart()

    # then
    assert server.exit_code == 0  # SIGTERM is a clean shutdown
    client = make_s3_client(server)
    assert snapshot(client, "keep") == before
    assert "keep" in [b["Name"] for b in client.list_buckets()["Buckets"]]
    uploads = client.list_multipart_uploads(Bucket="keep")["Uploads"]
    assert [u["UploadId"] for u in uploads] == [upload_id]
    client.complete_multipart_upload(
        Bucket="keep",
        Key="later",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert client.get_object(Bucket="keep", Key="later")["Body"].read() == b"part"


def start_streaming_put(client, bucket: str, key: str, total: int) -> http.client.HTTPConnection:
    """Begin a presigned PUT of ``total`` bytes and send only part of it."""
    url = urlsplit(
        client.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300
        )
    )
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.putrequest("PUT", f"{url.path}?{url.query}", skip_accept_encoding=True)
    connection.putheader("Content-Length", str(total))
    connection.endheaders()
    chunk = b"N" * MIB
    for _ in range(total // 4 // MIB):  # a quarter of the body, then stall
        connection.send(chunk)
    return connection


def wait_for_temp_files(root: Path, count: int, min_size: int) -> list[Path]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [p for p in temp_files(root) if p.stat().st_size >= min_size]
        if len(found) >= count:
            return found
        time.sleep(0.02)
    raise AssertionError("the server never streamed the upload into a temporary file")


def test_sigkill_during_large_puts_leaves_no_torn_object(server: S3MockProcess):
    # given an existing object, and two 64 MiB uploads a quarter sent: one replacing
    # it and one creating a new key
    client = make_s3_client(server)
    client.create_bucket(Bucket="crash")
    old = os.urandom(100_000)
    old_etag = client.put_object(Bucket="crash", Key="victim", Body=old)["ETag"]
    connections = [
        start_streaming_put(client, "crash", key, 64 * MIB) for key in ("victim", "fresh")
    ]
    # the bodies are streaming to disk (not buffered in memory) before the crash
    wait_for_temp_files(server.data_dir, count=2, min_size=8 * MIB)

    # when the server is killed mid-stream and started again
    server.kill()
    for connection in connections:
        connection.close()
    leftovers = temp_files(server.data_dir)
    server.start()

    # then the old version is intact, the new key absent, and the debris cleaned
    client = make_s3_client(server)
    got = client.get_object(Bucket="crash", Key="victim")
    assert got["Body"].read() == old and got["ETag"] == old_etag
    with pytest.raises(ClientError) as caught:
        client.head_object(Bucket="crash", Key="fresh")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert len(leftovers) == 2 and temp_files(server.data_dir) == []


def test_large_objects_stream_both_ways_without_buffering(server: S3MockProcess):
    # given a 64 MiB body, and the server's memory watched
    client = make_s3_client(server)
    client.create_bucket(Bucket="large")
    data = os.urandom(64 * MIB)
    digest = hashlib.md5(usedforsecurity=False)

    # when it is uploaded in one PUT and read back in 1 MiB pieces
    with PeakRss(server.process.pid, interval=0.005) as rss:
        client.put_object(Bucket="large", Key="blob", Body=data)
        body = client.get_object(Bucket="large", Key="blob")["Body"]
        for piece in iter(lambda: body.read(MIB), b""):
            digest.update(piece)

    # then the bytes and the ETag agree, and the server never held the whole object
    head = client.head_object(Bucket="large", Key="blob")
    expected = hashlib.md5(data, usedforsecurity=False).hexdigest()
    assert digest.hexdigest() == expected and head["ETag"] == f'"{expected}"'
    assert rss.peak - rss.start < 32 * MIB
