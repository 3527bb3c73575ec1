"""Issue #16's last leftovers in a real browser, each a geometry or a content check that
failed before its fix: the citation card beside (not over) the text it cites, the PDF
preview's toolbar on one row at 390 px, message actions that leave no empty band under
the bubbles, the admin's version table without sideways scrolling at 390 px, the
composer's ``#`` menu offering tags shared with the user, and the tag dialog's
placeholders in full, at 390 px and wide.

Run: ``.venv/bin/pytest -m browser chatui/tests/browser/test_chat_leftovers.py``.
Screenshots (light, dark, 390 px) go to ``var/screenshots/`` as ``leftovers-*``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from files.tests.documents_factory import pdf_with_pages

from .conftest import sign_in
from .test_chat_polish import NO_SIDEWAYS_SCROLL, PHONE, _wait_for_text, box, opacity
from .test_chat_surface import shoot, shoot_modes
from .test_documents import PAGES, start_worker  # noqa: F401 (the fixture)
from .test_pages import file_row, open_chat, send_message

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 860}}
ROW_HEIGHT = 30  # one action row (and more than the gap between two messages)
# The width of an input's placeholder in its own font, and the room the input gives it.
PLACEHOLDER_FIT = """(input) => {
  const style = getComputedStyle(input, "::placeholder");
  const pen = document.createElement("canvas").getContext("2d");
  pen.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const own = getComputedStyle(input);
  const room = input.clientWidth - parseFloat(own.paddingLeft) - parseFloat(own.paddingRight);
  return { text: pen.measureText(input.placeholder).width, room };
}"""


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"] - 0.5
        and b["x"] < a["x"] + a["width"] - 0.5
        and a["y"] < b["y"] + b["height"] - 0.5
        and b["y"] < a["y"] + a["height"] - 0.5
    )


def bottom(found: dict[str, float]) -> float:
    return found["y"] + found["height"]


def api_post(session: Any, path: str, data: Any, method: str = "post") -> Any:
    response = getattr(session.context.request, method)(
        f"{session.site.url}{path}",
        data=data,
        headers={"X-CSRFToken": session.csrf(), "Referer": session.site.url},
    )
    assert response.ok, response.text()
    return response.json()


# --- 1. The citation card ------------------------------------------------------------------


def test_the_citation_card_opens_below_the_pill_and_flips_at_the_window_edge(
    make_session: Any,
    start_worker: Callable[[], None],  # noqa: F811 (the fixture imported above)
) -> None:
    # given an answer citing a tagged PDF
    session = make_session(**DESKTOP)
    page = session.page
    report = session.upload("report.pdf", pdf_with_pages(PAGES), "application/pdf")
    start_worker()
    _wait_for_text(session, report["id"])
    api_post(session, f"/api/files/{report['id']}", {"tagged": True}, method="patch")
    open_chat(page)
    reply = send_message(page, "Which ferry crosses the northern fjord?")
    chip = reply.locator(".citation-chip", has_text="report.pdf").first
    quote = chip.locator(".citation-quote")
    # when the pill is hovered
    chip.hover()
    expect(quote).to_be_visible()
    card, pill, text = box(quote), box(chip), box(reply.locator(".msg-body"))
    # then the card opens under the pill: the pill and the answer's words stay in sight
    assert card["y"] >= bottom(pill), (card, pill)
    assert not overlaps(card, text), (card, text)
    assert not overlaps(card, pill)
    assert bottom(card) <= page.viewport_size["height"]
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        shoot(page, f"leftovers-citation-card-{scheme}")
    # and on a phone too, inside the window's width
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(PHONE["viewport"])
    chip.hover()
    card, pill = box(quote), box(chip)
    assert card["y"] >= bottom(pill) and not overlaps(card, box(reply.locator(".msg-body")))
    assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["viewport"]["width"]
    shoot(page, "leftovers-citation-card-390")
    # and a pill at the window's bottom edge gets its card above it. (With the composer
    # under the messages a card always fits below, so the composer is hidden here to put
    # the pill at the edge, in a window short enough for the chat to scroll.)
    page.mouse.move(5, 5)
    expect(quote).to_be_hidden()
    page.set_viewport_size({"width": 1280, "height": 320})
    page.evaluate("document.querySelector('.composer').hidden = true")
    page.evaluate("const m = document.getElementById('messages'); m.scrollTop = m.scrollHeight")
    chip.hover()
    expect(quote).to_be_visible()
    card, pill = box(quote), box(chip)
    assert bottom(card) <= pill["y"], (card, pill)
    assert card["y"] >= 0
    expect(quote).to_have_attribute("data-placement", "above")
    shoot(page, "leftovers-citation-card-flipped")
    # and Escape puts it away
    page.keyboard.press("Escape")
    expect(quote).to_be_hidden()


# --- 2. The PDF preview's toolbar ----------------------------------------------------------


def test_the_pdf_toolbar_is_one_row_at_390_px(make_session: Any) -> None:
    # given a four-page PDF opened in the preview on a phone
    phone = make_session(**PHONE)
    phone.upload("report.pdf", pdf_with_pages(PAGES), "application/pdf")
    page = phone.page
    page.goto("/files")
    file_row(page, "report.pdf").get_by_role("button", name="Preview report.pdf").click()
    dialog = page.locator("#preview-dialog")
    expect(dialog.locator(".pdf-page")).to_have_attribute("data-page", "1")
    toolbar = dialog.locator(".pdf-toolbar")
    # then the page box and the zoom share one row, inside the dialog
    names = ["Previous page", "Go to page (1 to 4)", "Next page", "Zoom out", "Zoom in"]
    controls = [dialog.get_by_label(name, exact=True) for name in names]
    controls.append(dialog.get_by_role("button", name="Fit to width"))
    tops = [box(control)["y"] for control in controls]
    assert max(tops) - min(tops) < 8, tops
    assert box(toolbar)["height"] < 44
    assert toolbar.evaluate("n => n.scrollWidth <= n.clientWidth")
    assert bottom(box(controls[-1])) <= bottom(box(toolbar))
    right = box(controls[-1])["x"] + box(controls[-1])["width"]
    assert right <= box(dialog)["x"] + box(dialog)["width"]
    # and the box still works
    jump = dialog.get_by_role("spinbutton", name="Go to page (1 to 4)")
    jump.fill("3")
    jump.press("Enter")
    expect(dialog.locator(".pdf-page")).to_have_attribute("data-page", "3")
    expect(dialog.locator(".page-label")).to_have_text("Page 3 of 4")
    shoot(page, "leftovers-pdf-toolbar-390")


# --- 3. Message actions take no room while hidden ------------------------------------------


def test_hidden_message_actions_leave_no_gap_and_showing_them_moves_nothing(
    make_session: Any,
) -> None:
    # given a chat with two exchanges, seen with a mouse
    session = make_session(**DESKTOP)
    page = session.page
    open_chat(page)
    first_reply = send_message(page, "hello there")
    send_message(page, "and hello again")
    first_user = page.locator(".msg-user").first
    bubble = first_user.locator(".msg-bubble")
    second_user = page.locator(".msg-user").nth(1)
    page.hover("#message-input")
    page.wait_for_timeout(250)  # the fade
    # then under a bubble and under an older answer there is only the gap between messages
    assert box(first_reply)["y"] - bottom(box(bubble)) < ROW_HEIGHT
    last_line = first_reply.locator(".msg-body")
    assert box(second_user)["y"] - bottom(box(last_line)) < ROW_HEIGHT
    # and hovering shows the row in that gap without moving anything
    before = box(first_reply)["y"], box(second_user)["y"]
    bubble.hover()
    page.wait_for_timeout(250)
    row = first_user.locator(".msg-actions")
    assert opacity(row) == 1
    assert (box(first_reply)["y"], box(second_user)["y"]) == before
    assert box(row)["y"] >= bottom(box(bubble)) - 1
    assert not overlaps(box(row), box(first_reply))
    expect(row.get_by_role("button", name="Edit and resend")).to_be_visible()
    older = first_reply.locator(":scope > .msg-actions")
    last_line.hover()
    page.wait_for_timeout(250)
    assert opacity(older) == 1
    assert not overlaps(box(older), box(second_user))
    assert (box(first_reply)["y"], box(second_user)["y"]) == before
    # and the keyboard reaches the hidden buttons, which then show
    first_user.get_by_role("button", name="Copy message").focus()
    page.hover("#message-input")
    page.wait_for_timeout(250)
    assert opacity(row) == 1
    shoot_modes(page, "leftovers-message-actions")


def test_on_a_touch_screen_the_actions_are_always_shown_in_the_flow(make_session: Any) -> None:
    # given a phone with a touch screen (no hover)
    phone = make_session(has_touch=True, is_mobile=True, **PHONE)
    page = phone.page
    open_chat(page)
    first_reply = send_message(page, "hello there")
    send_message(page, "and hello again")
    # then an older answer's actions show without a tap, in their own row
    older = first_reply.locator(":scope > .msg-actions")
    assert opacity(older) == 1
    assert not overlaps(box(older), box(page.locator(".msg-user").nth(1)))
    assert page.evaluate(NO_SIDEWAYS_SCROLL)


# --- 4. The admin's version table at 390 px ------------------------------------------------


def test_the_admin_version_table_fits_a_phone(make_session: Any, live_site: Any) -> None:
    # given a file with three versions, one made by a tool, opened by staff on a phone
    owner = make_session()
    made = owner.upload("notes.txt", b"first\n")
    for text in ("second\n", "third, the longest of the three\n"):
        content = base64.b64encode(text.encode()).decode()
        api_post(owner, f"/api/files/{made['id']}/versions", {"content_base64": content})
    staff_email = "staff-versions@example.com"
    live_site.shell(
        "from chatui.models import User\n"
        f"User.objects.create_user(email={staff_email!r}, password={live_site.password!r},"
        " is_staff=True, is_superuser=True)"
    )
    staff = make_session(email=staff_email, signed_in=False, **PHONE)
    staff.console.allow(r"status of 404")  # the admin's pages link no icon: /favicon.ico
    sign_in(staff.context, live_site, staff_email)
    page = staff.page
    page.goto(f"/admin/files/storedfile/{made['id']}/change/")
    table = page.locator("#versions-group table")
    expect(table.locator("tbody tr.form-row")).to_have_count(3)
    # then the table fits its box and the page does not scroll sideways
    assert table.evaluate("t => t.getBoundingClientRect().width <= t.parentElement.clientWidth")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    # and each version still shows its size, date, download ("v1") and restore
    first = table.locator("tbody tr.form-row").last  # v1: the oldest, restorable
    for cell in ("human_size", "created_at", "get", "restore"):
        expect(first.locator(f"td.field-{cell}")).to_be_visible()
    expect(first.get_by_role("link", name="v1", exact=True)).to_be_visible()
    expect(first.get_by_role("link", name="Restore v1…")).to_be_visible()
    table.scroll_into_view_if_needed()
    shoot(page, "leftovers-admin-versions-390")
    page.set_viewport_size(DESKTOP["viewport"])
    expect(first.locator("td.field-source_tool")).to_be_visible()  # all columns when wide
    table.scroll_into_view_if_needed()
    shoot(page, "leftovers-admin-versions-wide")


# --- 5. Shared tags in the composer's "#" menu ---------------------------------------------


def test_the_hash_menu_lists_tags_shared_with_the_user_with_their_owner(
    make_session: Any,
) -> None:
    # given alice shares the tag "project" with bob, who has a tag "private" himself
    alice, bob = make_session(), make_session(**DESKTOP)
    notes = alice.upload("apollo-notes.txt", b"The wombat launch slips to May.\n")
    api_post(alice, f"/api/files/{notes['id']}", {"tags": {"project": "apollo"}}, "patch")
    api_post(alice, "/api/tags/project/shares", {"email": bob.email})
    own = bob.upload("mine.txt", b"my own notes\n")
    api_post(bob, f"/api/files/{own['id']}", {"tags": {"private": ""}}, "patch")
    page = bob.page
    open_chat(page)
    # when bob types "#"
    page.locator("#message-input").press_sequentially("Summarise #")
    options = page.locator("#composer-menu [role=option]")
    # then both tags are offered, the shared one marked with its owner
    expect(options.locator(".menu-main")).to_have_text(["#private", "#project"])
    expect(options.nth(0).locator(".menu-detail")).to_have_text("1 file")
    expect(options.nth(1).locator(".menu-detail")).to_have_text(f"1 file · shared by {alice.email}")
    shoot_modes(page, "leftovers-hash-menu-shared")
    # and picking it writes the tag, which brings alice's file into the message
    page.locator("#message-input").press_sequentially("pro")
    expect(options).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("#message-input")).to_have_value("Summarise #project ")
    page.keyboard.press("Enter")
    reply = page.locator(".msg-assistant").last
    expect(reply).not_to_have_attribute("aria-busy", "true", timeout=30_000)
    expect(reply).to_contain_text("apollo-notes.txt")


# --- 6. The tag dialog's placeholders ------------------------------------------------------


def test_the_tag_dialog_placeholders_are_not_cut(make_session: Any) -> None:
    # given the "Share a tag" dialog on a phone, then on a wide screen
    phone = make_session(**PHONE)
    page = phone.page
    page.goto("/files?shared=by_me")
    page.get_by_role("button", name="Share a tag").click()
    dialog = page.locator("#share-dialog")
    expect(dialog.get_by_role("heading", name="Share a tag")).to_be_visible()
    for size, viewport in (("390", PHONE["viewport"]), ("wide", DESKTOP["viewport"])):
        page.set_viewport_size(viewport)
        # then each field's placeholder fits inside it, and nothing scrolls sideways
        for field in ("#share-tag", "#share-tag-email"):
            fit = page.locator(field).evaluate(PLACEHOLDER_FIT)
            assert fit["text"] <= fit["room"], (size, field, fit)
        assert dialog.evaluate("n => n.scrollWidth <= n.clientWidth")
        shoot(page, f"leftovers-tag-dialog-{size}")
    # and on the wide screen the two fields sit side by side
    tag, email = box(page.locator("#share-tag")), box(page.locator("#share-tag-email"))
    assert abs(tag["y"] - email["y"]) < 2
