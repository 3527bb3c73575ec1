"""What still looked worse than the peers on the chat page (issue #16), in a real browser:
the "/" menu's headings, key hint and whole descriptions; a composer that grows with its
text; no empty chat list above the conversation at 390 px; a citation card that leaves the
message's actions clear on a phone; a PDF page that holds its place while it loads; and a
message action's focus ring that touches neither message around it.

Run: ``.venv/bin/pytest -m browser chatui/tests/browser/test_chat_finish.py``.
Screenshots (light, dark, 390 px) go to ``var/screenshots/`` as ``finish-*``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from files.tests.documents_factory import pdf_with_pages

from .test_chat_leftovers import DESKTOP, api_post, bottom, overlaps
from .test_chat_polish import PHONE, _wait_for_text, box
from .test_chat_surface import shoot, shoot_modes
from .test_documents import PAGES, start_worker  # noqa: F401 (the fixture)
from .test_pages import open_chat, send_message

pytestmark = pytest.mark.browser
PLOT_SUMMARY = (
    "Draw a chart of columns of a CSV file as a PNG image: line, bar, scatter or histogram."
)
NOT_CUT = "n => n.scrollHeight <= n.clientHeight + 1 && n.scrollWidth <= n.clientWidth + 1"


def both_schemes(page: Any, name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        shoot(page, f"{name}-{scheme}")
    page.emulate_media(color_scheme="light")


# --- 1. The "/" menu ------------------------------------------------------------------------


def test_the_command_menu_has_headings_a_key_hint_and_whole_descriptions(
    make_session: Any,
) -> None:
    # given the chat on a wide screen
    page = make_session(**DESKTOP).page
    open_chat(page)
    # when "/" is typed
    page.locator("#message-input").press_sequentially("/")
    menu = page.locator(".composer-menu")
    tools = menu.get_by_role("group", name="Tools")
    plot = tools.get_by_role("option").filter(has_text="/plot_csv")
    # then /help stands under "Commands", the tools under "Tools"
    expect(menu.get_by_role("group", name="Commands").get_by_role("option")).to_have_count(1)
    expect(plot).to_be_visible()
    expect(menu.locator(".menu-heading")).to_have_text(["Commands", "Tools"])
    # and a footer names the keys
    keys = menu.locator(".menu-keys")
    expect(keys).to_be_visible()
    expect(keys).to_have_text(re.compile(r"↑\s*↓ to move.*Enter or Tab to choose.*Esc to close"))
    # and the tool's first sentence shows whole; the whole description is its tooltip
    detail = plot.locator(".menu-detail")
    expect(detail).to_have_text(PLOT_SUMMARY)
    assert detail.evaluate(NOT_CUT)
    title = plot.get_attribute("title") or ""
    assert title.startswith(PLOT_SUMMARY) and len(title) > len(PLOT_SUMMARY)
    plot.hover()
    shoot_modes(page, "finish-command-menu")
    # and on a phone too, on two lines at most
    page.set_viewport_size(PHONE["viewport"])
    assert detail.evaluate(NOT_CUT)
    line = float(detail.evaluate("n => parseFloat(getComputedStyle(n).lineHeight)"))
    assert box(detail)["height"] <= 2 * line + 1
    # and the keys still work: down moves, Esc closes
    page.keyboard.press("ArrowDown")
    expect(menu.get_by_role("option").nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()


# --- 2. The composer grows ------------------------------------------------------------------


def test_the_composer_grows_with_its_text_and_shrinks_after_sending(make_session: Any) -> None:
    # given the chat in a window 860 px tall
    page = make_session(**DESKTOP).page
    open_chat(page)
    composer = page.locator("#message-input")
    one_line = box(composer)["height"]
    assert composer.evaluate(NOT_CUT)
    # when five lines are typed with Shift+Enter
    composer.press_sequentially("line 1")
    for n in range(2, 6):
        page.keyboard.press("Shift+Enter")
        composer.press_sequentially(f"line {n}")
    # then nothing is sent and the composer shows the five lines without scrolling
    expect(composer).to_have_value("line 1\nline 2\nline 3\nline 4\nline 5")
    expect(page.locator(".msg-user")).to_have_count(0)
    assert box(composer)["height"] > 3 * one_line
    assert composer.evaluate(NOT_CUT)
    shoot_modes(page, "finish-composer-grown")
    # and a long text grows it to 40 % of the window, then it scrolls
    page.fill("#message-input", "\n".join(f"line {n}" for n in range(1, 61)))
    assert abs(box(composer)["height"] - 0.4 * 860) <= 2
    assert composer.evaluate("n => n.scrollHeight > n.clientHeight")
    assert composer.evaluate("n => getComputedStyle(n).overflowY") == "auto"
    # and Enter sends it, and the composer is one line again
    page.press("#message-input", "Enter")
    reply = page.locator(".msg-assistant").first
    expect(reply).not_to_have_attribute("aria-busy", "true", timeout=30_000)
    expect(composer).to_have_value("")
    assert abs(box(composer)["height"] - one_line) <= 1
    # and the up arrow in the empty composer brings the message back, grown again
    page.press("#message-input", "ArrowUp")
    expect(composer).to_have_value(re.compile(r"^line 1\n.*\nline 60$", re.S))
    assert abs(box(composer)["height"] - 0.4 * 860) <= 2


# --- 3. No empty chat list on a phone -------------------------------------------------------


def test_at_390_px_an_empty_chat_list_takes_no_room(make_session: Any) -> None:
    # given a user with no chat yet, on a phone
    page = make_session(**PHONE).page
    open_chat(page)
    # then the conversation starts right under the top bar
    expect(page.locator(".sessions")).to_be_hidden()
    head = box(page.locator(".conversation-head"))
    assert head["y"] <= bottom(box(page.locator(".topbar"))) + 1
    both_schemes(page, "finish-no-chats-390")
    # and the first message brings the list, with its chat
    send_message(page, "hello there")
    expect(page.locator(".sessions")).to_be_visible()
    expect(page.locator("#session-list .session-item")).to_have_count(1)
    # and a wide window keeps the empty list's column
    other = make_session(**DESKTOP).page
    open_chat(other)
    expect(other.locator("#no-sessions")).to_be_visible()


# --- 6. A message action's focus ring -------------------------------------------------------


def ring(locator: Any) -> dict[str, float]:
    """The box the element's focus outline covers."""
    found = box(locator)
    reach = locator.evaluate(
        """n => {
          const s = getComputedStyle(n);
          if (s.outlineStyle === "none") return -1;
          return parseFloat(s.outlineWidth) + parseFloat(s.outlineOffset);
        }"""
    )
    assert reach != -1, "the focused element shows no outline"
    grow = max(0.0, float(reach))
    return {
        "x": found["x"] - grow,
        "y": found["y"] - grow,
        "width": found["width"] + 2 * grow,
        "height": found["height"] + 2 * grow,
    }


