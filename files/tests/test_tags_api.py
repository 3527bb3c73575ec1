"""GET /api/files/tags: the tag names on the files the user may read (their own and
those shared with them) for the composer's #tag menu."""

from __future__ import annotations

from typing import Any

import pytest

from files.services import file_upload
from files.sharing.services import share_create_for_file, share_create_for_tag, share_revoke
from files.trash import file_trash

pytestmark = pytest.mark.django_db(transaction=True)


def _upload(owner: Any, name: str, tags: dict[str, str]) -> Any:
    return file_upload(owner=owner, content=b"some text", filename=name, tags=tags)


def test_tag_names_most_used_first_with_counts(s3_backend: Any, user: Any, api_client: Any) -> None:
    # given three files, two of them tagged "apollo"
    _upload(user, "a.txt", {"apollo": "", "Budget": "2026"})
    _upload(user, "b.txt", {"apollo": "x"})
    _upload(user, "c.txt", {})
    # when the tags are listed
    body = api_client.get("/api/files/tags").json()
    # then each name once, most used first, with its number of files
    assert body["results"] == [
        {"name": "apollo", "files": 2, "shared_by": []},
        {"name": "Budget", "files": 1, "shared_by": []},
    ]


def test_prefix_is_case_insensitive_and_names_a_message_cannot_write_are_left_out(
    s3_backend: Any, user: Any, api_client: Any
) -> None:
    _upload(user, "a.txt", {"budget": "", "Bu dget": "", "bus": "", "plan": ""})
    body = api_client.get("/api/files/tags", {"q": "BU"}).json()
    assert [tag["name"] for tag in body["results"]] == ["budget", "bus"]
    assert api_client.get("/api/files/tags", {"q": "BU", "limit": 1}).json()["results"] == [
        {"name": "budget", "files": 1, "shared_by": []}
    ]


def test_another_users_tags_never_show(
    s3_backend: Any, user: Any, other_user: Any, other_api_client: Any
) -> None:
    _upload(user, "secret.txt", {"apollo": ""})
    assert other_api_client.get("/api/files/tags").json()["results"] == []


def test_tags_shared_with_the_user_are_listed_with_their_owner(
    s3_backend: Any, user: Any, other_user: Any, make_user: Any, other_api_client: Any
) -> None:
    # given alice shares the tag "project=apollo" with bob, and carol one file
    _upload(user, "plan.txt", {"project": "apollo", "draft": ""})
    _upload(user, "other.txt", {"project": "zeus", "private": ""})
    carol = make_user("carol@example.com")
    shared = _upload(carol, "notes.txt", {"project": "", "draft": ""})
    share_create_for_tag(owner=user, tag="project=apollo", email=other_user.email)
    share_create_for_file(file=shared, email=other_user.email)
    _upload(other_user, "mine.txt", {"project": ""})
    # when bob lists his tags
    body = other_api_client.get("/api/files/tags").json()
    # then he sees the tags of the files he may read, each marked with their owners,
    # and none of alice's files that the share does not cover ("private" on "zeus")
    assert body["results"] == [
        {"name": "project", "files": 3, "shared_by": ["alice@example.com", "carol@example.com"]},
        {"name": "draft", "files": 2, "shared_by": ["alice@example.com", "carol@example.com"]},
    ]


def test_a_revoked_share_or_a_trashed_file_takes_its_tags_away(
    s3_backend: Any, user: Any, other_user: Any, other_api_client: Any
) -> None:
    # given two of alice's files shared with bob, one by its tag
    plan = _upload(user, "plan.txt", {"apollo": ""})
    _upload(user, "budget.txt", {"budget": ""})
    by_tag = share_create_for_tag(owner=user, tag="budget", email=other_user.email)
    share_create_for_file(file=plan, email=other_user.email)
    assert sorted(_tag_names(other_api_client)) == ["apollo", "budget"]
    # when the tag share is revoked and the other file goes to the trash
    share_revoke(share=by_tag)
    file_trash(file=plan)
    # then neither tag is offered any more
    assert _tag_names(other_api_client) == []


def _tag_names(client: Any) -> list[str]:
    return [tag["name"] for tag in client.get("/api/files/tags").json()["results"]]


def test_bad_limit_is_a_typed_400(api_client: Any) -> None:
    response = api_client.get("/api/files/tags", {"limit": 0})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_signed_out_is_refused(client: Any) -> None:
    assert client.get("/api/files/tags").status_code in {401, 403}
