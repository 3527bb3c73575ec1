"""Always-JSON errors: deep and huge JSON bodies are typed refusals, and no HTML under /api/.

Finding (issue #20, low): 1,000 levels of nested JSON gave a 500 on /api/chats,
/api/tools/*/run and the multipart ``tags`` field; with DEBUG=false an HTML page.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from chatui.json_limits import json_depth_exceeds, json_loads_limited
from chatui.testing.asgi import asgi_post

pytestmark = pytest.mark.django_db
DEEP = "[" * 1000 + "]" * 1000


def _post_json(api_client: Any, path: str, body: str) -> Any:
    return api_client.generic("POST", path, body, content_type="application/json")


@pytest.mark.parametrize("path", ["/api/chats", "/api/tools/csv_summary/run"])
def test_deeply_nested_json_is_a_typed_400(api_client: Any, path: str) -> None:
    response = _post_json(
        api_client, path, json.dumps({"title": json.loads("[" * 30 + "]" * 30)}).replace("[]", DEEP)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"


def test_deep_tags_in_a_multipart_upload_are_a_typed_400(api_client: Any, s3_backend: Any) -> None:
    upload = {"file": ("a.txt", b"hello", "text/plain")}
    tags = {"tags": '{"a": ' + DEEP + "}"}
    response = asgi_post("/api/files", client=api_client, files=upload, data=tags)
    assert response.status_code == 400
    assert response.json()["code"] == "json_too_deep"


def test_a_json_body_over_the_size_limit_is_413(api_client: Any, settings: Any) -> None:
    settings.API_JSON_MAX_BYTES = 1000
    response = _post_json(api_client, "/api/chats", json.dumps({"title": "x" * 2000}))
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_json_within_the_limits_still_parses(api_client: Any) -> None:
    response = _post_json(api_client, "/api/chats", json.dumps({"title": "plans [{x}]"}))
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "plans [{x}]"


def test_depth_ignores_brackets_inside_strings() -> None:
    assert not json_depth_exceeds(json.dumps({"a": "[[[[[[[[[[" * 100}), 3)
    assert json_depth_exceeds('{"a": [[["x"]]]}', 3)
    assert json_loads_limited('{"a": "\\"[[["}', max_depth=2) == {"a": '"[[['}


def test_an_unknown_api_url_is_json_404() -> None:
    response = Client().get("/api/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
    assert Client().get("/no-such-page").headers["Content-Type"].startswith("text/html")


def test_an_unexpected_api_failure_is_json_500(user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tools import apis

    def broken() -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(apis, "tool_list", broken)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get("/api/tools")
    assert response.status_code == 500
    assert response.json() == {
        "code": "internal_error",
        "message": "Something went wrong on our side; it was logged.",
    }


def test_too_many_form_fields_under_api_is_json_400(user: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.post("/api/chats", {f"f{n}": "x" for n in range(10)})
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid", "unsupported_media_type"}