def test_a_focused_message_action_keeps_its_ring_off_the_messages_around_it(
    make_session: Any,
) -> None:
    # given a chat with two exchanges, used from the keyboard
    page = make_session(**DESKTOP).page
    open_chat(page)
    first_reply = send_message(page, "hello there")
    send_message(page, "and hello again")
    first_user = page.locator(".msg-user").first
    edit = first_user.get_by_role("button", name="Edit and resend")
    regenerate = first_reply.locator(":scope > .msg-actions").get_by_role(
        "button", name="Regenerate answer"
    )
    page.focus("#message-input")
    for target, above, below in (
        (regenerate, first_reply.locator(".msg-body"), page.locator(".msg-user").nth(1)),
        (edit, first_user.locator(".msg-bubble"), first_reply),
    ):
        # when Shift+Tab reaches the button
        for _ in range(12):
            if target.evaluate("n => n === document.activeElement"):
                break
            page.keyboard.press("Shift+Tab")
        expect(target).to_be_focused()
        # then its ring clears its own message above and the next message below
        drawn = ring(target)
        assert drawn["y"] >= bottom(box(above)) + 1, (drawn, box(above))
        assert bottom(drawn) <= box(below)["y"] - 1, (drawn, box(below))
    shoot_modes(page, "finish-focus-ring")


