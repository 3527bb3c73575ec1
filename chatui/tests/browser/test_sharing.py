"""Sharing in a real browser: a link opened in a fresh context with no session and
downloaded; a file shared with a second user, seen in their "Shared with me", used in
their chat, revoked, and gone; a tag shared from "Share a tag", the recipient finding
the tagged file by its contents, and the tag share revoked from "Shared by me".
Screenshots of each screen go to the screenshot folder (``CHATUI_SCREENSHOT_DIR``)
under ``sharing-*``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import REPORT, SCREENSHOT_DIR
from .test_documents import start_worker  # noqa: F401 (a fixture, used by name)
from .test_pages import CSV, file_row, open_chat, send_message

pytestmark = pytest.mark.browser
VIEWS = {
    "light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "dark": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "dark"},
    "narrow": {"viewport": {"width": 390, "height": 844}, "color_scheme": "light"},
}


def _shot(page: Any, name: str, saved: list[Path], *, full: bool = False) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"sharing-{name}.png"
    page.screenshot(path=path, full_page=full)
    saved.append(path)


def test_share_a_link_and_with_a_person_then_revoke(make_session: Any, live_site: Any) -> None:
    saved: list[Path] = []
    alice = make_session()
    bob = make_session()
    alice.upload("quarterly-sales.csv", CSV, "text/csv")
    page = alice.page
    page.goto("/files")

    # alice makes a link from the Share dialog; its URL is shown once
    file_row(page, "quarterly-sales.csv").get_by_role(
        "button", name="Share quarterly-sales.csv"
    ).click()
    dialog = page.locator("#share-dialog")
    expect(dialog).to_be_visible()
    page.fill("#share-max", "5")
    dialog.get_by_role("button", name="Create link").click()
    expect(page.locator("#share-new")).to_be_visible()
    url = page.locator("#share-url").input_value()
    assert "/s/" in url
    expect(page.locator("#share-links .share-item")).to_have_count(1)

    # ... and shares the file with bob by email
    page.fill("#share-email", bob.email)
    dialog.get_by_role("button", name="Share", exact=True).click()
    expect(page.locator("#share-users .share-item")).to_contain_text(bob.email)
    _shot(page, "dialog-light", saved)

    # a browser with no session opens the link: name, a CSV preview, the download
    stranger = make_session(signed_in=False)
    stranger.page.goto(url)
    expect(stranger.page.locator(".share-name")).to_have_text("quarterly-sales.csv")
    expect(stranger.page.locator(".share-table th").first).to_have_text("day")
    _shot(stranger.page, "public-light", saved)
    with stranger.page.expect_download() as download:
        stranger.page.get_by_role("link", name="Download").click()
    assert Path(download.value.path()).read_bytes() == CSV

    # the owner sees the visit and the download counted
    page.reload()
    file_row(page, "quarterly-sales.csv").get_by_role(
        "button", name="Share quarterly-sales.csv"
    ).click()
    expect(page.locator("#share-links .share-counts")).to_have_text("1 visit · 1 download")
    page.keyboard.press("Escape")

    # bob finds it under "Shared with me", with alice as its owner
    bob.page.goto("/files?shared=with_me")
    row = file_row(bob.page, "quarterly-sales.csv")
    expect(row.locator(".badge-shared")).to_have_text(f"from {alice.email}")
    expect(row.get_by_role("button", name="Delete quarterly-sales.csv")).to_have_count(0)
    _shot(bob.page, "shared-with-me-light", saved)

    # bob uses it in a chat: a tool runs on it, the output is bob's
    file_id = bob.api_get("/api/files?shared=with_me")[1]["results"][0]["id"]
    open_chat(bob.page)
    reply = send_message(bob.page, f'/csv_summary {{"file_id": "{file_id}"}}')
    expect(reply).to_contain_text("csv_summary finished")
    expect(reply).not_to_contain_text("File not found")

    # alice revokes; bob's next look and next use find nothing
    page.reload()
    file_row(page, "quarterly-sales.csv").get_by_role(
        "button", name="Share quarterly-sales.csv"
    ).click()
    page.get_by_role("button", name=f"Stop sharing with {bob.email}").click()
    expect(page.locator("#share-users .share-item")).to_have_count(0)
    bob.page.goto("/files?shared=with_me")
    expect(bob.page.locator("#empty-state")).to_have_text("Nothing is shared with you yet.")
    open_chat(bob.page)
    reply = send_message(bob.page, f'/csv_summary {{"file_id": "{file_id}"}}')
    expect(reply).to_contain_text("File not found")

    # the same screens in dark and at phone width
    status, _ = alice.api_get("/api/links")
    assert status == 200
    for name, options in VIEWS.items():
        if name == "light":
            continue
        viewer = make_session(alice.email, **options)
        viewer.page.goto("/files")
        file_row(viewer.page, "quarterly-sales.csv").get_by_role(
            "button", name="Share quarterly-sales.csv"
        ).click()
        expect(viewer.page.locator("#share-links .share-item")).to_have_count(1)
        _shot(viewer.page, f"dialog-{name}", saved)
        anonymous = make_session(signed_in=False, **options)
        anonymous.page.goto(url)
        expect(anonymous.page.locator(".share-name")).to_be_visible()
        _shot(anonymous.page, f"public-{name}", saved, full=name == "narrow")
    REPORT.append(f"sharing screenshots: {', '.join(p.name for p in saved)}")


def test_a_password_link_to_an_image_in_a_fresh_browser(make_session: Any) -> None:
    from .test_pages import png_bytes

    saved: list[Path] = []
    alice = make_session()
    photo = alice.upload("team-photo.png", png_bytes((320, 200), "#f59e0b"), "image/png")
    created = alice.context.request.post(
        f"{alice.site.url}/api/files/{photo['id']}/links",
        data={"expires_in": 3600, "password": "hunter-22"},
        headers={"X-CSRFToken": alice.csrf(), "Referer": alice.site.url},
    )
    assert created.status == 201
    url = created.json()["url"]
    for name, options in VIEWS.items():
        visitor = make_session(signed_in=False, **options)
        page = visitor.page
        page.goto(url)
        expect(page.get_by_role("heading", name="Password needed")).to_be_visible()
        assert "team-photo.png" not in page.content()
        if name == "light":
            visitor.console.allow(r"status of 403")
            page.fill("#id_share_password", "wrong")
            page.get_by_role("button", name="Open").click()
            expect(page.locator(".error")).to_have_text("That password is not right.")
            _shot(page, "password-light", saved)
        page.fill("#id_share_password", "hunter-22")  # the form posts with its CSRF token
        page.get_by_role("button", name="Open").click()
        image = page.get_by_role("img", name="Preview of team-photo.png")
        expect(image).to_be_visible()
        page.wait_for_function("() => document.querySelector('.share-preview img').complete")
        assert page.evaluate("document.querySelector('.share-preview img').naturalWidth") == 320
        _shot(page, f"public-image-{name}", saved, full=name == "narrow")
    REPORT.append(f"sharing screenshots: {', '.join(p.name for p in saved)}")


def test_share_a_tag_find_its_file_by_content_and_revoke(
    make_session: Any,
    start_worker: Any,  # noqa: F811 (the imported fixture)
) -> None:
    saved: list[Path] = []
    alice = make_session()
    bob = make_session()
    notes = alice.upload("apollo-notes.txt", b"The wombat launch slips to May.\n")
    tagged = alice.context.request.patch(
        f"{alice.site.url}/api/files/{notes['id']}",
        data={"tags": {"project": "apollo"}},
        headers={"X-CSRFToken": alice.csrf(), "Referer": alice.site.url},
    )
    assert tagged.status == 200
    start_worker()
    page = alice.page

    # alice shares the tag "project" with bob from "Share a tag" on "Shared by me"
    page.goto("/files?shared=by_me")
    page.get_by_role("button", name="Share a tag").click()
    dialog = page.locator("#share-dialog")
    expect(dialog.get_by_role("heading", name="Share a tag")).to_be_visible()
    expect(page.locator("#share-links-section")).to_be_hidden()
    page.fill("#share-tag", "project")
    page.fill("#share-tag-email", bob.email)
    dialog.get_by_role("button", name="Share", exact=True).click()
    expect(page.locator("#share-tags .share-item")).to_contain_text(f"#project with {bob.email}")
    _shot(page, "tag-dialog-light", saved)
    page.keyboard.press("Escape")
    # the view lists the tag share and the file it covers now
    expect(page.locator("#shared-tags-list .share-item")).to_contain_text("#project")
    badge = file_row(page, "apollo-notes.txt").locator(".badge-text")
    expect(badge).to_have_attribute("data-text-status", "ready", timeout=30_000)
    _shot(page, "tag-shared-by-me-light", saved)

    # bob finds the file by its contents, marked as alice's
    bob.page.goto("/files?mode=contents&q=wombat")
    hit = bob.page.locator("#search-hits .content-hit")
    expect(hit).to_have_count(1, timeout=30_000)
    expect(hit.locator(".content-hit-name")).to_have_text("apollo-notes.txt")
    expect(hit.locator(".badge-shared")).to_have_text(f"from {alice.email}")
    _shot(bob.page, "tag-search-light", saved)

    # the same screens in dark and at phone width
    for name, options in VIEWS.items():
        if name == "light":
            continue
        viewer = make_session(alice.email, **options)
        viewer.page.goto("/files?shared=by_me")
        expect(viewer.page.locator("#shared-tags-list .share-item")).to_have_count(1)
        _shot(viewer.page, f"tag-shared-by-me-{name}", saved, full=name == "narrow")
        viewer.page.get_by_role("button", name="Share a tag").click()
        expect(viewer.page.locator("#share-tags .share-item")).to_have_count(1)
        _shot(viewer.page, f"tag-dialog-{name}", saved)
        reader = make_session(bob.email, **options)
        reader.page.goto("/files?mode=contents&q=wombat")
        expect(reader.page.locator("#search-hits .badge-shared")).to_be_visible()
        _shot(reader.page, f"tag-search-{name}", saved)

    # alice revokes it from the view; bob's search and "Shared with me" find nothing
    page.get_by_role("button", name=f"Stop sharing the tag project with {bob.email}").click()
    expect(page.locator("#shared-tags")).to_be_hidden()
    expect(page.locator("#empty-state")).to_have_text("You have not shared any files yet.")
    bob.page.reload()
    expect(bob.page.locator("#search-hits .content-hit")).to_have_count(0)
    bob.page.goto("/files?shared=with_me")
    expect(bob.page.locator("#empty-state")).to_have_text("Nothing is shared with you yet.")
    REPORT.append(f"sharing screenshots: {', '.join(p.name for p in saved)}")
