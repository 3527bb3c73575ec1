"""Issue #16's leftovers in a real browser: message actions under the bubble, a one-row
top bar at 390 px, the tool form in people's words, citation pills with the quoted
passage, the PDF preview's zoom and page box, and the public share page's card.

Run: ``.venv/bin/pytest -m browser chatui/tests/browser/test_chat_polish.py``.
Screenshots (light, dark, 390 px) go to ``var/screenshots/`` as ``polish-*``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from files.tests.documents_factory import pdf_with_pages

from .test_chat_surface import SALES, shoot_modes
from .test_documents import PAGES, start_worker  # noqa: F401 (the fixture)
from .test_pages import CSV, open_chat, send_message

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}}
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found, "the element is not laid out"
    return found


def opacity(locator: Any) -> float:
    return float(locator.evaluate("node => getComputedStyle(node).opacity"))


def test_message_actions_sit_under_the_bubble_and_appear_on_hover(session: Any) -> None:
    # given a chat with two exchanges
    page = session.page
    open_chat(page)
    first_reply = send_message(page, "hello there")
    send_message(page, "and hello again")
    user = page.locator(".msg-user").first
    bubble = user.locator(".msg-bubble")
    actions = user.locator(".msg-actions")
    # then the user's actions are outside the coloured bubble, under it, on the right
    expect(bubble.locator(".msg-actions")).to_have_count(0)
    expect(actions.get_by_role("button", name="Edit and resend")).to_have_count(1)
    under, above = box(actions), box(bubble)
    assert under["y"] >= above["y"] + above["height"] - 1
    assert abs((under["x"] + under["width"]) - (above["x"] + above["width"])) <= 2
    assert actions.evaluate("n => getComputedStyle(n).backgroundColor") == "rgba(0, 0, 0, 0)"
    # and they are hidden until the message is hovered
    page.hover("#message-input")
    page.wait_for_timeout(250)  # the fade
    assert opacity(actions) == 0
    bubble.hover()
    page.wait_for_timeout(250)
    assert opacity(actions) == 1
    # an older answer's quiet row (copy, regenerate) appears on hover, under the answer
    older = first_reply.locator(":scope > .msg-actions")
    page.hover("#message-input")
    page.wait_for_timeout(250)
    assert opacity(older) == 0
    first_reply.locator(".msg-body").hover()
    page.wait_for_timeout(250)
    assert opacity(older) == 1
    body = box(first_reply.locator(".msg-body"))
    assert box(older)["y"] >= body["y"] + body["height"] - 1
    expect(older.get_by_role("button", name="Regenerate answer")).to_be_visible()
    # the latest answer keeps its row visible without hovering
    page.hover("#message-input")
    latest = page.locator(".msg-assistant").last.locator(":scope > .msg-actions")
    page.wait_for_timeout(250)
    assert opacity(latest) == 1
    bubble.hover()
    shoot_modes(page, "polish-message-actions")


def test_the_top_bar_is_one_row_at_390_px_and_nothing_scrolls_sideways(
    make_session: Any, live_site: Any
) -> None:
    # given a phone-sized window
    phone = make_session(**PHONE)
    page = phone.page
    phone.upload("quarterly-sales.csv", CSV, "text/csv")
    open_chat(page)
    send_message(page, "/help")
    # then brand, navigation and account share one row
    bar = box(page.locator(".topbar"))
    assert bar["height"] < 56, bar
    tops = [box(page.locator(sel))["y"] for sel in (".brand", ".mainnav", ".avatar", ".sign-out")]
    assert max(tops) - min(tops) < 12, tops
    expect(page.locator(".avatar")).to_have_attribute("title", f"Signed in as {phone.email}")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    # and the Files page does not scroll sideways either, with the same one-row bar
    page.goto("/files")
    expect(page.locator("#files-body tr")).to_have_count(1)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert box(page.locator(".topbar"))["height"] < 56
    # and signing out still works from the icon
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_site.url}/accounts/login/")


def test_the_tool_form_speaks_in_labels_not_schema_names(session: Any) -> None:
    # given a CSV, the plot_csv form opened from the "/" menu
    session.upload("sales.csv", SALES, "text/csv")
    page = session.page
    open_chat(page)
    page.fill("#message-input", "/plot_cs")
    page.locator("#message-input").press("v")
    # the menu has the tool (its list loads after the page): Enter then picks it
    option = page.locator("#composer-menu").get_by_role("option")
    expect(option.first).to_contain_text("/plot_csv")
    page.press("#message-input", "Enter")
    dialog = page.locator("#tool-dialog")
    expect(dialog).to_be_visible()
    # then the tool is introduced in one sentence, without the model's parameter talk
    expect(dialog.locator("#tool-description")).to_have_text(
        "Draw a chart of columns of a CSV file as a PNG image: line, bar, scatter or histogram."
    )
    # and each field has a person's label, its help, and the pickers for file and columns
    labels = dialog.locator(".field label")
    expect(labels).to_have_text(
        [
            "File *",
            "Horizontal axis",
            "Values to plot *",
            "Chart type",
            "Chart title",
            "First row is a header",
        ]
    )
    kind = dialog.locator(".field[data-param=kind]")
    expect(kind.locator(".field-help")).to_have_text("Line, bar, scatter or histogram.")
    expect(kind.locator("option")).to_have_text(
        ["(default)", "Line", "Bar", "Scatter", "Histogram"]
    )
    expect(dialog.locator("#tool-plot_csv-has_header option")).to_have_text(
        ["Detect automatically", "Yes", "No"]
    )
    expect(dialog.locator("#tool-plot_csv-file_id option")).to_have_text(["sales.csv"])
    expect(dialog.locator("#tool-plot_csv-y option")).to_have_text(["day", "revenue", "costs"])
    shoot_modes(page, "polish-tool-form")


def test_a_command_typed_before_the_tool_list_arrives_gets_its_menu(session: Any) -> None:
    # given a chat page whose tool list (GET /api/tools) is held back
    page = session.page
    held: list[Any] = []
    page.route("**/api/tools", lambda route: held.append(route))
    open_chat(page)
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the page asked for its tool list"
    # when the user types a tool's command before the list arrives, then the list comes
    page.fill("#message-input", "/plot_cs")
    page.locator("#message-input").press("v")
    expect(page.locator("#composer-menu")).not_to_contain_text("/plot_csv")  # not yet
    held[0].continue_()
    # then the menu offers the tool without another key press
    option = page.locator("#composer-menu").get_by_role("option")
    expect(option.first).to_contain_text("/plot_csv")


def _wait_for_text(session: Any, file_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _, body = session.api_get(f"/api/files/{file_id}")
        if body.get("text_status") == "ready":
            return
        time.sleep(0.3)
    raise AssertionError(f"text of {file_id} never became ready: {body}")


def test_citation_pills_quote_the_passage_and_the_pdf_preview_zooms(
    make_session: Any,
    start_worker: Callable[[], None],  # noqa: F811 (the fixture imported above)
) -> None:
    # given a tagged four-page PDF whose text has been read
    session = make_session(viewport={"width": 1280, "height": 860})
    page = session.page
    report = session.upload("report.pdf", pdf_with_pages(PAGES), "application/pdf")
    start_worker()
    _wait_for_text(session, report["id"])
    session.context.request.patch(
        f"{session.site.url}/api/files/{report['id']}",
        data={"tagged": True},
        headers={"X-CSRFToken": session.csrf(), "Referer": session.site.url},
    )
    open_chat(page)
    reply = send_message(page, "Which ferry crosses the northern fjord?")
    # then the source is a compact pill: icon, name, page; hovering shows the passage
    chip = reply.locator(".citation-chip", has_text="report.pdf").first
    expect(chip.locator("svg")).to_have_count(1)
    expect(chip.locator(".citation-page")).to_have_text("p. 3")
    quote = chip.locator(".citation-quote")
    expect(quote).to_be_hidden()
    chip.hover()
    expect(quote).to_be_visible()
    expect(quote).to_contain_text("walrus ferry crosses")
    assert box(chip)["height"] < 30
    assert chip.evaluate("n => getComputedStyle(n).borderRadius") == "999px"
    shoot_modes(page, "polish-citation-hover")
    # and the PDF preview zooms in, out and back to the width, and jumps to a typed page
    chip.click()
    dialog = page.locator("#preview-dialog")
    sheet = dialog.locator(".pdf-page")
    expect(sheet).to_have_attribute("data-page", "3")
    fitted = float(sheet.get_attribute("data-scale"))
    expect(dialog.get_by_role("button", name="Fit to width")).to_have_attribute(
        "aria-pressed", "true"
    )
    dialog.get_by_role("button", name="Zoom in").click()
    expect(dialog.locator(".zoom-level")).to_have_text(f"{round(fitted * 125)}%")
    assert float(sheet.get_attribute("data-scale")) == pytest.approx(fitted * 1.25)
    assert box(sheet)["width"] > box(dialog.locator(".pdf-stage"))["width"] - 1
    expect(sheet).to_have_attribute("data-page", "3")  # zooming keeps the page
    dialog.get_by_role("button", name="Zoom out").click()
    dialog.get_by_role("button", name="Zoom out").click()
    expect(dialog.locator(".zoom-level")).to_have_text(f"{round(fitted / 1.25 * 100)}%")
    shoot_modes(page, "polish-pdf-zoom")
    dialog.get_by_role("button", name="Fit to width").click()
    expect(dialog.locator(".zoom-level")).to_have_text(f"{round(fitted * 100)}%")
    box_input = dialog.get_by_role("spinbutton", name="Go to page (1 to 4)")
    expect(box_input).to_have_value("3")
    box_input.fill("1")
    box_input.press("Enter")
    expect(sheet).to_have_attribute("data-page", "1")
    expect(dialog.locator(".page-label")).to_have_text("Page 1 of 4")
    box_input.fill("99")  # past the end: the last page
    box_input.press("Enter")
    expect(sheet).to_have_attribute("data-page", "4")
    expect(box_input).to_have_value("4")
    # and once the PDF has a newer version, the old answer's pill says "v1"
    dialog.get_by_role("button", name="Close preview").click()
    expect(chip.locator(".citation-version")).to_have_count(0)
    newer = pdf_with_pages([*PAGES, "Appendix. Numbers for the walrus ferry."])
    made = session.context.request.post(
        f"{session.site.url}/api/files/{report['id']}/versions",
        data={
            "content_base64": base64.b64encode(newer).decode(),
            "content_type": "application/pdf",
        },
        headers={"X-CSRFToken": session.csrf(), "Referer": session.site.url},
    )
    assert made.status == 201, made.text()
    page.reload()
    old = page.locator(".msg-assistant .citation-chip").first
    expect(old.locator(".citation-version")).to_have_text("v1")
    expect(old).to_have_accessible_name("Open report.pdf at page 3, version 1")
    # and it opens the version it quoted (four pages), not the current one (five)
    old.click()
    expect(dialog.locator("#preview-title")).to_have_text("report.pdf · version 1")
    expect(dialog.locator(".page-label")).to_have_text("Page 3 of 4")


def test_the_share_page_is_a_card_with_the_facts_and_a_download(make_session: Any) -> None:
    # given a link that expires in an hour
    owner = make_session()
    made = owner.upload("quarterly-sales.csv", CSV, "text/csv")
    created = owner.context.request.post(
        f"{owner.site.url}/api/files/{made['id']}/links",
        data={"expires_in": 3600, "max_downloads": 5},
        headers={"X-CSRFToken": owner.csrf(), "Referer": owner.site.url},
    )
    url = created.json()["url"]
    for name, options in {
        "light": {"color_scheme": "light"},
        "dark": {"color_scheme": "dark"},
        "390": {"color_scheme": "light", **PHONE},
    }.items():
        visitor = make_session(signed_in=False, **options)
        page = visitor.page
        page.goto(url)
        # then one card: icon, name, size, type, expiry, preview, a primary download
        card = page.locator("article.share-card")
        expect(card.locator(".share-icon svg")).to_have_count(1)
        expect(card.get_by_role("heading", name="quarterly-sales.csv")).to_be_visible()
        expect(card.locator(".share-size")).to_have_text(f"{len(CSV)}\xa0bytes")
        expect(card.locator(".share-type")).to_have_text("text/csv")
        expect(card.locator(".share-expiry")).to_contain_text("in 59\xa0minutes")
        expect(card.locator(".share-table th").first).to_have_text("day")
        download = card.get_by_role("link", name="Download")
        expect(download).to_have_class("btn btn-primary share-download")
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        if name == "390":  # the button spans the card on a phone
            assert box(download)["width"] > 300
        page.screenshot(path=str(_shot_path(f"polish-share-{name}")), full_page=True)


def _shot_path(name: str) -> Any:
    from .conftest import SCREENSHOT_DIR

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR / f"{name}.png"