# --- 4. The citation card on a phone --------------------------------------------------------


def cited_answer(session: Any, start: Callable[[], None]) -> Any:
    """An answer citing page 3 of a tagged PDF whose text has been read."""
    report = session.upload("report.pdf", pdf_with_pages(PAGES), "application/pdf")
    start()
    _wait_for_text(session, report["id"])
    api_post(session, f"/api/files/{report['id']}", {"tagged": True}, method="patch")
    open_chat(session.page)
    reply = send_message(session.page, "Which ferry crosses the northern fjord?")
    return reply.locator(".citation-chip", has_text="report.pdf").first


def test_at_390_px_the_citation_card_leaves_the_action_row_clear(
    make_session: Any,
    start_worker: Callable[[], None],  # noqa: F811 (the fixture imported above)
) -> None:
    # given an answer citing a PDF, on a phone
    session = make_session(**PHONE)
    page = session.page
    chip = cited_answer(session, start_worker)
    reply = page.locator(".msg-assistant").last
    row = reply.locator(":scope > .msg-actions")
    quote = chip.locator(".citation-quote")
    # when the pill is hovered
    chip.hover()
    expect(quote).to_be_visible()
    card = box(quote)
    # then the card opens under the action row: the copy and regenerate buttons stay usable
    assert not overlaps(card, box(row)), (card, box(row))
    assert card["y"] >= bottom(box(row))
    assert not overlaps(card, box(reply.locator(".msg-body")))
    assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["viewport"]["width"]
    both_schemes(page, "finish-citation-card-390")
    # and focusing the pill from the keyboard places it the same way
    page.mouse.move(5, 5)
    expect(quote).to_be_hidden()
    row.get_by_role("button", name="Copy message").focus()
    page.keyboard.press("Shift+Tab")
    expect(chip).to_be_focused()
    expect(quote).to_be_visible()
    assert not overlaps(box(quote), box(row))


# --- 5. The PDF page while it loads -----------------------------------------------------------


def test_a_pdf_page_holds_its_place_while_it_loads(
    make_session: Any,
    start_worker: Callable[[], None],  # noqa: F811 (the fixture imported above)
) -> None:
    # given an answer citing page 3 of a PDF, and a slow download
    session = make_session(**DESKTOP)
    page = session.page
    chip = cited_answer(session, start_worker)
    held: list[Any] = []
    page.route("**/api/files/*/download*", lambda route: held.append(route))
    # when the pill is clicked
    chip.click()
    dialog = page.locator("#preview-dialog")
    # then, while the PDF is on its way, the page's place says what is coming
    placeholder = dialog.locator(".pdf-page.loading")
    expect(placeholder).to_be_visible()
    expect(placeholder.get_by_role("status")).to_have_text("Loading page 3…")
    expect(placeholder).to_have_attribute("aria-busy", "true")
    expect(dialog.locator(".preview-footer")).to_be_visible()
    waiting = in_body(placeholder)
    both_schemes(page, "finish-pdf-loading")
    for _ in range(100):  # the routes are handed over while Playwright is called
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the download was not asked for"
    # and once it comes, the drawn page is where the placeholder was, at its size
    for route in held:
        route.continue_()
    page.unroute("**/api/files/*/download*")
    sheet = dialog.locator(".pdf-page[data-page='3']")
    expect(sheet).not_to_have_class(re.compile(r"\bloading\b"))
    expect(dialog.locator(".pdf-loading")).to_have_count(0)
    drawn = in_body(sheet)
    for side in ("top", "width", "height"):
        assert abs(drawn[side] - waiting[side]) <= 1, (side, waiting, drawn)


def in_body(locator: Any) -> dict[str, float]:
    """The element's place inside the preview's scrolling body (scrolling aside)."""
    return locator.evaluate(
        """node => {
          const body = node.closest(".preview-body"), at = node.getBoundingClientRect();
          const top = at.top - body.getBoundingClientRect().top + body.scrollTop;
          return { top, width: at.width, height: at.height };
        }"""
    )
