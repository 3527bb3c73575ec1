"""The files REST API over a live S3 endpoint (s3mock and SeaweedFS, same tests)."""

from __future__ import annotations

import base64

import pytest

pytestmark = pytest.mark.django_db


def test_smoke(api_client, s3_backend):
    response = api_client.post(
        "/api/files",
        {"filename": "a.txt", "content_base64": base64.b64encode(b"hi").decode()},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    download = api_client.get(body["download_url"])
    assert b"".join(download.streaming_content) == b"hi"
