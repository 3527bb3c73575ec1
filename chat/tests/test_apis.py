"""The chat history API: the caller's chats only, others' are 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chat.models import ChatSession, Message
from chat.services import attach_file_to_session, message_create, session_create

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def chat(user: Any) -> ChatSession:
    session = session_create(owner=user, title="First")
    message_create(session=session, role=Message.Role.USER, content="hi")
    message_create(session=session, role=Message.Role.ASSISTANT, content="hello")
    return session


def test_list_is_the_callers_chats_recent_first_paginated(
    api_client: Any, user: Any, other_user: Any
) -> None:
    older = session_create(owner=user, title="older")
    newer = session_create(owner=user, title="newer")
    session_create(owner=other_user, title="not mine")
    message_create(session=older, role=Message.Role.USER, content="bump")  # now the most recent

    response = api_client.get("/api/chats", {"page_size": 1})

    assert response.status_code == 200
    assert response.data["count"] == 2
    assert [c["title"] for c in response.data["results"]] == ["older"]
    second = api_client.get("/api/chats", {"page_size": 1, "page": 2})
    assert [c["id"] for c in second.data["results"]] == [str(newer.id)]


def test_create(api_client: Any, user: Any) -> None:
    response = api_client.post("/api/chats", {"title": "New one"}, format="json")
    assert response.status_code == 201 and response.data["title"] == "New one"
    assert ChatSession.objects.get(pk=response.data["id"]).owner == user


def test_detail_has_the_messages_in_order(api_client: Any, chat: ChatSession) -> None:
    response = api_client.get(f"/api/chats/{chat.id}")
    assert response.status_code == 200
    assert [(m["role"], m["content"]) for m in response.data["messages"]] == [
        ("user", "hi"),
        ("assistant", "hello"),
    ]
    assert response.data["files"] == [] and response.data["messages"][0]["files"] == []


def test_rename(api_client: Any, chat: ChatSession) -> None:
    response = api_client.patch(f"/api/chats/{chat.id}", {"title": "Renamed"}, format="json")
    assert response.status_code == 200 and response.data["title"] == "Renamed"
    bad = api_client.patch(f"/api/chats/{chat.id}", {"title": 5 * "x" * 50}, format="json")
    assert bad.status_code == 400 and bad.data["code"] == "invalid"


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("suffix", ["", "/files", "/delete-preview"])
def test_another_users_chat_is_404(
    other_api_client: Any, chat: ChatSession, method: str, suffix: str
) -> None:
    if method != "get" and suffix:
        return
    response = getattr(other_api_client, method)(
        f"/api/chats/{chat.id}{suffix}",
        {"title": "x"} if method == "patch" else None,
        format="json",
    )
    assert response.status_code == 404 and response.data["code"] == "not_found"
    assert ChatSession.objects.filter(pk=chat.pk, title="First").exists()


def test_anonymous_is_refused(anon_client: Any, chat: ChatSession) -> None:
    assert anon_client.get("/api/chats").status_code in (401, 403)


@pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)
def test_delete_preview_files_and_delete(
    api_client: Any, chat: ChatSession, make_stored_file: Callable[..., Any], s3_backend: Any
) -> None:
    """Deleting a chat keeps a tagged file and a file another chat uses, and moves the
    rest to the trash (restorable); the preview says which and why."""
    made = make_stored_file(filename="made.txt", session_id=chat.id)
    kept = make_stored_file(filename="kept.txt", session_id=chat.id)
    shared = make_stored_file(filename="shared.txt", session_id=chat.id)
    api_client.patch(f"/api/files/{kept.id}", {"tagged": True}, format="json")
    other = ChatSession.objects.create(owner=chat.owner, title="other")
    attach_file_to_session(user=chat.owner, session=other, file_id=shared.id)  # the ws frame

    files = api_client.get(f"/api/chats/{chat.id}/files")
    preview = api_client.get(f"/api/chats/{chat.id}/delete-preview")
    deleted = api_client.delete(f"/api/chats/{chat.id}")

    assert [f["filename"] for f in files.data] == ["made.txt", "kept.txt", "shared.txt"]
    assert files.data[0]["download_url"] == f"/api/files/{made.id}/download"
    assert (preview.data["files_to_delete"], preview.data["files"]) == (1, ["made.txt"])
    assert preview.data["kept_files"] == ["kept.txt", "shared.txt"]
    assert [(d["filename"], d["fate"], d["reasons"]) for d in preview.data["details"]] == [
        ("made.txt", "trash", []),
        ("kept.txt", "keep", ["tagged"]),
        ("shared.txt", "keep", ["used_by_other_chat"]),
    ]
    assert preview.data["trash_days"] == 30
    assert deleted.status_code == 200 and deleted.data == {"deleted_files": 1}
    assert api_client.get(f"/api/files/{made.id}").status_code == 404
    assert [f["id"] for f in api_client.get("/api/trash").data["results"]] == [str(made.id)]
    assert api_client.get(f"/api/files/{kept.id}").data["session"] is None
    assert api_client.get(f"/api/files/{shared.id}").status_code == 200
    assert api_client.post(f"/api/files/{made.id}/restore").status_code == 200
    assert api_client.get(f"/api/files/{made.id}").status_code == 200


@pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)
def test_delete_keep_files(
    api_client: Any, chat: ChatSession, make_stored_file: Callable[..., Any], s3_backend: Any
) -> None:
    made = make_stored_file(filename="made.txt", session_id=chat.id)
    response = api_client.delete(f"/api/chats/{chat.id}?keep_files=true")
    assert response.data == {"deleted_files": 0}
    assert api_client.get(f"/api/files/{made.id}").status_code == 200


def test_the_schema_documents_the_chat_api(api_client: Any) -> None:
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = response.json()["paths"] if hasattr(response, "json") else {}
    assert "/api/chats/{session_id}/delete-preview" in paths


def test_search_finds_chats_by_title_and_message_text(api_client: Any) -> None:
    owner = api_client.user
    by_title = session_create(owner=owner, title="Quarterly Budget")
    by_text = session_create(owner=owner, title="misc")
    Message.objects.create(
        session=by_text, role="user", content="a" * 80 + " the BUDGET is late " + "b" * 80
    )
    session_create(owner=owner, title="other")
    body = api_client.get("/api/chats", {"q": "budget"}).json()
    found = {row["id"]: row for row in body["results"]}
    assert set(found) == {str(by_title.id), str(by_text.id)}
    assert "the BUDGET is late" in found[str(by_text.id)]["match"]
    assert found[str(by_text.id)]["match"].startswith("…")
    assert api_client.get("/api/chats").json()["count"] == 3  # no q: every chat


def test_search_never_finds_another_users_chat(api_client: Any, other_api_client: Any) -> None:
    theirs = session_create(owner=other_api_client.user, title="secret budget")
    Message.objects.create(session=theirs, role="user", content="budget")
    assert api_client.get("/api/chats", {"q": "budget"}).json()["count"] == 0
