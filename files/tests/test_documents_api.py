"""GET /api/files/{id}/text and GET /api/search, through the real worker."""

from __future__ import annotations

from typing import Any

import pytest

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
