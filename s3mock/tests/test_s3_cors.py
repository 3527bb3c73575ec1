"""Bucket CORS through boto3, and browser-like preflight and actual requests over HTTP,
on s3mock and SeaweedFS (differences recorded, see README)."""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError

from s3mock.tests.conftest import LiveS3

RULES = [
    {
        "ID": "app",
        "AllowedOrigins": ["http://localhost:8000"],
        "AllowedMethods": ["GET", "PUT"],
        "AllowedHeaders": ["content-type", "x-amz-*"],
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 600,
    },
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
]


def error_of(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def preflight(live: LiveS3, origin: str, method: str, headers: str = "") -> httpx.Response:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    return httpx.options(f"{live.endpoint_url}/{live.bucket}/upload.bin", headers=sent)


def test_cors_configuration_round_trip(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    missing = error_of(lambda: client.get_bucket_cors(Bucket=bucket))

    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    rules = client.get_bucket_cors(Bucket=bucket)["CORSRules"]
    client.delete_bucket_cors(Bucket=bucket)
    gone = error_of(lambda: client.get_bucket_cors(Bucket=bucket))

    assert missing == gone == ("NoSuchCORSConfiguration", 404)
    assert rules[0]["AllowedOrigins"] == ["http://localhost:8000"]
    assert rules[0]["AllowedMethods"] == ["GET", "PUT"]
    assert rules[0]["ExposeHeaders"] == ["ETag"] and rules[0]["MaxAgeSeconds"] == 600
    assert rules[1]["AllowedOrigins"] == ["*"]


def test_preflight_is_decided_by_the_rules(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    before = preflight(live_s3, "http://localhost:8000", "PUT")
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})

    upload = preflight(live_s3, "http://localhost:8000", "PUT", "Content-Type, X-Amz-Date")
    anyone = preflight(live_s3, "http://elsewhere.test", "GET")
    refused_method = preflight(live_s3, "http://elsewhere.test", "PUT")
    refused_header = preflight(live_s3, "http://localhost:8000", "PUT", "x-custom")

    # SeaweedFS answers a preflight 200 before any CORS configuration exists (README)
    assert before.status_code == live_s3.documented(403, seaweedfs=200)
    assert upload.status_code == 200
    assert upload.headers["access-control-allow-origin"] == "http://localhost:8000"
    assert "PUT" in upload.headers["access-control-allow-methods"]
    assert "content-type" in upload.headers["access-control-allow-headers"].lower()
    assert upload.headers["access-control-max-age"] == "600"
    assert anyone.status_code == 200
    allowed = anyone.headers["access-control-allow-origin"]
    assert allowed == live_s3.documented("*", seaweedfs="http://elsewhere.test")
    assert refused_method.status_code == live_s3.documented(403, seaweedfs=200)
    assert refused_header.status_code == live_s3.documented(403, seaweedfs=200)


def test_actual_requests_carry_the_matching_rules_headers(live_s3: LiveS3):
    client, bucket = live_s3.client, live_s3.bucket
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    client.put_object(Bucket=bucket, Key="k", Body=b"v")
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})

    got = httpx.get(url, headers={"Origin": "http://localhost:8000"})

    assert got.status_code == 200 and got.content == b"v"
    assert got.headers["access-control-allow-origin"] == "http://localhost:8000"
    expose = got.headers.get("access-control-expose-headers")
    assert expose == "ETag"


def test_preflight_for_a_missing_bucket(live_s3: LiveS3):
    response = httpx.options(
        f"{live_s3.endpoint_url}/no-such-bucket-cors/k",
        headers={"Origin": "http://localhost:8000", "Access-Control-Request-Method": "GET"},
    )

    assert response.status_code == live_s3.documented(404, seaweedfs=200)
