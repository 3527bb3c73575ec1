"""django-storages' S3Storage against a live s3mock: the product's real S3 code path.

Presigned URLs are fetched with a plain HTTP client, as a browser would, with
both SigV4 (what the product configures) and the SigV2 query auth that boto3
still produces when no signature version is set.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from django.core.files.base import ContentFile
from storages.backends.s3 import S3Storage

from s3mock.testing import S3MockProcess

SIGNATURES = ["s3v4", None]  # None: boto3's default, SigV2 presigned URLs


def make_storage(
    server: S3MockProcess, bucket: str, signature_version: str | None = "s3v4", **options: Any
) -> S3Storage:
    return S3Storage(
        bucket_name=bucket,
        access_key=server.access_key,
        secret_key=server.secret_key,
        endpoint_url=server.endpoint_url,
        region_name=server.region,
        addressing_style="path",
        signature_version=signature_version,
        **options,
    )


@pytest.fixture(params=SIGNATURES, ids=["sigv4", "default-sigv2"])
def storage(request: pytest.FixtureRequest, s3mock_server: S3MockProcess, s3_bucket: str):
    return make_storage(s3mock_server, s3_bucket, request.param)


def test_save_open_exists_size_listdir_delete(storage: S3Storage) -> None:
    # when
    name = storage.save("docs/hello wörld+1.txt", ContentFile(b"hello", name="x"))
    storage.save("docs/sub/inner.txt", ContentFile(b"inner"))
    # then
    assert name == "docs/hello wörld+1.txt"
    assert storage.exists(name)
    assert storage.size(name) == 5
    with storage.open(name, "rb") as handle:
        assert handle.read() == b"hello"
    assert storage.listdir("docs") == (["sub"], ["hello wörld+1.txt"])
    storage.delete(name)
    assert not storage.exists(name)


def test_large_save_goes_multipart(storage: S3Storage, s3_client: Any) -> None:
    data = bytes(range(256)) * (36 * 1024 + 7)  # ~9 MiB: above the 8 MiB threshold
    name = storage.save("big.bin", ContentFile(data))
    head = s3_client.head_object(Bucket=storage.bucket_name, Key=name)
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-2"')  # a multipart ETag
    with storage.open(name, "rb") as handle:
        assert handle.read() == data


def test_url_is_fetchable_with_a_plain_client(storage: S3Storage) -> None:
    name = storage.save("a dir/ünï code+%.txt", ContentFile(b"payload"))
    response = httpx.get(storage.url(name))
    assert response.status_code == 200, response.text
    assert response.content == b"payload"


def test_url_response_overrides(storage: S3Storage) -> None:
    name = storage.save("report.csv", ContentFile(b"a,b"))
    disposition = 'attachment; filename="report.csv"'
    url = storage.url(name, parameters={"ResponseContentDisposition": disposition})
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == disposition


@pytest.mark.parametrize("signature_version", SIGNATURES, ids=["sigv4", "default-sigv2"])
def test_url_expires(
    s3mock_server: S3MockProcess, s3_bucket: str, signature_version: str | None
) -> None:
    storage = make_storage(s3mock_server, s3_bucket, signature_version, querystring_expire=1)
    name = storage.save("soon.txt", ContentFile(b"x"))
    url = storage.url(name)
    time.sleep(2.1)
    response = httpx.get(url)
    assert response.status_code == 403
    assert "<Code>AccessDenied</Code>" in response.text
    assert "Request has expired" in response.text


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=path))


def _with_query(edit: Callable[[str], str]) -> Callable[[str], str]:
    return lambda url: urlunsplit(urlsplit(url)._replace(query=edit(urlsplit(url).query)))


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: _with_path(url, urlsplit(url).path.replace("mine", "theirs")),
        _with_query(lambda q: q + "&response-content-type=text%2Fhtml"),
        _with_query(lambda q: re.sub(r"Expires=(\d+)", lambda m: f"Expires={int(m[1]) + 60}", q)),
        _with_query(lambda q: "&".join(p for p in q.split("&") if "Signature" not in p)),
    ],
    ids=["path", "added-override", "expires", "no-signature"],
)
def test_tampered_url_is_rejected(storage: S3Storage, tamper: Callable[[str], str]) -> None:
    storage.save("mine.txt", ContentFile(b"mine"))
    storage.save("theirs.txt", ContentFile(b"theirs"))
    response = httpx.get(tamper(storage.url("mine.txt")))
    # 400 for a SigV4 URL missing a parameter (AuthorizationQueryParametersError), as in S3
    assert response.status_code in (400, 403)
    assert response.content not in (b"mine", b"theirs")


def test_storage_streams_reads_in_pieces(storage: S3Storage) -> None:
    name = storage.save("stream.bin", ContentFile(b"0123456789" * 1000))
    with storage.open(name, "rb") as handle:
        assert handle.read(10) == b"0123456789"
        handle.seek(9990)
        assert handle.read() == b"0123456789"


def test_file_like_upload_is_kept_intact(storage: S3Storage) -> None:
    source = io.BytesIO(b"streamed body")
    name = storage.save("from-file.txt", source)
    with storage.open(name) as handle:
        assert handle.read() == b"streamed body"
