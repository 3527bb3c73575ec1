"""GET /api/tools/{name}/files and /columns: what the generated tool forms offer."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from chatui.testing.asgi import asgi_post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("s3_backend")]

CSV = b"day,revenue,costs\n2024-01-01,10,7\n2024-01-02,12,8\n"


def _upload(client: APIClient, content: bytes, filename: str) -> dict[str, Any]:
    upload = {"file": (filename, content, "text/plain")}
    response = asgi_post("/api/files", client=client, files=upload)
    assert response.status_code == 201, response.json()
    return response.json()


def test_files_offers_only_what_the_tool_reads(api_client: APIClient) -> None:
    # given a CSV, a PNG-named file and a PDF-named file
    csv = _upload(api_client, CSV, "sales.csv")
    _upload(api_client, b"not really", "notes.pdf")
    # when plot_csv asks for its files
    body = api_client.get("/api/tools/plot_csv/files").json()
    # then only the CSV is offered; zip_files (no x-accept) takes any file
    assert [f["id"] for f in body] == [csv["id"]]
    assert len(api_client.get("/api/tools/zip_files/files").json()) == 2


def test_files_searches_names(api_client: APIClient) -> None:
    _upload(api_client, CSV, "sales.csv")
    other = _upload(api_client, CSV, "weather.csv")
    body = api_client.get("/api/tools/plot_csv/files", {"q": "weath"}).json()
    assert [f["id"] for f in body] == [other["id"]]


def test_files_of_an_unknown_tool_is_a_typed_404(api_client: APIClient) -> None:
    response = api_client.get("/api/tools/nope/files")
    assert response.status_code == 404 and response.json()["code"] == "unknown_tool"


def test_columns_reads_the_header(api_client: APIClient) -> None:
    csv = _upload(api_client, CSV, "sales.csv")
    response = api_client.get("/api/tools/plot_csv/columns", {"file": csv["id"]})
    assert response.status_code == 200
    assert response.json() == {"columns": ["day", "revenue", "costs"]}


def test_columns_of_a_large_file_read_whole_lines(api_client: APIClient) -> None:
    big = b"a,b\n" + b"1,2\n" * 40_000  # 160 KB: only the first 64 KiB is read
    csv = _upload(api_client, big, "big.csv")
    assert api_client.get("/api/tools/plot_csv/columns", {"file": csv["id"]}).json() == {
        "columns": ["a", "b"]
    }


def test_columns_of_another_users_file_is_not_found(
    api_client: APIClient, other_api_client: APIClient
) -> None:
    csv = _upload(other_api_client, CSV, "theirs.csv")
    response = api_client.get("/api/tools/plot_csv/columns", {"file": csv["id"]})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
