"""The chat page and the Files page through the Django test client: login required,
the user's own data only, markup in names escaped, the strict CSP on every page.

(Their behaviour in a browser is tested in chatui/tests/browser/.)
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from chat.services import session_create
from chatui.middleware import CONTENT_SECURITY_POLICY

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True),
]

XSS_NAME = "<img src=x onerror=alert(1)>.txt"


@pytest.fixture
def alice_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", ["/", "/files"])
def test_pages_require_login(path: str, s3_backend: Any) -> None:
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_files_page_lists_only_the_users_own_files(
    alice_client: Client, make_stored_file: Any, other_user: Any, s3_backend: Any
) -> None:
    # given a file of each user
    make_stored_file(filename="alice-report.txt")
    make_stored_file(owner=other_user, filename="bob-secret.txt")

    # when alice opens the Files page
    response = alice_client.get("/files")

    # then she sees hers, with its stats, and nothing of bob's
    html = response.content.decode()
    assert response.status_code == 200
    assert "alice-report.txt" in html
    assert "bob-secret" not in html
    assert re.search(r'data-stat="total_files">1<', html)
    assert "1 file · page 1 of 1" in html


def test_files_page_escapes_markup_in_filenames(
    alice_client: Client, make_stored_file: Any, s3_backend: Any
) -> None:
    make_stored_file(filename=XSS_NAME)

    html = alice_client.get("/files").content.decode()

    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in html
    assert "<img src=x" not in html


def test_files_page_applies_the_filters_in_the_url(
    alice_client: Client, make_stored_file: Any, s3_backend: Any
) -> None:
    make_stored_file(filename="notes.txt")
    make_stored_file(filename="table.csv", content=b"a,b\n1,2\n")

    html = alice_client.get("/files?category=data&q=tab").content.decode()

    assert "table.csv" in html and "notes.txt" not in html
    assert '<option value="data" selected>' in html
    assert 'value="tab"' in html


def test_files_page_in_contents_mode_lists_files_and_keeps_the_words(
    alice_client: Client, make_stored_file: Any, s3_backend: Any
) -> None:
    # given a file whose name does not contain the words searched in contents
    make_stored_file(filename="notes.txt")
    # when the page is opened in "Search in: Contents" mode (files.js then searches)
    html = alice_client.get("/files?mode=contents&q=walrus").content.decode()
    # then the words are not a name filter, and the mode and words are kept
    assert "notes.txt" in html
    assert '<input type="radio" name="mode" value="contents" checked>' in html
    assert 'value="walrus"' in html and "Search in file contents" in html


def test_files_page_ignores_bad_filter_values(
    alice_client: Client, make_stored_file: Any, s3_backend: Any
) -> None:
    make_stored_file(filename="notes.txt")

    response = alice_client.get("/files?ordering=bogus&category=nope&source=x&page=99")

    assert response.status_code == 200
    assert "notes.txt" in response.content.decode()


def test_chat_page_lists_only_the_users_own_chats(
    alice_client: Client, user: Any, other_user: Any, s3_backend: Any
) -> None:
    session_create(owner=user, title="Alice's plans")
    session_create(owner=other_user, title="Bob's secrets")
    session_create(owner=user, title="<script>alert(1)</script>")

    html = alice_client.get("/").content.decode()

    assert "Alice&#x27;s plans" in html
    assert "Bob" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


@pytest.mark.parametrize("path", ["/", "/files", "/accounts/login/", "/api/docs/"])
def test_pages_carry_the_strict_csp_and_no_inline_script(
    path: str, alice_client: Client, s3_backend: Any
) -> None:
    client = alice_client if path not in {"/accounts/login/", "/api/docs/"} else Client()

    response = client.get(path)

    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    html = response.content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert " src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert not re.search(r"\sstyle=", html), "inline style attribute"
    assert not re.search(r"<style\b", html), "inline <style>"


def test_json_and_downloads_keep_their_own_policy(
    s3_backend: Any, alice_client: Client, stored_file: Any
) -> None:
    listing = alice_client.get("/api/files")
    download = alice_client.get(f"/api/files/{stored_file.id}/download")

    assert "Content-Security-Policy" not in listing
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_api_docs_launcher_is_a_script_url(client: Client, s3_backend: Any) -> None:
    html = client.get("/api/docs/").content.decode()
    launcher = client.get("/api/docs/?script=")

    assert '<script src="/api/docs/?script="></script>' in html
    assert launcher.status_code == 200
    assert launcher["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in launcher.content.decode()
