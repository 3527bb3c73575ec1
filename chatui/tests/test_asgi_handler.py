"""chatui.asgi's HTTP handler: Django's middleware chain and view in one thread trip."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import SyncToAsync
from django.core.handlers.asgi import ASGIHandler

from chatui.request_threads import RequestThreads
from chatui.testing.asgi import Answer, call, http_scope


def _answer_counting_trips(handler: Any, path: str, headers: dict[str, str]) -> tuple[Answer, int]:
    """One request through ``handler``; also how many sync_to_async calls it made."""
    trips = 0
    original = SyncToAsync.__call__

    async def counted(self: SyncToAsync, *args: Any, **kwargs: Any) -> Any:
        nonlocal trips
        trips += 1
        return await original(self, *args, **kwargs)

    with mock.patch.object(SyncToAsync, "__call__", counted):
        answer = asyncio.run(call(handler, http_scope(path, headers)))
    return answer, trips


@pytest.fixture
def handler():
    from chatui.asgi import ChatuiASGIHandler

    handler = ChatuiASGIHandler()
    handler.threads = RequestThreads(keep=2)
    yield handler
    handler.threads.close()


@pytest.mark.django_db(transaction=True)
def test_a_request_crosses_to_its_thread_a_few_times_not_once_per_middleware(handler, user) -> None:
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user).key
    headers = {"Authorization": f"Token {token}"}
    ours, our_trips = _answer_counting_trips(handler, "/api/files", headers)
    stock, stock_trips = _answer_counting_trips(ASGIHandler(), "/api/files", headers)
    assert ours.status == stock.status == 200
    assert ours.body == stock.body
    # request_started, the chain with its view, response.close: three trips. Django's
    # own chain bounces from the thread back to the loop to resolve and call the
    # view, and then to the thread again (six here).
    assert our_trips == 3 < stock_trips


@pytest.mark.django_db(transaction=True)
def test_middleware_still_answers_as_before(handler, user) -> None:
    """Security headers, CSP on pages, redirects for anonymous pages, and DRF's 401."""
    page, _ = _answer_counting_trips(handler, "/accounts/login/", {})
    assert page.status == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "csrftoken=" in page.headers.get("set-cookie", "")

    files_page, _ = _answer_counting_trips(handler, "/files", {})
    assert files_page.status == 302
    assert files_page.headers["location"].startswith("/accounts/login/")

    api, _ = _answer_counting_trips(handler, "/api/files", {"Authorization": "Token nope"})
    assert api.status == 401
    assert b'"code"' in api.body
