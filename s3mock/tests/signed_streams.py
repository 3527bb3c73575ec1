"""Build signed aws-chunked uploads the way the AWS spec (and the Java/Go SDKs) do.

botocore never signs chunks, so tests sign the headers with botocore's own
``S3SigV4Auth`` and chain the chunk and trailer signatures here, independently
of ``s3mock.body``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class _StreamingSigV4(S3SigV4Auth):
    """botocore's signer, told the payload is a signed aws-chunked stream."""

    def __init__(self, access: str, secret: str, region: str, payload: str) -> None:
        super().__init__(Credentials(access, secret), "s3", region)
        self._payload = payload

    def payload(self, request: AWSRequest) -> str:
        return self._payload


def crc32_b64(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _key(secret: str, date: str, region: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def signed_stream(
    url: str,
    data: bytes,
    *,
    access: str,
    secret: str,
    region: str,
    chunk: int = 64 * 1024,
    trailer: bool = True,
    signed_checksum: str | None = None,
) -> tuple[str, str, dict[str, str], bytes]:
    """(method, url, headers, wire body) for a PUT with signed chunks.

    ``signed_checksum`` signs a different trailer value than the one sent, to
    prove the trailer signature is checked.
    """
    headers = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data))}
    if trailer:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    request = AWSRequest("PUT", url, headers=headers)
    mode = SIGNED_TRAILER if trailer else SIGNED
    _StreamingSigV4(access, secret, region, mode).add_auth(request)
    amz_date = request.headers["X-Amz-Date"]
    scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
    key = _key(secret, amz_date[:8], region)
    previous = request.headers["Authorization"].rsplit("Signature=", 1)[1]
    wire = bytearray()
    for start in [*range(0, len(data), chunk), len(data)]:
        piece = data[start : start + chunk] if start < len(data) else b""
        text = f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{previous}\n{EMPTY_SHA256}\n"
        previous = _sign(key, text + hashlib.sha256(piece).hexdigest())
        wire += b"%x;chunk-signature=%s\r\n" % (len(piece), previous.encode())
        if piece:
            wire += piece + b"\r\n"
    if trailer:
        crc = crc32_b64(data)
        canonical = f"x-amz-checksum-crc32:{signed_checksum or crc}\n"
        text = f"AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n{previous}\n"
        signature = _sign(key, text + hashlib.sha256(canonical.encode()).hexdigest())
        wire += f"x-amz-checksum-crc32:{crc}\r\nx-amz-trailer-signature:{signature}\r\n".encode()
    wire += b"\r\n"
    sent_headers = {
        k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()
    }
    return "PUT", request.url, sent_headers, bytes(wire)
