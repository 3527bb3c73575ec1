"""Authentication errors end to end: boto3 over HTTP against a live s3mock."""

from __future__ import annotations

import io
import os
from typing import Any

import boto3
import httpx
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from s3mock.testing import S3MockProcess
from s3mock.tests.signed_streams import signed_stream


def client_for(server: S3MockProcess, access_key: str, secret_key: str, **config: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=config.pop("region_name", server.region),
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path", **config.pop("s3", {})},
            retries={"max_attempts": 1},
            **config,
        ),
    )


def error_of(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_unknown_access_key(s3mock_server: S3MockProcess) -> None:
    client = client_for(s3mock_server, "NOSUCHKEY", "whatever")
    assert error_of(client.list_buckets) == ("InvalidAccessKeyId", 403)


def test_wrong_secret(s3mock_server: S3MockProcess, s3_bucket: str) -> None:
    client = client_for(s3mock_server, s3mock_server.access_key, "wrong-secret")
    assert error_of(client.list_buckets) == ("SignatureDoesNotMatch", 403)
    put = lambda: client.put_object(Bucket=s3_bucket, Key="k", Body=b"x")  # noqa: E731
    assert error_of(put) == ("SignatureDoesNotMatch", 403)


def test_wrong_region_is_refused(s3mock_server: S3MockProcess) -> None:
    client = client_for(
        s3mock_server, s3mock_server.access_key, s3mock_server.secret_key, region_name="eu-west-3"
    )
    assert error_of(client.list_buckets) == ("AuthorizationHeaderMalformed", 400)


def test_another_accounts_bucket_is_access_denied(
    s3_client: Any, s3_client_other: Any, s3_bucket: str
) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key="private.txt", Body=b"mine")
    for call in (
        lambda: s3_client_other.get_object(Bucket=s3_bucket, Key="private.txt"),
        lambda: s3_client_other.put_object(Bucket=s3_bucket, Key="x", Body=b"x"),
        lambda: s3_client_other.list_objects_v2(Bucket=s3_bucket),
        lambda: s3_client_other.delete_object(Bucket=s3_bucket, Key="private.txt"),
    ):
        assert error_of(call)[0] == "AccessDenied"
    assert s3_client.get_object(Bucket=s3_bucket, Key="private.txt")["Body"].read() == b"mine"


def test_list_buckets_shows_only_your_own(
    s3_client: Any, s3_client_other: Any, s3_bucket: str
) -> None:
    other_bucket = f"{s3_bucket}-other"
    s3_client_other.create_bucket(Bucket=other_bucket)
    mine = {b["Name"] for b in s3_client.list_buckets()["Buckets"]}
    theirs = {b["Name"] for b in s3_client_other.list_buckets()["Buckets"]}
    assert s3_bucket in mine and other_bucket not in mine
    assert other_bucket in theirs and s3_bucket not in theirs


KEYS = ["plain", "a b", "a+b", "100%", "x~y", "ü/日本/é é", "q?x=1&y#z", "dir//double"]


@pytest.mark.parametrize("key", KEYS)
def test_tricky_keys_round_trip(s3_client: Any, s3_bucket: str, key: str) -> None:
    s3_client.put_object(Bucket=s3_bucket, Key=key, Body=key.encode())
    assert s3_client.get_object(Bucket=s3_bucket, Key=key)["Body"].read() == key.encode()
    listed = s3_client.list_objects_v2(Bucket=s3_bucket, Prefix=key[:3])["Contents"]
    assert [item["Key"] for item in listed] == [key]


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"s3": {"payload_signing_enabled": False}},
        {"request_checksum_calculation": "when_required"},
    ],
    ids=["default", "unsigned-payload", "no-flexible-checksum"],
)
def test_default_upload_paths_work(
    s3mock_server: S3MockProcess, s3_bucket: str, config: dict[str, Any]
) -> None:
    client = client_for(s3mock_server, s3mock_server.access_key, s3mock_server.secret_key, **config)
    client.put_object(Bucket=s3_bucket, Key="small", Body=b"small body")
    data = b"m" * (9 * 1024 * 1024)
    multipart = TransferConfig(multipart_threshold=8 * 1024 * 1024)
    client.upload_fileobj(io.BytesIO(data), s3_bucket, "big", Config=multipart)
    assert client.get_object(Bucket=s3_bucket, Key="small")["Body"].read() == b"small body"
    assert client.head_object(Bucket=s3_bucket, Key="big")["ContentLength"] == len(data)
    deleted = client.delete_objects(
        Bucket=s3_bucket, Delete={"Objects": [{"Key": "small"}, {"Key": "big"}]}
    )
    assert len(deleted["Deleted"]) == 2


