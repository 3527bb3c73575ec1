"""Uploaded content never runs as this site's page, and names never become markup.

* HTML, SVG, script, XML, and files whose bytes contradict their extension are
  served as attachments even with ``?inline=1`` (streamed download, presigned
  redirect, admin download), always with ``nosniff`` and a sandboxing CSP where
  the app sends the body itself;
* a filename with markup is shown escaped on the Files page, the chat page and the
  admin changelist and change page;
* the chat websocket refuses a foreign (or missing) Origin.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from PIL import Image

from chat.services import session_create
from chatui.asgi import application
from chatui.testing.asgi import asgi_post
from files.content_types import is_inline_safe

pytestmark = [pytest.mark.django_db]
on_s3mock = pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)

MARKUP_NAME = "<img src=x onerror=alert(1)>\"'.txt"
ESCAPED_NAME = "&lt;img src=x onerror=alert(1)&gt;"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
# (filename, bytes, the browser's claimed type): none of these may render inline.
NEVER_INLINE = [
    ("page.html", HTML, "text/html"),
    ("page.htm", HTML, "text/plain"),
    ("vector.svg", SVG, "image/svg+xml"),
    ("svg-claims-png.png", SVG, "image/png"),  # bytes contradict the extension
    ("html-claims-jpg.jpg", HTML, "image/jpeg"),
    ("html-as-text.txt", HTML, "text/plain"),
    ("app.js", b"alert(1)\n", "text/javascript"),
    ("feed.xml", b"<?xml version='1.0'?><x:script xmlns:x='http://www.w3.org/1999/xhtml'/>", ""),
    ("doc.xhtml", b'<html xmlns="http://www.w3.org/1999/xhtml"><script>1</script></html>', ""),
    ("pdf-named.png", _pdf(), "image/png"),  # a PDF where an image was promised
    ("png-named.html", _png(), "text/html"),  # an image where a page was promised
    ("png-named.pdf", _png(), "application/pdf"),
    ("text-named.svg", b"just words\n", "image/svg+xml"),
    ("binary.bin", bytes(range(256)), "text/html"),  # the claimed type is ignored
]
INLINE_OK = [("photo.png", _png(), "image/png"), ("report.pdf", _pdf(), "application/pdf")]


def _upload(api_client: Any, name: str, content: bytes, claimed: str) -> dict[str, Any]:
    upload = {"file": (name, content, claimed or "application/octet-stream")}
    response = asgi_post("/api/files", client=api_client, files=upload)
    assert response.status_code == 201, response.content
    return response.json()


@on_s3mock
def test_active_or_contradicting_content_is_always_an_attachment(
    s3_backend: Any, api_client: Any
) -> None:
    problems = []
    for name, content, claimed in NEVER_INLINE:
        file = _upload(api_client, name, content, claimed)
        response = api_client.get(f"/api/files/{file['id']}/download?inline=1")
        body = b"".join(response.streaming_content)
        headers = {k: response.get(k, "") for k in ("Content-Type", "Content-Disposition")}
        if body != content:
            problems.append(f"{name}: the bytes changed")
        if not response["Content-Disposition"].startswith("attachment"):
            problems.append(f"{name} ({file['content_type']}): served inline {headers}")
        if response["X-Content-Type-Options"] != "nosniff":
            problems.append(f"{name}: no nosniff")
        if "sandbox" not in response["Content-Security-Policy"]:
            problems.append(f"{name}: no sandboxing CSP")
        if claimed in ("image/png", "image/jpeg") and file["content_type"] == claimed:
            problems.append(f"{name}: the browser's claimed type was trusted")
    assert not problems, "\n".join(problems)


@on_s3mock
def test_raster_images_and_pdfs_named_as_such_may_be_shown_inline(
    s3_backend: Any, api_client: Any
) -> None:
    for name, content, claimed in INLINE_OK:
        file = _upload(api_client, name, content, claimed)
        response = api_client.get(f"/api/files/{file['id']}/download?inline=1")
        assert response["Content-Disposition"].startswith("inline"), name
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("content_type", "filename", "inline"),
    [
        ("image/png", "a.png", True),
        ("image/png", "a.PNG", True),
        ("image/png", "a.html", False),
        ("image/png", "a", False),
        ("application/pdf", "a.png", False),
        ("text/plain", "a.txt", True),
        ("text/plain", "README", True),
        ("text/plain", "a.svg", False),
        ("text/plain", "a.html", False),
        ("image/svg+xml", "a.svg", False),
        ("text/html", "a.html", False),
    ],
)
def test_is_inline_safe_needs_type_and_extension_to_agree(
    content_type: str, filename: str, inline: bool
) -> None:
    assert is_inline_safe(content_type, filename) is inline


@on_s3mock
def test_presigned_redirect_also_makes_s3_send_an_attachment(
    s3_backend: Any, api_client: Any, settings: Any
) -> None:
    import httpx

    settings.FILES_DOWNLOAD_REDIRECT = True
    for name, content, claimed in NEVER_INLINE[:4]:
        file = _upload(api_client, name, content, claimed)
        response = api_client.get(f"/api/files/{file['id']}/download?inline=1")
        assert response.status_code == 302
        signed = parse_qs(urlparse(response["Location"]).query)
        assert signed["response-content-disposition"][0].startswith("attachment"), name
        fetched = httpx.get(response["Location"], timeout=10)  # what the browser would get
        assert fetched.status_code == 200 and fetched.content == content
        assert fetched.headers["content-disposition"].startswith("attachment"), name


@on_s3mock
def test_admin_download_never_inlines_active_content(
    s3_backend: Any, make_user: Any, api_client: Any
) -> None:
    staff = make_user("root@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    for name, content, claimed in NEVER_INLINE[:5]:
        file = _upload(api_client, name, content, claimed)
        response = client.get(f"/admin/files/storedfile/{file['id']}/download/?inline=1")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment"), name
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]


# --- Names with markup, on every page that shows them ---------------------------------------


@on_s3mock
def test_a_filename_with_markup_is_escaped_on_every_page(
    s3_backend: Any, user: Any, make_user: Any, make_stored_file: Any
) -> None:
    session = session_create(owner=user, title=MARKUP_NAME)
    file = make_stored_file(
        filename=MARKUP_NAME, session_id=session.id, tags={MARKUP_NAME: MARKUP_NAME}
    )
    owner, staff = Client(), Client()
    owner.force_login(user)
    staff.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    pages = {
        "Files page": owner.get("/files"),
        "chat page": owner.get("/"),
        "admin changelist": staff.get("/admin/files/storedfile/"),
        "admin change page": staff.get(f"/admin/files/storedfile/{file.pk}/change/"),
        "admin chat changelist": staff.get("/admin/chat/chatsession/"),
        "admin user page": staff.get(f"/admin/chatui/user/{user.pk}/change/"),
    }
    for page, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, page
        assert "<img src=x" not in html, f"{page} renders the name as markup"
        assert ESCAPED_NAME in html, f"{page} does not show the name"


# --- The websocket's Origin check -------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin", [b"http://evil.example", b"http://localhost.evil.example", b"null", None]
)
async def test_the_websocket_refuses_a_foreign_or_missing_origin(origin: bytes | None) -> None:
    from channels.db import database_sync_to_async

    from chat.tests.conftest import session_cookie
    from chatui.models import User

    user = await database_sync_to_async(User.objects.create_user)(
        email="alice@example.com", password="pw-for-tests-1"
    )
    cookie = await database_sync_to_async(session_cookie)(user)
    headers = [(b"cookie", f"sessionid={cookie}".encode())]
    if origin is not None:
        headers.append((b"origin", origin))
    comm = WebsocketCommunicator(application, "/ws/chat/", headers=headers)

    connected, _ = await comm.connect()

    assert not connected
    await comm.disconnect()
