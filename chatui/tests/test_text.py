"""Text no database can store (NUL, lone surrogates) is a typed 400 at every door.

SQLite stores both, PostgreSQL refuses them (a 500 after the bytes reached S3), so
these tests assert the refusal itself, which holds on either database; the
scale-out run repeats them on PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chat import services as chat_services
from chat.models import ChatSession
from chatui.errors import InvalidInput
from chatui.testing.asgi import asgi_post
from chatui.text import UnstorableText, text_check, text_storable
from files.models import StoredFile
from files.services import file_update, file_upload
from tools.models import ToolRun

UNSTORABLE = ["\x00", "a\x00b", "\ud800", "x\udfffy"]


@pytest.mark.parametrize("bad", UNSTORABLE)
@pytest.mark.parametrize("shape", ["plain", "value", "key", "nested"])
def test_text_check_refuses_unstorable_text_at_any_depth(bad: str, shape: str) -> None:
    value = {"plain": bad, "value": {"k": bad}, "key": {bad: "v"}, "nested": [{"a": [1, bad]}]}
    with pytest.raises(UnstorableText) as caught:
        text_check(value[shape], field="tags")
    assert caught.value.status == 400 and caught.value.code == "invalid_text"
    assert caught.value.details == {"field": "tags"}


def test_text_check_accepts_what_databases_store() -> None:
    text_check({"émoji 😀": ["\ufffd", "\x01\t\n", 3, None, True]}, field="x")


def test_text_storable_replaces_only_what_cannot_be_stored() -> None:
    value = {"k\x00": ["a\ud800", "ok 😀", 1]}
    assert text_storable(value) == {"k\ufffd": ["a\ufffd", "ok 😀", 1]}


def test_text_check_refuses_a_nesting_deeper_than_python_recurses() -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(InvalidInput):  # typed, not a RecursionError
        text_check(deep, field="arguments")


# --- the doors -----------------------------------------------------------------------


db = pytest.mark.django_db


@db
@pytest.mark.parametrize("tags", [{"\x00": ""}, {"a": "\x00"}, {"\ud800": "v"}])
def test_multipart_upload_with_unstorable_tags_is_a_typed_400(
    api_client: Any, s3_moto: str, tags: dict[str, str]
) -> None:
    response = asgi_post(
        "/api/files",
        client=api_client,
        files={"file": ("a.txt", b"hello\n")},
        data={"tags": json.dumps(tags)},
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_text"
    assert not StoredFile.objects.exists()


@db
def test_json_upload_with_a_nul_tag_key_is_a_typed_400(api_client: Any, s3_moto: str) -> None:
    body = {"filename": "a.txt", "content_base64": "aGkK", "tags": {"\x00": ""}}
    response = api_client.post("/api/files", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_text"
    assert not StoredFile.objects.exists()


@db
def test_patch_with_a_nul_tag_key_is_a_typed_400_and_changes_nothing(
    api_client: Any, s3_moto: str, make_stored_file: Any
) -> None:
    stored = make_stored_file(owner=api_client.user, tags={"k": "v"})
    response = api_client.patch(f"/api/files/{stored.pk}", {"tags": {"\x00": ""}}, "json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_text"
    stored.refresh_from_db()
    assert stored.tags == {"k": "v"}


@db
@pytest.mark.parametrize("name", ["nul\x00.txt", "half\ud800.txt"])
def test_a_filename_with_unstorable_text_is_refused_by_the_upload_service(
    user: Any, s3_moto: str, name: str
) -> None:
    with pytest.raises(UnstorableText):
        file_upload(owner=user, content=b"hello\n", filename=name)
    assert not StoredFile.objects.exists()


@db
def test_a_rename_to_unstorable_text_is_a_typed_400(
    api_client: Any, s3_moto: str, make_stored_file: Any
) -> None:
    stored = make_stored_file(owner=api_client.user, filename="kept.txt")
    with pytest.raises(UnstorableText):
        file_update(file=stored, filename="a\ud800.txt")
    response = api_client.patch(f"/api/files/{stored.pk}", {"filename": "a\x00.txt"}, "json")
    assert response.status_code == 400 and response.json()["code"].startswith("invalid")
    stored.refresh_from_db()
    assert stored.filename == "kept.txt"


@db
@pytest.mark.parametrize("title", ["a\x00b", "\ud800"])
def test_a_chat_title_with_unstorable_text_is_refused(user: Any, title: str) -> None:
    chat = chat_services.session_create(owner=user, title="kept")
    with pytest.raises(UnstorableText):
        chat_services.session_rename(session=chat, title=title)
    with pytest.raises(UnstorableText):
        chat_services.session_create(owner=user, title=title)
    chat.refresh_from_db()
    assert chat.title == "kept" and ChatSession.objects.count() == 1


@db
def test_chat_title_api_refuses_nul(api_client: Any) -> None:
    chat = chat_services.session_create(owner=api_client.user, title="kept")
    response = api_client.patch(f"/api/chats/{chat.pk}", {"title": "a\x00"}, "json")
    assert response.status_code == 400 and response.json()["code"].startswith("invalid")
    chat.refresh_from_db()
    assert chat.title == "kept"


@db
@pytest.mark.parametrize("body", [{"file_id": "\x00"}, {"\ud800": 1, "file_id": "x"}])
def test_tool_arguments_with_unstorable_text_are_a_typed_400_and_recorded(
    api_client: Any, body: dict[str, Any]
) -> None:
    raw = json.dumps(body)  # escaped: a lone surrogate cannot be sent as UTF-8
    response = api_client.post("/api/tools/csv_summary/run", raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_text"
    run = ToolRun.objects.get()
    assert run.error_code == "invalid_text"
    assert "\ufffd" in json.dumps(run.arguments, ensure_ascii=False)
