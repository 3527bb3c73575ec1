"""Versions and the trash in a real browser: drop a same-named file as a new version,
open the history, compare two versions, restore one; delete a chat and restore its
file from the trash. Screenshots (light, dark, 390 px) go to /screenshots/versions/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .test_pages import SCREENSHOT_VIEWS, drop_files, file_row, open_chat, send_message

pytestmark = pytest.mark.browser

SHOTS = Path("/screenshots/versions")
V1 = b"Quarterly report\nrevenue: 10\ncosts: 7\n"
V2 = b"Quarterly report\nrevenue: 12\ncosts: 7\nnote: better than planned\n"


def _new_version_by_drop(page: Any) -> None:
    drop_files(page, "#dropzone", [("report.txt", V2, "text/plain")])
    dialog = page.locator("#same-name-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#same-name-text")).to_contain_text("version 2")
    dialog.get_by_role("button", name="Upload as new version").click()
    expect(page.locator("#uploads li[data-state=done]")).to_have_count(1)
    expect(file_row(page, "report.txt").locator(".badge-version")).to_have_text("v2")


def test_drop_a_same_named_file_history_diff_and_restore(session: Any) -> None:
    session.upload("report.txt", V1)
    page = session.page
    page.goto("/files")
    _new_version_by_drop(page)
    expect(page.locator("#files-body tr")).to_have_count(1)  # a version, not a second file

    file_row(page, "report.txt").locator(".badge-version").click()
    history = page.locator("#history-dialog")
    expect(history.locator(".version-item")).to_have_count(2)
    expect(history.locator(".version-item").first).to_contain_text("v2 · current")
    history.get_by_role("button", name="Compare v1 with v2").click()
    diff = history.locator("#diff-view")
    expect(diff.locator(".diff-add")).to_have_text(["+revenue: 12", "+note: better than planned"])
    expect(diff.locator(".diff-del")).to_have_text(["-revenue: 10"])

    history.get_by_role("button", name="Restore v1 as a new version").click()
    expect(history.locator(".version-item")).to_have_count(3)
    expect(history.locator(".version-item").first).to_contain_text("Restored from v1")
    history.get_by_role("button", name="Close versions").click()
    expect(file_row(page, "report.txt").locator(".badge-version")).to_have_text("v3")
    status, body = session.api_get(f"/api/files/{_file_id(session, 'report.txt')}")
    assert status == 200 and (body["version"], body["size"]) == (3, len(V1))


def test_delete_a_chat_then_restore_its_file_from_the_trash(session: Any) -> None:
    page = session.page
    open_chat(page)
    send_message(page, "Hello.")  # the chat exists: what is dropped now is made in it
    drop_files(page, "#message-input", [("draft.txt", b"first draft\n", "text/plain")])
    expect(page.locator("#uploads li[data-state=done]")).to_have_count(1)
    send_message(page, "Please read my draft.")

    page.locator("#session-list .session-item").first.get_by_role(
        "button", name=re.compile("^Delete")
    ).click()
    summary = page.locator("#delete-summary")
    expect(summary).to_contain_text("moves 1 of its files to the trash")
    expect(summary.locator(".fate-list li[data-fate=trash]")).to_contain_text("draft.txt")
    page.locator("#delete-dialog").get_by_role("button", name="Delete chat").click()
    expect(page.locator("#session-list .session-item")).to_have_count(0)

    page.goto("/files")
    expect(page.locator("#empty-state")).to_be_visible()
    expect(page.locator("#trash-count")).to_have_text("(1)")
    page.locator("#open-trash").click()
    trash = page.locator("#trash-dialog")
    expect(trash.locator(".trash-item")).to_have_count(1)
    expect(trash.locator(".trash-item")).to_contain_text("deleted for good in 30 days")
    trash.get_by_role("button", name="Restore draft.txt").click()
    expect(trash.locator("#trash-empty-state")).to_be_visible()
    trash.get_by_role("button", name="Close the trash").click()
    expect(file_row(page, "draft.txt")).to_be_visible()


def _file_id(session: Any, name: str) -> str:
    return session.api_get(f"/api/files?q={name}")[1]["results"][0]["id"]


def test_versions_screenshots(make_session: Any) -> None:
    setup = make_session()
    setup.upload("report.txt", V1)
    setup.upload("budget.csv", b"item,cost\nrent,10\n", "text/csv")
    trashed = setup.upload("old-notes.txt", b"old\n")
    file_id = _file_id(setup, "report.txt")
    response = setup.context.request.post(
        f"{setup.site.url}/api/files/{file_id}/versions",
        multipart={"file": {"name": "report.txt", "mimeType": "text/plain", "buffer": V2}},
        headers={"X-CSRFToken": setup.csrf(), "Referer": setup.site.url + "/files"},
    )
    assert response.status == 201, response.text()
    setup.context.request.delete(
        f"{setup.site.url}/api/files/{trashed['id']}",
        headers={"X-CSRFToken": setup.csrf(), "Referer": setup.site.url + "/files"},
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, options in SCREENSHOT_VIEWS.items():
        viewer = make_session(setup.email, **options)
        page = viewer.page
        page.goto("/files")
        file_row(page, "report.txt").locator(".badge-version").click()
        history = page.locator("#history-dialog")
        history.get_by_role("button", name="Compare v1 with v2").click()
        expect(history.locator(".diff-add").first).to_be_visible()
        page.screenshot(path=SHOTS / f"history-diff-{name}.png")
        history.get_by_role("button", name="Close versions").click()
        page.locator("#open-trash").click()
        expect(page.locator("#trash-dialog .trash-item")).to_have_count(1)
        page.screenshot(path=SHOTS / f"trash-{name}.png")
        page.locator("#trash-dialog").get_by_role("button", name="Close the trash").click()
        page.screenshot(path=SHOTS / f"files-{name}.png", full_page=name == "narrow")
