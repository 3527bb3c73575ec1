"""The DEBUG error page masks every credential-bearing setting.

Finding (issue #20, low): the development error page showed S3MOCK_CREDENTIALS and
DATABASE_URL unmasked.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SECRETS = {
    "S3MOCK_CREDENTIALS": "mockkey:mock-secret-value-1",
    "DATABASE_URL": "postgres://chatui:db-password-2@db:5432/chatui",
    "REDIS_URL": "redis://:redis-password-3@cache:6379/0",
    "S3_SECRET_KEY": "s3-secret-value-4",
    "LLM_API_KEY": "sk-llm-key-5",
    "LLM_BASE_URL": "https://llm.example/v1?api-key=llm-url-key-6",
}


def test_the_debug_error_page_masks_credentials(
    user: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given DEBUG and settings holding credentials
    settings.DEBUG = True
    for name, value in SECRETS.items():
        setattr(settings, name, value)
    from tools import apis

    def broken() -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(apis, "tool_list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    # when a page fails and Django shows its technical error page
    response = client.get("/api/tools", HTTP_ACCEPT="*/*")
    page = response.content.decode()
    # then the settings are listed, every credential masked
    assert response.status_code == 500 and "S3MOCK_CREDENTIALS" in page
    for name, value in SECRETS.items():
        assert value not in page, name
        assert value.split(":")[-1] not in page, name
    assert "********" in page
