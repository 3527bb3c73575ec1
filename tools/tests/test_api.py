"""The tools API, and the end-to-end path: upload a CSV, plot it, download the PNG,
with storage over HTTP against a live s3mock."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from rest_framework.test import APIClient

from chat.models import ChatSession
from chatui.testing.asgi import asgi_post
from files.models import StoredFile
from tools.models import ToolRun
from tools.registry import tool_list

pytestmark = pytest.mark.django_db

CSV = "month,sales,costs\nJan,10,7\nFeb,12,8\nMär,9,9.5\n".encode()


def _upload(client: APIClient, content: bytes, filename: str, **extra: Any) -> dict[str, Any]:
    upload = {"file": (filename, content, "text/csv")}
    response = asgi_post("/api/files", client=client, files=upload, data=extra)
    assert response.status_code == 201, response.json()
    return response.json()


def _run(client: APIClient, name: str, body: Any) -> Any:
    return client.post(f"/api/tools/{name}/run", body, format="json")


# --- GET /api/tools ---------------------------------------------------------------------


def test_list_tools(api_client: APIClient) -> None:
    response = api_client.get("/api/tools")
    assert response.status_code == 200
    body = response.json()
    assert [t["name"] for t in body] == [t.name for t in tool_list()]
    plot = next(t for t in body if t["name"] == "plot_csv")
    assert set(plot) == {"name", "description", "parameters"}
    params = plot["parameters"]
    assert params["type"] == "object" and params["additionalProperties"] is False
    assert params["properties"]["file_id"]["x-file"] is True
    assert {"x", "y", "kind"} <= set(params["properties"])


def test_tools_need_authentication(anon_client: APIClient) -> None:
    assert anon_client.get("/api/tools").json()["code"] == "not_authenticated"
    response = _run(anon_client, "csv_summary", {"file_id": "x"})
    assert response.status_code in {401, 403} and response.json()["code"] == "not_authenticated"


def test_session_authentication_works(user: Any) -> None:
    client = APIClient()
    client.force_login(user)
    assert client.get("/api/tools").status_code == 200


# --- POST /api/tools/{name}/run: errors ----------------------------------------------------


def test_unknown_tool_is_404(api_client: APIClient) -> None:
    response = _run(api_client, "format_disk", {})
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_tool"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"file_id": "x", "y": "a", "bogus": 1}, "Additional properties"),
        ({"file_id": "x"}, "'y' is a required property"),
        (["a", "list"], "JSON object"),
    ],
)
def test_invalid_arguments_are_a_typed_400(api_client: APIClient, body: Any, words: str) -> None:
    response = _run(api_client, "plot_csv", body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_tool_arguments"
    assert words in response.json()["message"]


def test_another_users_file_is_404_and_nothing_is_stored(
    api_client: APIClient, other_api_client: APIClient, s3_backend: Any
) -> None:
    mine = _upload(api_client, CSV, "sales.csv")
    response = _run(other_api_client, "plot_csv", {"file_id": mine["id"], "y": "sales"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not StoredFile.objects.filter(source="tool").exists()
    assert s3_backend.list_keys() == [mine["key"]]
    assert ToolRun.objects.get().status == "error"


def test_another_users_session_is_refused(
    api_client: APIClient, other_user: Any, s3_backend: Any
) -> None:
    mine = _upload(api_client, CSV, "sales.csv")
    theirs = ChatSession.objects.create(owner=other_user)
    body = {"file_id": mine["id"], "session": str(theirs.pk)}
    response = _run(api_client, "csv_summary", body)
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_a_tool_error_is_typed(api_client: APIClient, s3_backend: Any) -> None:
    mine = _upload(api_client, CSV, "sales.csv")
    response = _run(api_client, "plot_csv", {"file_id": mine["id"], "y": "month"})
    assert response.status_code == 422
    assert response.json() == {
        "code": "tool_failed",
        "message": "Column 'month' is not numeric: row 2 holds 'Jan'.",
    }


# --- End to end ---------------------------------------------------------------------------


def test_upload_plot_download_end_to_end(api_client: APIClient, user: Any, s3_backend: Any) -> None:
    # given a CSV uploaded through the files API into a chat
    session = ChatSession.objects.create(owner=user)
    csv_file = _upload(api_client, CSV, "sales.csv", session=str(session.pk))
    # when plot_csv runs through the tools API
    body = {
        "file_id": csv_file["id"],
        "x": "month",
        "y": ["sales", "costs"],
        "kind": "line",
        "session": str(session.pk),
    }
    response = _run(api_client, "plot_csv", body)
    # then it answers with the text and the stored PNG's metadata
    assert response.status_code == 200, response.json()
    result = response.json()
    assert "Plotted sales, costs from sales.csv" in result["text"]
    [png] = result["files"]
    assert (png["source"], png["source_tool"], png["session"]) == (
        "tool",
        "plot_csv",
        str(session.pk),
    )
    assert png["key"].startswith("users/alice@example.com/generated/")
    assert png["filename"] == "sales_line.png" and png["content_type"] == "image/png"
    assert ToolRun.objects.get(pk=result["run_id"]).status == "success"
    # and the PNG downloads through the files API and decodes
    download = api_client.get(f"/api/files/{png['id']}/download")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert len(content) == png["size"]
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "PNG" and image.size == (900, 500)
    # and it is listed like any file, as a tool's file
    listed = api_client.get("/api/files", {"source": "tool"}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [png["id"]]
    assert png["key"] in s3_backend.list_keys(f"users/{user.email}/generated/")


def test_csv_summary_by_filename_in_a_session(
    api_client: APIClient, user: Any, s3_backend: Any
) -> None:
    session = ChatSession.objects.create(owner=user)
    _upload(api_client, CSV, "sales.csv", session=str(session.pk))
    body = {"filename": "sales.csv", "session": str(session.pk)}
    response = _run(api_client, "csv_summary", body)
    assert response.status_code == 200, response.json()
    assert response.json()["text"].startswith("sales.csv: 3 rows x 3 columns")
    assert response.json()["files"] == []
