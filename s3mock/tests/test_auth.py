"""Authentication and body verification against requests botocore really builds.

boto3 clients here never reach the network: a ``before-send`` hook captures the
prepared request (URL, headers, body exactly as they would go on the wire) and
the test replays it into :class:`S3Request` through a fake ASGI ``receive``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
import pytest
from botocore.config import Config

from s3mock.auth import AuthContext, authenticate, parse_credentials
from s3mock.body import request_body
from s3mock.errors import S3Error
from s3mock.http import S3Request
from s3mock.tests.signed_streams import signed_stream

ACCESS, SECRET = "AKIDTEST", "test/secret+key"
CREDENTIALS = {ACCESS: SECRET, "OTHER": "other-secret"}
REGION = "us-east-1"
HTTP_ENDPOINT = "http://127.0.0.1:8003"
TRICKY_KEYS = [
    "plain.txt",
    "with space.txt",
    "plus+sign",
    "per%cent",
    "tilde~name",
    "dir/sub/deep key.txt",
    "unicodé/日本語 ü.txt",
    "odd !'()*,;=@$&:[]",
]


class _Captured(Exception):
    def __init__(self, request: Any) -> None:
        self.request = request


def make_client(endpoint: str = HTTP_ENDPOINT, secret: str = SECRET, **config: Any) -> Any:
    s3 = {"addressing_style": "path", **config.pop("s3", {})}
    config.setdefault("signature_version", "s3v4")
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=secret,
        region_name=config.pop("region", REGION),
        config=Config(s3=s3, retries={"max_attempts": 1}, **config),
    )


def capture(client: Any, call: Callable[[Any], Any]) -> tuple[str, str, dict[str, str], bytes]:
    """Run a client call and return (method, url, headers, body) as boto3 would send."""

    def stop(request: Any, **_: Any) -> None:
        raise _Captured(request)

    client.meta.events.register("before-send.s3", stop)
    with pytest.raises(_Captured) as caught:
        call(client)
    prepared = caught.value.request
    body = prepared.body
    if hasattr(body, "read"):
        body = body.read()
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in prepared.headers.items()}
    return prepared.method, prepared.url, headers, body or b""


def as_request(
    method: str, url: str, headers: dict[str, str], body: bytes = b"", piece: int = 7
) -> S3Request:
    """Replay a request through ASGI scope/receive, the way uvicorn delivers it."""
    parts = urlsplit(url)
    names = {name.lower() for name in headers}
    header_list = [(k.lower().encode(), v.encode("utf-8")) for k, v in headers.items()]
    if "host" not in names:
        header_list.append((b"host", parts.netloc.encode()))
    pieces = [body[i : i + piece] for i in range(0, len(body), piece)] or [b""]
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(pieces) - 1}
        for i, chunk in enumerate(pieces)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    scope = {
        "method": method,
        "path": unquote(parts.path),
        "raw_path": parts.path.encode("latin-1"),
        "query_string": parts.query.encode("latin-1"),
        "headers": header_list,
    }
    return S3Request.from_scope(scope, receive)


def auth(request: S3Request, **kwargs: Any) -> Any:
    kwargs.setdefault("region", REGION)
    return authenticate(request, CREDENTIALS, **kwargs)


def assert_error(code: str, call: Callable[[], Any]) -> S3Error:
    with pytest.raises(S3Error) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    return caught.value


def drain(request: S3Request, context: Any) -> tuple[bytes, Any]:
    body = request_body(request, context)

    async def collect() -> bytes:
        return b"".join([piece async for piece in body])

    return asyncio.run(collect()), body


def put(key: str = "k", body: bytes = b"hello", client: Any = None, **params: Any) -> S3Request:
    client = client or make_client()
    sent = capture(client, lambda c: c.put_object(Bucket="bkt", Key=key, Body=body, **params))
    return as_request(*sent)


# --- parse_credentials -----------------------------------------------------------------


def test_parse_credentials_strips_spaces_and_splits_pairs() -> None:
    assert parse_credentials(" AK1 : s1 , AK2:s:2 ,") == {"AK1": "s1", "AK2": "s:2"}


@pytest.mark.parametrize("spec", ["AK1", "AK1:", ":secret", "AK1:s,AK2", "", " , ", "A:1,A:2"])
def test_parse_credentials_rejects_malformed_entries(spec: str) -> None:
    with pytest.raises(ValueError, match="S3MOCK_CREDENTIALS"):
        parse_credentials(spec)


# --- SigV4 header ------------------------------------------------------------------------


@pytest.mark.parametrize("key", TRICKY_KEYS)
def test_sigv4_header_put_with_tricky_keys(key: str) -> None:
    request = put(key)
    assert request.bucket_and_key() == ("bkt", key)
    assert auth(request).access_key == ACCESS


@pytest.mark.parametrize("prefix", ["a b/", "x+y", "100%", "ü~", "a&b=c"])
def test_sigv4_header_list_with_encoded_query(prefix: str) -> None:
    sent = capture(make_client(), lambda c: c.list_objects_v2(Bucket="bkt", Prefix=prefix))
    request = as_request(*sent)
    assert request.query["prefix"] == prefix
    assert auth(request).scheme == "sigv4-header"


def test_sigv4_header_multipart_subresources() -> None:
    client = make_client()
    for call in (
        lambda c: c.create_multipart_upload(Bucket="bkt", Key="a b"),
        lambda c: c.upload_part(Bucket="bkt", Key="a b", UploadId="u/1+", PartNumber=2, Body=b"x"),
        lambda c: c.list_buckets(),
        lambda c: c.head_object(Bucket="bkt", Key="ü"),
    ):
        assert auth(as_request(*capture(client, call))).access_key == ACCESS


def test_sigv4_header_accepts_query_not_encoded_the_aws_way() -> None:
    # given a client that signed '~' percent-encoded and left the query unsorted
    request = put("tilde~name")
    request.raw_path = request.raw_path.replace("~", "%7E")
    # then the AWS canonical form still matches (the path decodes to the same key)
    assert auth(request).access_key == ACCESS


def test_unknown_access_key_is_invalid_access_key_id() -> None:
    request = put()
    assert_error("InvalidAccessKeyId", lambda: authenticate(request, {"X": "y"}, region=REGION))


def test_wrong_secret_is_signature_does_not_match() -> None:
    request = put(client=make_client(secret="not-the-secret"))
    error = assert_error("SignatureDoesNotMatch", lambda: auth(request))
    assert error.status == 403


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: setattr(r, "raw_path", r.raw_path.replace("k", "K")),
        lambda r: setattr(r, "raw_path", r.raw_path + "x"),
        lambda r: setattr(r, "method", "POST"),
        lambda r: r.headers.__setitem__("x-amz-checksum-crc32", "AAAAAA=="),
        lambda r: r.headers.__setitem__("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        lambda r: r.headers.__setitem__("host", "evil.example:8003"),
    ],
    ids=["path-case", "path-append", "method", "checksum-header", "payload-claim", "host"],
)
def test_tampered_sigv4_request_is_rejected(tamper: Callable[[S3Request], None]) -> None:
    request = put()
    tamper(request)
    assert_error("SignatureDoesNotMatch", lambda: auth(request))


def test_tampered_query_is_rejected() -> None:
    sent = capture(make_client(), lambda c: c.list_objects_v2(Bucket="bkt", Prefix="mine/"))
    request = as_request(*sent)
    request.query_string = request.query_string.replace("mine", "theirs")
    assert_error("SignatureDoesNotMatch", lambda: auth(request))
    request.query_string = request.query_string.replace("theirs", "mine") + "&extra=1"
    assert_error("SignatureDoesNotMatch", lambda: auth(request))


def test_unsigned_amz_header_is_access_denied() -> None:
    request = put()
    request.headers["x-amz-meta-owner"] = "mallory"
    error = assert_error("AccessDenied", lambda: auth(request))
    assert error.extra["HeadersNotSigned"] == "x-amz-meta-owner"


def test_missing_authentication_is_the_anonymous_caller() -> None:
    request = as_request("GET", f"{HTTP_ENDPOINT}/bkt/k", {})

    context = auth(request)

    assert (context.access_key, context.scheme) == ("", "anonymous")


@pytest.mark.parametrize("minutes", [16, -16])
def test_clock_skew_over_15_minutes_is_rejected(minutes: int) -> None:
    request = put()
    later = datetime.now(UTC) + timedelta(minutes=minutes)
    assert_error("RequestTimeTooSkewed", lambda: auth(request, now=later))


def test_clock_skew_within_15_minutes_is_accepted() -> None:
    request = put()
    assert auth(request, now=datetime.now(UTC) + timedelta(minutes=14)).access_key == ACCESS


def test_other_region_is_malformed_authorization() -> None:
    request = put(client=make_client(region="eu-west-1"))
    error = assert_error("AuthorizationHeaderMalformed", lambda: auth(request))
    assert "expecting 'us-east-1'" in error.message


# --- presigned URLs --------------------------------------------------------------------


def presigned(client: Any, key: str, expires: int = 60, **params: Any) -> S3Request:
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": "bkt", "Key": key, **params}, ExpiresIn=expires
    )
    return as_request("GET", url, {})


@pytest.mark.parametrize("key", TRICKY_KEYS)
def test_presigned_sigv4_url_is_accepted(key: str) -> None:
    request = presigned(make_client(), key, ResponseContentDisposition='attachment; filename="x"')
    assert request.bucket_and_key() == ("bkt", key)
    assert auth(request).scheme == "sigv4-query"


def test_presigned_sigv4_url_expires() -> None:
    request = presigned(make_client(), "k", expires=60)
    later = datetime.now(UTC) + timedelta(seconds=61)
    error = assert_error("AccessDenied", lambda: auth(request, now=later))
    assert error.message == "Request has expired"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: setattr(r, "raw_path", "/bkt/other"),
        lambda r: setattr(r, "query_string", r.query_string.replace("inline", "attachment")),
        lambda r: setattr(r, "query_string", r.query_string.replace("Expires=60", "Expires=600")),
        lambda r: setattr(r, "query_string", r.query_string + "&versionId=1"),
    ],
    ids=["path", "response-override", "expires", "added-param"],
)  # fmt: skip
def test_tampered_presigned_sigv4_url_is_rejected(tamper: Callable[[S3Request], None]) -> None:
    request = presigned(make_client(), "k", ResponseContentDisposition="inline")
    tamper(request)
    request.query = dict(reversed(parse_qsl(request.query_string, keep_blank_values=True)))
    assert_error("SignatureDoesNotMatch", lambda: auth(request))


def test_presigned_sigv4_wrong_secret_and_unknown_key() -> None:
    assert_error("SignatureDoesNotMatch", lambda: auth(presigned(make_client(secret="nope"), "k")))
    request = presigned(make_client(), "k")
    assert_error("InvalidAccessKeyId", lambda: authenticate(request, {}, region=REGION))


def sigv2_client(**config: Any) -> Any:
    # No signature_version: boto3 1.40 still presigns S3 URLs with SigV2 (HmacV1Query).
    return boto3.client(
        "s3",
        endpoint_url=HTTP_ENDPOINT,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}, **config),
    )


@pytest.mark.parametrize("key", TRICKY_KEYS)
def test_presigned_sigv2_url_is_accepted(key: str) -> None:
    request = presigned(sigv2_client(), key, ResponseContentType="text/plain")
    assert "AWSAccessKeyId=" in request.query_string
    assert auth(request).scheme == "sigv2-query"


def test_presigned_sigv2_url_expires_and_resists_tampering() -> None:
    request = presigned(sigv2_client(), "k", expires=60, ResponseContentType="text/plain")
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert assert_error("AccessDenied", lambda: auth(request, now=later)).message == (
        "Request has expired"
    )
    request.query_string = request.query_string.replace("text%2Fplain", "text%2Fhtml")
    assert_error("SignatureDoesNotMatch", lambda: auth(request))
    tampered_path = presigned(sigv2_client(), "k")
    tampered_path.raw_path = "/bkt/k2"
    assert_error("SignatureDoesNotMatch", lambda: auth(tampered_path))


def test_sigv2_header_auth_is_accepted() -> None:
    client = sigv2_client(signature_version="s3")
    request = as_request(*capture(client, lambda c: c.put_object(Bucket="b", Key="a b", Body=b"x")))
    assert request.headers["authorization"].startswith("AWS ")
    assert auth(request).scheme == "sigv2-header"


# --- bodies -------------------------------------------------------------------------------


def test_default_put_over_http_is_sha256_plus_crc32() -> None:
    request = put(body=b"hello world")
    assert request.headers["x-amz-checksum-crc32"]
    data, body = drain(request, auth(request))
    assert data == b"hello world"
    assert body.size == 11
    assert body.md5.hexdigest() == hashlib.md5(b"hello world").hexdigest()  # noqa: S324
    assert body.checksums == {"crc32": request.headers["x-amz-checksum-crc32"]}


def replace_body(request: S3Request, data: bytes) -> None:
    messages = [{"type": "http.request", "body": data, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    request.receive = receive


def test_body_not_matching_signed_sha256_is_rejected() -> None:
    request = put(body=b"hello")
    context = auth(request)
    replace_body(request, b"jello")
    assert_error("XAmzContentSHA256Mismatch", lambda: drain(request, context))


def test_unsigned_payload_body_still_checked_by_crc32() -> None:
    client = make_client(s3={"payload_signing_enabled": False})
    request = put(body=b"hello", client=client)
    assert request.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    context = auth(request)
    assert drain(request, context)[0] == b"hello"
    request = put(body=b"hello", client=client)
    replace_body(request, b"jello")
    assert_error("BadDigest", lambda: drain(request, auth(request)))


def test_content_md5_is_verified() -> None:
    client = make_client(s3={"payload_signing_enabled": False})
    good = base64.b64encode(hashlib.md5(b"abc").digest()).decode()  # noqa: S324
    request = put(body=b"abc", client=client, ContentMD5=good)
    assert drain(request, auth(request))[0] == b"abc"
    request = put(body=b"abd", client=client, ContentMD5=good)
    assert_error("BadDigest", lambda: drain(request, auth(request)))
    request = put(body=b"abc", client=client, ContentMD5="not base64!")
    assert_error("InvalidDigest", lambda: request_body(request, auth(request)))


@pytest.mark.parametrize("algorithm", ["SHA1", "SHA256", "CRC32"])
def test_flexible_checksum_algorithms(algorithm: str) -> None:
    request = put(body=b"data" * 1000, ChecksumAlgorithm=algorithm)
    _, body = drain(request, auth(request))
    assert list(body.checksums) == [algorithm.lower()]


def test_crc32c_and_crc64nvme_are_verified_without_crt() -> None:
    # Known check values for b"123456789".
    request = put(body=b"123456789", ChecksumCRC32C="4waSgw==")
    assert drain(request, auth(request))[1].checksums["crc32c"] == "4waSgw=="
    nvme = base64.b64encode(bytes.fromhex("ae8b14860a799888")).decode()
    request = put(body=b"123456789", ChecksumCRC64NVME=nvme)
    assert drain(request, auth(request))[0] == b"123456789"
    request = put(body=b"123456780", ChecksumCRC32C="4waSgw==")
    assert_error("BadDigest", lambda: drain(request, auth(request)))
    request = put(body=b"1", ChecksumCRC32C="4waS")
    assert_error("InvalidRequest", lambda: request_body(request, auth(request)))


def https_put(body: bytes, **params: Any) -> tuple[str, str, dict[str, str], bytes]:
    client = make_client(endpoint="https://127.0.0.1:8443")
    return capture(client, lambda c: c.put_object(Bucket="b", Key="k", Body=body, **params))


def test_https_default_is_unsigned_trailer_and_decodes() -> None:
    data = bytes(range(256)) * 5000  # > 1 MiB: several aws-chunked chunks
    method, url, headers, wire = https_put(io.BytesIO(data))
    assert headers["X-Amz-Content-SHA256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert headers["X-Amz-Trailer"] == "x-amz-checksum-crc32"
    request = as_request(method, url, headers, wire, piece=65536)
    decoded, body = drain(request, auth(request))
    assert decoded == data
    assert body.checksums["crc32"]


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda w: w.replace(b"crc32:", b"crc32:A"), "InvalidRequest"),
        (lambda w: w.replace(b"hello", b"jello"), "BadDigest"),
        (lambda w: w[:-12], "IncompleteBody"),
        (lambda w: w.replace(b"5\r\nhello", b"4\r\nhello"), "IncompleteBody"),
        (lambda w: w + b"junk", "InvalidRequest"),
    ],
    ids=["trailer-value", "data", "truncated", "wrong-size", "trailing-junk"],
)  # fmt: skip
def test_https_unsigned_trailer_errors(mutate: Callable[[bytes], bytes], code: str) -> None:
    method, url, headers, wire = https_put(io.BytesIO(b"hello"))
    request = as_request(method, url, headers, mutate(wire))
    assert_error(code, lambda: drain(request, auth(request)))


def test_decoded_content_length_must_match() -> None:
    method, url, headers, wire = https_put(io.BytesIO(b"hello"))
    headers["X-Amz-Decoded-Content-Length"] = "6"
    request = as_request(method, url, headers, wire)
    request.headers["x-amz-decoded-content-length"] = "6"
    assert_error("IncompleteBody", lambda: drain(request, _unchecked_context(request)))


def _unchecked_context(request: S3Request) -> Any:
    return AuthContext(ACCESS, "test", request.headers["x-amz-content-sha256"])


def test_read_limits_small_xml_bodies() -> None:
    request = put(body=b"<a/>" * 100)

    async def read(limit: int) -> bytes:
        return await request_body(request, auth(request)).read(limit)

    assert_error("MaxMessageLengthExceeded", lambda: asyncio.run(read(100)))
    request = put(body=b"<a/>")
    assert asyncio.run(read(100)) == b"<a/>"


# --- signed aws-chunked (not produced by botocore; built per the AWS spec) ------------------

# The worked example in the S3 docs ("Signature Calculations for the Authorization Header:
# Transferring Payload in Multiple Chunks"): 64 KiB + 1 KiB of 'a'.
DOC_ACCESS, DOC_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_CHUNK_SIGNATURES = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
]


def doc_example(signatures: list[str] = DOC_CHUNK_SIGNATURES, piece: int = 1000) -> S3Request:
    sizes = [65536, 1024, 0]
    wire = b"".join(
        b"%x;chunk-signature=%s\r\n%s\r\n" % (size, sig.encode(), b"a" * size)
        for size, sig in zip(sizes, signatures, strict=True)
    )
    signed = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
    signed += "x-amz-decoded-content-length;x-amz-storage-class"
    headers = {
        "Host": "s3.amazonaws.com",
        "x-amz-date": "20130524T000000Z",
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
        "Authorization": f"AWS4-HMAC-SHA256 Credential={DOC_ACCESS}/20130524/us-east-1/s3/"
        f"aws4_request,SignedHeaders={signed},Signature={DOC_SEED}",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": "66560",
        "Content-Length": str(len(wire)),
    }
    url = "http://s3.amazonaws.com/examplebucket/chunkObject.txt"
    return as_request("PUT", url, headers, wire, piece=piece)


def doc_auth(request: S3Request) -> Any:
    when = datetime(2013, 5, 24, 0, 5, tzinfo=UTC)
    return authenticate(request, {DOC_ACCESS: DOC_SECRET}, region="us-east-1", now=when)


@pytest.mark.parametrize("piece", [1, 1000, 70000])
def test_aws_documentation_chunk_signature_example(piece: int) -> None:
    request = doc_example(piece=piece)
    context = doc_auth(request)
    assert context.seed_signature == DOC_SEED
    data, _ = drain(request, context)
    assert data == b"a" * 66560


@pytest.mark.parametrize("index", [0, 1, 2])
def test_tampered_chunk_signature_is_rejected(index: int) -> None:
    signatures = list(DOC_CHUNK_SIGNATURES)
    signatures[index] = signatures[index][::-1]
    request = doc_example(signatures)
    assert_error("SignatureDoesNotMatch", lambda: drain(request, doc_auth(request)))


def signed_trailer_request(data: bytes, chunk: int, checksum: str | None = None) -> S3Request:
    url = f"{HTTP_ENDPOINT}/bkt/a%20b"
    sent = signed_stream(
        url,
        data,
        access=ACCESS,
        secret=SECRET,
        region=REGION,
        chunk=chunk,
        signed_checksum=checksum,
    )
    return as_request(*sent)


def test_signed_chunks_with_signed_trailer() -> None:
    data = bytes(range(251)) * 300
    request = signed_trailer_request(data, chunk=8192)
    assert request.headers["x-amz-content-sha256"].endswith("-TRAILER")
    decoded, _ = drain(request, auth(request))
    assert decoded == data


def test_signed_trailer_mismatch_is_rejected() -> None:
    # The trailer signature covers a different checksum than the one sent.
    request = signed_trailer_request(b"abc" * 10, chunk=8, checksum="AAAAAA==")
    assert_error("SignatureDoesNotMatch", lambda: drain(request, auth(request)))


def test_signed_chunks_without_trailer() -> None:
    url = f"{HTTP_ENDPOINT}/bkt/k"
    sent = signed_stream(url, b"xyz" * 5000, access=ACCESS, secret=SECRET, region=REGION,
                         chunk=4096, trailer=False)  # fmt: skip
    request = as_request(*sent, piece=1500)
    assert drain(request, auth(request))[0] == b"xyz" * 5000


def test_signed_stream_needs_header_auth() -> None:
    request = put()
    context = auth(request)
    request.headers["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    unsigned = replace(
        context, content_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD", signing_key=b""
    )
    assert_error("InvalidRequest", lambda: request_body(request, unsigned))


@pytest.mark.parametrize("date", ["20261124T2215000", "20261324T221500Z", "20261124T 21500Z", "x"])
def test_malformed_amz_date_is_rejected(date: str) -> None:
    request = put()
    request.headers["x-amz-date"] = date
    with pytest.raises(S3Error) as caught:
        auth(request)
    assert caught.value.status in (400, 403)
