"""GET /api/files/tags: the user's tag names for the composer's #tag menu."""

from __future__ import annotations

from typing import Any

import pytest

from files.services import file_upload

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(owner: Any, name: str, tags: dict[str, str]) -> None:
    file_upload(owner=owner, content=b"some text", filename=name, tags=tags)


def test_tag_names_most_used_first_with_counts(s3_backend: Any, user: Any, api_client: Any) -> None:
    # given three files, two of them tagged "apollo"
    _upload(user, "a.txt", {"apollo": "", "Budget": "2026"})
    _upload(user, "b.txt", {"apollo": "x"})
    _upload(user, "c.txt", {})
    # when the tags are listed
    body = api_client.get("/api/files/tags").json()
    # then each name once, most used first, with its number of files
    assert body["results"] == [{"name": "apollo", "files": 2}, {"name": "Budget", "files": 1}]


def test_prefix_is_case_insensitive_and_names_a_message_cannot_write_are_left_out(
    s3_backend: Any, user: Any, api_client: Any
) -> None:
    _upload(user, "a.txt", {"budget": "", "Bu dget": "", "bus": "", "plan": ""})
    body = api_client.get("/api/files/tags", {"q": "BU"}).json()
    assert [tag["name"] for tag in body["results"]] == ["budget", "bus"]
    assert api_client.get("/api/files/tags", {"q": "BU", "limit": 1}).json()["results"] == [
        {"name": "budget", "files": 1}
    ]


def test_another_users_tags_never_show(
    s3_backend: Any, user: Any, other_user: Any, other_api_client: Any
) -> None:
    _upload(user, "secret.txt", {"apollo": ""})
    assert other_api_client.get("/api/files/tags").json()["results"] == []


def test_bad_limit_is_a_typed_400(api_client: Any) -> None:
    response = api_client.get("/api/files/tags", {"limit": 0})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_signed_out_is_refused(client: Any) -> None:
    assert client.get("/api/files/tags").status_code in {401, 403}