def test_wrong_checksum_is_bad_digest(s3_client: Any, s3_bucket: str) -> None:
    put = lambda: s3_client.put_object(  # noqa: E731
        Bucket=s3_bucket, Key="k", Body=b"body", ChecksumCRC32="AAAAAA=="
    )
    assert error_of(put) == ("BadDigest", 400)
    with pytest.raises(ClientError):
        s3_client.head_object(Bucket=s3_bucket, Key="k")


def test_wrong_content_md5_is_bad_digest(s3_client: Any, s3_bucket: str) -> None:
    put = lambda: s3_client.put_object(  # noqa: E731
        Bucket=s3_bucket, Key="k", Body=b"body", ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg=="
    )
    assert error_of(put) == ("BadDigest", 400)


# --- aws-chunked bodies over the wire ------------------------------------------------------


def _send(method: str, url: str, headers: dict[str, str], wire: bytes) -> httpx.Response:
    # The signature covers the Host header, not the scheme: an https capture replays on http.
    http_url = url.replace("https://", "http://", 1)
    return httpx.request(method, http_url, headers=headers, content=wire, timeout=30)


def _capture_https_put(server: S3MockProcess, bucket: str, key: str, data: bytes):
    """What boto3 sends over TLS by default: STREAMING-UNSIGNED-PAYLOAD-TRAILER."""
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url.replace("http://", "https://"),
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=server.region,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    captured: dict[str, Any] = {}

    def stop(request: Any, **_: Any) -> None:
        captured["request"] = request
        raise _Stop

    client.meta.events.register("before-send.s3", stop)
    with pytest.raises(_Stop):
        client.put_object(Bucket=bucket, Key=key, Body=io.BytesIO(data))
    request = captured["request"]
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
    headers.pop("Transfer-Encoding", None)  # httpx frames the body itself
    return request.method, request.url, headers, request.body.read()


class _Stop(Exception):  # a control-flow signal, not an error
    pass


def test_unsigned_trailer_upload_over_http(
    s3mock_server: S3MockProcess, s3_client: Any, s3_bucket: str
) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # several 1 MiB aws-chunked chunks
    method, url, headers, wire = _capture_https_put(s3mock_server, s3_bucket, "chunked", data)
    assert headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    response = _send(method, url, headers, wire)
    assert response.status_code == 200, response.text
    got = s3_client.get_object(Bucket=s3_bucket, Key="chunked")
    assert got["Body"].read() == data
    assert "ContentEncoding" not in got  # aws-chunked describes the transfer only


def test_unsigned_trailer_with_bad_checksum_is_not_stored(
    s3mock_server: S3MockProcess, s3_client: Any, s3_bucket: str
) -> None:
    method, url, headers, wire = _capture_https_put(s3mock_server, s3_bucket, "bad", b"hello")
    response = _send(method, url, headers, wire.replace(b"hello", b"jello"))
    assert response.status_code == 400
    assert "<Code>BadDigest</Code>" in response.text
    assert error_of(lambda: s3_client.head_object(Bucket=s3_bucket, Key="bad"))[1] == 404


@pytest.mark.parametrize("trailer", [True, False], ids=["signed-trailer", "signed-chunks"])
def test_signed_chunk_upload_over_http(
    s3mock_server: S3MockProcess, s3_client: Any, s3_bucket: str, trailer: bool
) -> None:
    data = os.urandom(200_000)
    url = f"{s3mock_server.endpoint_url}/{s3_bucket}/signed%20chunks"
    sent = signed_stream(
        url,
        data,
        access=s3mock_server.access_key,
        secret=s3mock_server.secret_key,
        region=s3mock_server.region,
        chunk=65536,
        trailer=trailer,
    )
    response = _send(*sent)
    assert response.status_code == 200, response.text
    got = s3_client.get_object(Bucket=s3_bucket, Key="signed chunks")["Body"].read()
    assert got == data


def test_tampered_signed_chunk_is_not_stored(
    s3mock_server: S3MockProcess, s3_client: Any, s3_bucket: str
) -> None:
    url = f"{s3mock_server.endpoint_url}/{s3_bucket}/tampered"
    method, url, headers, wire = signed_stream(
        url,
        b"A" * 100_000,
        access=s3mock_server.access_key,
        secret=s3mock_server.secret_key,
        region=s3mock_server.region,
    )
    response = _send(method, url, headers, wire.replace(b"AAAA", b"AAAB", 1))
    assert response.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in response.text
    assert error_of(lambda: s3_client.head_object(Bucket=s3_bucket, Key="tampered"))[1] == 404
