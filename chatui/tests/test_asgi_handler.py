"""chatui.asgi's HTTP handler: Django's own ASGI handler, on kept request threads.

The handler adds no middleware logic of its own; these tests check that Django's
middleware chain answers through it exactly as through Django's stock handler.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.core.handlers.asgi import ASGIHandler

from chatui.request_threads import RequestThreads
from chatui.testing.asgi import Answer, call, http_scope


def _answer(handler: Any, path: str, headers: dict[str, str]) -> Answer:
    return asyncio.run(call(handler, http_scope(path, headers)))


@pytest.fixture
def handler():
    from chatui.asgi import ChatuiASGIHandler

    handler = ChatuiASGIHandler()
    handler.threads = RequestThreads(keep=2)
    yield handler
    handler.threads.close()


@pytest.mark.django_db(transaction=True)
def test_an_api_request_is_answered_as_by_djangos_own_handler(handler, user) -> None:
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user).key
    headers = {"Authorization": f"Token {token}"}
    ours = _answer(handler, "/api/files", headers)
    stock = _answer(ASGIHandler(), "/api/files", headers)
    assert ours.status == stock.status == 200
    assert ours.body == stock.body
    assert ours.headers == stock.headers


@pytest.mark.django_db(transaction=True)
def test_middleware_answers_through_the_handler(handler, user) -> None:
    """Security headers, CSP on pages, redirects for anonymous pages, and DRF's 401."""
    page = _answer(handler, "/accounts/login/", {})
    assert page.status == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "csrftoken=" in page.headers.get("set-cookie", "")

    files_page = _answer(handler, "/files", {})
    assert files_page.status == 302
    assert files_page.headers["location"].startswith("/accounts/login/")

    api = _answer(handler, "/api/files", {"Authorization": "Token nope"})
    assert api.status == 401
    assert b'"code"' in api.body
