"""POST object: browser form uploads signed with a SigV4 policy (boto3's
generate_presigned_post), sent as a browser would, on s3mock and SeaweedFS."""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError

from s3mock.tests.conftest import LiveS3


def presigned(live: LiveS3, key: str, fields=None, conditions=None, expires: int = 300):
    return live.client.generate_presigned_post(
        Bucket=live.bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires
    )


def send(post: dict, content: bytes, filename: str = "photo.jpg", **extra) -> httpx.Response:
    data = {**post["fields"], **extra}
    files = {"file": (filename, content, "image/jpeg")}
    return httpx.post(post["url"], data=data, files=files, follow_redirects=False)


def test_a_signed_form_upload_is_stored(live_s3: LiveS3):
    post = presigned(
        live_s3,
        "uploads/${filename}",
        fields={"success_action_status": "201", "x-amz-meta-owner": "alice"},
        conditions=[
            ["starts-with", "$key", "uploads/"],
            {"success_action_status": "201"},
            {"x-amz-meta-owner": "alice"},
            ["content-length-range", 1, 1000],
        ],
    )

    response = send(post, b"jpeg bytes")
    head = live_s3.client.head_object(Bucket=live_s3.bucket, Key="uploads/photo.jpg")

    assert response.status_code == 201, response.text
    assert "<Key>uploads/photo.jpg</Key>" in response.text
    assert head["ContentLength"] == 10 and head["Metadata"] == {"owner": "alice"}
    assert head["ContentType"] == "image/jpeg"


def test_the_policy_conditions_are_enforced(live_s3: LiveS3):
    post = presigned(live_s3, "k", conditions=[["content-length-range", 1, 5]])
    too_big = send(post, b"more than five bytes")
    tampered = send(post, b"ok", key="other-key")
    bad_signature = send({**post, "fields": {**post["fields"], "x-amz-signature": "0" * 64}}, b"x")
    extra = send(post, b"ok", **{"x-amz-meta-sneaky": "1"})

    assert too_big.status_code == 400 and "EntityTooLarge" in too_big.text
    assert tampered.status_code == 403
    assert bad_signature.status_code == 403
    assert extra.status_code == 403
    for key in ("k", "other-key"):
        with pytest.raises(ClientError) as caught:  # nothing was stored
            live_s3.client.head_object(Bucket=live_s3.bucket, Key=key)
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_success_action_redirect_and_default_status(live_s3: LiveS3):
    redirect = "http://localhost:8000/done"
    post = presigned(
        live_s3,
        "r",
        fields={"success_action_redirect": redirect},
        conditions=[{"success_action_redirect": redirect}],
    )
    plain = presigned(live_s3, "p")

    redirected = send(post, b"data")
    default = send(plain, b"data")

    assert redirected.status_code == 303
    location = redirected.headers["location"]
    assert location.startswith(redirect + "?") and "key=r" in location
    assert default.status_code == 204


def test_an_expired_policy_is_refused(live_s3: LiveS3):
    post = presigned(live_s3, "late", expires=-10)

    response = send(post, b"data")

    assert response.status_code == 403 and "expired" in response.text.lower()
