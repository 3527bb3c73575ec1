"""Per-user rate limits on uploads, tool runs, search and chat frames: 429 + Retry-After.

Finding (issue #20): no per-user limits on the expensive routes.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from chat.tests.conftest import communicator, receive_until, session_cookie
from chatui.testing.asgi import asgi_post

pytestmark = pytest.mark.django_db


def _upload(api_client: Any, n: int) -> Any:
    return asgi_post("/api/files", client=api_client, files={"file": (f"{n}.txt", b"hi")})


def test_uploads_past_the_limit_get_429_with_retry_after(
    api_client: Any, other_api_client: Any, s3_backend: Any, settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "uploads": "3/minute"}
    assert [_upload(api_client, n).status_code for n in range(3)] == [201, 201, 201]
    refused = _upload(api_client, 4)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["code"] == "rate_limited"
    # listing is not an upload, and another user has a count of their own
    assert api_client.get("/api/files").status_code == 200
    assert _upload(other_api_client, 1).status_code == 201


def test_search_and_tool_runs_are_limited_separately(api_client: Any, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "search": "2/minute", "tool_runs": "1/minute"}
    searches = [api_client.get("/api/files", {"q": "x"}).status_code for _ in range(3)]
    assert searches == [200, 200, 429]
    assert api_client.get("/api/files").status_code == 200  # no q: not a search
    assert api_client.get("/api/search", {"q": "x"}).status_code == 429  # the same count
    assert api_client.get("/api/chats", {"q": "x"}).status_code == 429
    assert api_client.get("/api/chats").status_code == 200
    runs = [
        api_client.post("/api/tools/csv_summary/run", {"file_id": "nope"}, format="json")
        for _ in range(2)
    ]
    assert [r.status_code for r in runs] == [404, 429]
    assert runs[1]["Retry-After"]


def test_an_empty_setting_turns_a_limit_off(api_client: Any, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "search": ""}
    assert {api_client.get("/api/files", {"q": "x"}).status_code for _ in range(5)} == {200}


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_chat_frames_past_the_limit_get_a_rate_limited_frame(settings: Any) -> None:
    from chat.models import ChatSession, Message
    from chatui.models import User

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "chat": "2/minute"}
    settings.LLM_BASE_URL = ""
    user = await database_sync_to_async(User.objects.create_user)(
        email="rl@example.com", password="pw-for-tests-1"
    )
    comm = communicator(await database_sync_to_async(session_cookie)(user))
    assert (await comm.connect())[0]
    try:
        frame = {"type": "chat", "session_id": None, "content": "hi", "file_ids": []}
        for _ in range(2):
            await comm.send_json_to(frame)
            await receive_until(comm, "response_complete")
        await comm.send_json_to(frame)
        error = await comm.receive_json_from(timeout=5)
        assert error["type"] == "error" and error["code"] == "rate_limited"
        assert error["details"]["retry_after"] >= 1
        # the refused message wrote nothing: no third chat, no third message
        chats = await database_sync_to_async(ChatSession.objects.filter(owner=user).count)()
        messages = await database_sync_to_async(Message.objects.filter(role="user").count)()
        assert (chats, messages) == (2, 2)
    finally:
        await comm.disconnect()
