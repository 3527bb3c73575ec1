"""GET /api/files/{id}/text and GET /api/search, through the real worker."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from files.models import ShareAccess
from files.services import file_upload

from . import documents_factory as docs
from .test_documents import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def report(s3_backend: Any, user: Any) -> Any:
    file = file_upload(
        owner=user,
        content=docs.pdf_with_pages(["first page", "second page koala", "third page koala"]),
        filename="report.pdf",
    )
    run_worker()
    return file


def test_file_object_carries_text_status_pages_and_error(api_client: Any, report: Any) -> None:
    body = api_client.get(f"/api/files/{report.pk}").json()
    assert (body["text_status"], body["pages"], body["text_error"]) == ("ready", 3, "")
    assert body["words"] == 8


def test_text_of_one_page(api_client: Any, report: Any) -> None:
    response = api_client.get(f"/api/files/{report.pk}/text?page=2")
    assert response.status_code == 200
    assert response.json()["text"].strip() == "second page koala"
    assert response.json()["pages"] == 3
    assert api_client.get(f"/api/files/{report.pk}/text?page=4").json()["code"] == "invalid"


def test_text_is_for_the_owner_only(other_api_client: Any, report: Any) -> None:
    response = other_api_client.get(f"/api/files/{report.pk}/text?page=1")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_text_of_a_failed_file_is_a_typed_409(s3_backend: Any, user: Any, api_client: Any) -> None:
    file = file_upload(owner=user, content=docs.encrypted_pdf("x"), filename="locked.pdf")
    run_worker()
    body = api_client.get(f"/api/files/{file.pk}/text").json()
    assert body["code"] == "text_not_available"
    assert body["details"] == {"text_status": "failed", "text_error": "encrypted"}


def test_search_ranks_pages_and_paginates(api_client: Any, report: Any) -> None:
    body = api_client.get("/api/search?q=koala&page_size=1").json()
    assert body["count"] == 2
    assert [hit["page"] for hit in body["results"]] in ([2], [3])
    assert body["results"][0]["filename"] == "report.pdf"
    assert "<mark>koala</mark>" in body["results"][0]["snippet_html"]
    assert body["previous"] is None
    second = api_client.get(body["next"]).json()
    assert second["next"] is None
    pages = {body["results"][0]["page"], second["results"][0]["page"]}
    assert pages == {2, 3}


def test_search_count_is_capped_and_says_so(
    api_client: Any, report: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given more matches than the count limit (two pages say "page", limit one)
    monkeypatch.setattr("files.documents.search.COUNT_LIMIT", 1)
    # when searching
    body = api_client.get("/api/search?q=page&page_size=1").json()
    # then the count is "at least 2", flagged, and the next page still links
    assert (body["count"], body["count_exact"]) == (2, False)
    assert body["next"] is not None and len(body["results"]) == 1
    exact = api_client.get("/api/search?q=first").json()
    assert (exact["count"], exact["count_exact"]) == (1, True)


def test_search_filters_like_the_file_list(api_client: Any, report: Any, user: Any) -> None:
    file_upload(owner=user, content=b"koala notes", filename="notes.txt")
    run_worker()
    assert api_client.get("/api/search?q=koala").json()["count"] == 3
    assert api_client.get("/api/search?q=koala&name=notes").json()["count"] == 1
    only_code = api_client.get("/api/search?q=koala&category=code").json()
    assert only_code["count"] == 0


def test_search_is_isolated_and_validates(
    other_api_client: Any, api_client: Any, report: Any
) -> None:
    assert other_api_client.get("/api/search?q=koala").json()["count"] == 0
    assert api_client.get("/api/search?q=%21%21").json()["code"] == "invalid"
    assert api_client.get("/api/search").status_code == 400


def test_search_finds_files_shared_with_the_user_until_the_share_is_revoked(
    api_client: Any, other_api_client: Any, report: Any, other_user: Any, make_user: Any
) -> None:
    # given alice's indexed report, bob's own koala notes, and carol, a stranger
    file_upload(owner=other_user, content=b"koala diary of bob", filename="diary.txt")
    run_worker()
    carol = APIClient()
    carol.force_authenticate(make_user("carol@example.com"))

    def bob(query: str = "") -> list[tuple[str, str | None]]:
        rows = other_api_client.get(f"/api/search?q=koala{query}").json()["results"]
        return sorted((row["filename"], row["shared_by"]) for row in rows)

    assert bob() == [("diary.txt", None)]
    # when alice shares the report with bob
    share = api_client.post(
        f"/api/files/{report.pk}/shares", {"email": other_user.email}, format="json"
    ).json()
    # then bob finds its pages by content, marked with the owner, next to his own file
    shared = [("report.pdf", "alice@example.com")] * 2
    assert bob() == sorted([("diary.txt", None), *shared])
    assert bob("&shared=with_me") == shared
    assert bob("&shared=by_me") == []  # bob shares nothing
    hit = other_api_client.get("/api/search?q=koala&shared=with_me").json()["results"][0]
    assert "<mark>koala</mark>" in hit["snippet_html"]
    # a snippet is a read: audited once per file shown, with bob and his address
    reads = ShareAccess.objects.filter(user=other_user, file_id=report.pk)
    assert set(reads.values_list("action", "ip_address")) == {("read", "127.0.0.1")}
    # alice's own view is unchanged; the stranger finds nothing, not even a count
    assert {r["shared_by"] for r in api_client.get("/api/search?q=koala").json()["results"]} == {
        None
    }
    assert api_client.get("/api/search?q=koala&shared=with_me").json()["count"] == 0
    assert carol.get("/api/search?q=koala").json() == _empty()
    # when alice revokes, the very next search forgets it
    assert api_client.delete(f"/api/shares/{share['id']}").status_code == 204
    assert bob() == [("diary.txt", None)]
    assert other_api_client.get("/api/search?q=koala&shared=with_me").json() == _empty()


def test_search_follows_a_tag_share_and_the_trash(
    api_client: Any, other_api_client: Any, report: Any, other_user: Any
) -> None:
    # given a tag share of "project" with bob, and the report not yet tagged
    answer = api_client.post("/api/tags/project/shares", {"email": other_user.email}, format="json")
    assert answer.status_code == 201

    def count() -> int:
        return other_api_client.get("/api/search?q=koala").json()["count"]

    assert count() == 0
    # when alice tags it, bob finds it; in the trash, he does not; restored, again
    api_client.patch(f"/api/files/{report.pk}", {"tags": {"project": "x"}}, format="json")
    assert count() == 2
    assert api_client.delete(f"/api/files/{report.pk}").status_code == 204
    assert count() == 0
    assert api_client.post(f"/api/files/{report.pk}/restore").status_code == 200
    assert count() == 2
    # filters apply to shared files as to one's own
    assert other_api_client.get("/api/search?q=koala&name=report").json()["count"] == 2
    assert other_api_client.get("/api/search?q=koala&category=code").json()["count"] == 0
    assert other_api_client.get("/api/search?q=koala&tagged=true").json()["count"] == 0


def _empty() -> dict[str, Any]:
    return {"count": 0, "count_exact": True, "next": None, "previous": None, "results": []}
