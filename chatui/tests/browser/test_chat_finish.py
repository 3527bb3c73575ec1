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
from typing import Any

import pytest
from playwright.sync_api import expect

from .test_chat_leftovers import DESKTOP
from .test_chat_polish import PHONE, box
from .test_chat_surface import shoot, shoot_modes
from .test_pages import open_chat

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
