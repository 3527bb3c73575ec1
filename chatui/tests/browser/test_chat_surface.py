"""The chat surface of issue #20 in a real browser: markdown, the composer, files by name.

Run: ``.venv/bin/pytest -m browser chatui/tests/browser/test_chat_surface.py``.
Screenshots (light, dark, 390 px) go to ``var/screenshots/``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from chat.tests.fake_llm import FakeLLM, Reply

from .conftest import SCREENSHOT_DIR
from .test_pages import open_chat, send_message

pytestmark = pytest.mark.browser


def shoot(page: Any, name: str) -> None:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def open_llm_chat(page: Any, url: str) -> None:
    page.goto(f"{url}/")
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "online")


TABLE_AND_CODE = [
    "Here is the summary\nby city:\n\n",
    "| city | sales |\n| --- | ---: |\n",
    "| Oslo | 12 |\n| Lima | 7 |\n\n",
    "```python\ndef total(rows):\n",
    "    return sum(r.sales for r in rows)\n```\n\n",
    "- [x] tables\n- [ ] charts\n",
]


def test_streamed_markdown_keeps_finished_blocks(
    make_session: Any, llm_site: str, fake_llm: FakeLLM
) -> None:
    # given a model that streams a table, then code, then a task list, slowly
    fake_llm.script.append(Reply(text_chunks=TABLE_AND_CODE, chunk_delay_s=0.25))
    page = make_session().page
    open_llm_chat(page, llm_site)
    page.fill("#message-input", "sales by city?")
    page.press("#message-input", "Enter")
    reply = page.locator(".msg-assistant").last
    # when the table has arrived, mark its element
    expect(reply.locator("table td").first).to_have_text("Oslo", timeout=20_000)
    reply.locator("table").evaluate("(t) => { t.__seen = true; }")
    # then after the rest has streamed, the same table element is still there (not rebuilt)
    expect(reply).not_to_have_attribute("aria-busy", "true", timeout=20_000)
    assert reply.locator("table").evaluate("(t) => t.__seen === true")
    expect(reply.locator("code.language-python .hljs-keyword").first).to_have_text("def")
    expect(reply.locator("input[type=checkbox][checked]")).to_have_count(1)
    expect(reply.locator("input[type=checkbox]")).to_have_count(2)
    expect(reply.locator(".md-block").first.locator("br")).to_have_count(1)  # a single newline
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        shoot(page, f"chat-table-code-{scheme}")
    page.set_viewport_size({"width": 390, "height": 820})
    shoot(page, "chat-table-code-390")


def test_escape_stops_a_reply(make_session: Any, llm_site: str, fake_llm: FakeLLM) -> None:
    # given a reply that would take many seconds
    fake_llm.script.append(Reply(text_chunks=[f"word{i} " for i in range(200)], chunk_delay_s=0.1))
    page = make_session().page
    open_llm_chat(page, llm_site)
    page.fill("#message-input", "tell me a long story")
    page.press("#message-input", "Enter")
    reply = page.locator(".msg-assistant").last
    expect(reply.locator(".md-block").first).to_contain_text("word1", timeout=20_000)
    # when Esc is pressed
    page.keyboard.press("Escape")
    # then the reply ends as stopped, well before its 20 s, and the composer is back
    expect(reply.locator(".msg-status")).to_have_text("Stopped.", timeout=5_000)
    expect(page.locator("#send-btn")).to_be_visible()
    assert "word199" not in reply.inner_text()


def test_help_renders_a_table_and_highlighted_code_that_copies(make_session: Any) -> None:
    # given a chat page allowed to use the clipboard
    session = make_session(permissions=["clipboard-read", "clipboard-write"])
    page = session.page
    open_chat(page)
    # when the built-in assistant answers /help (a markdown table and a JSON block)
    reply = send_message(page, "/help")
    # then the table is a table, the code is highlighted, and nothing is raw markdown
    table = reply.locator("table")
    expect(table.locator("th").first).to_have_text("command")
    expect(table.locator("td code").first).to_have_text("/help")
    code = reply.locator(".code-block pre code.hljs.language-json")
    expect(code.locator(".hljs-attr").first).to_be_visible()
    assert "| --- |" not in reply.inner_text()
    # and the copy button puts the code on the clipboard
    reply.locator(".code-copy").click()
    expect(reply.locator(".code-copy")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == code.inner_text() and copied.startswith("{")
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        shoot(page, f"chat-markdown-{scheme}")
    page.set_viewport_size({"width": 390, "height": 800})
    shoot(page, "chat-markdown-390")


def test_model_html_stays_text_and_links_stay_safe(make_session: Any) -> None:
    # given a reply (the offline assistant echoes) with HTML and an unsafe markdown link
    page = make_session().page
    open_chat(page)
    markup = '<img src=x onerror="window.__pwned=1">'
    reply = send_message(page, f"hi {markup} [x](javascript:alert(1))")
    # then the HTML is shown as text, no handler ran, and the link lost its javascript: URL
    expect(reply.locator(".md-block").first).to_contain_text(markup)
    assert page.evaluate("window.__pwned") is None
    expect(reply.locator("img")).to_have_count(0)
    expect(reply.locator("a[href^='javascript']")).to_have_count(0)


def test_over_long_message_keeps_its_text(make_session: Any) -> None:
    # given a message one character over the limit
    page = make_session().page
    open_chat(page)
    config = page.evaluate("JSON.parse(document.getElementById('chat-config').textContent)")
    limit = config["maxMessageChars"]
    text = "x" * (limit + 1)
    page.fill("#message-input", text)
    # then the counter says it is over, and sending keeps every character
    expect(page.locator("#composer-counter")).to_contain_text("1 characters over the limit")
    page.press("#message-input", "Enter")
    expect(page.locator("#banner")).to_contain_text("over the length limit")
    assert page.input_value("#message-input") == text
    assert page.locator(".msg-user").count() == 0


def test_arrow_up_recalls_and_long_messages_collapse(make_session: Any) -> None:
    page = make_session().page
    open_chat(page)
    long_text = "\n".join(f"line {i}" for i in range(40))
    send_message(page, long_text)
    # the long message shows a few lines and a "Show more" that opens it
    bubble = page.locator(".msg-user").last
    body = bubble.locator(".msg-body")
    collapsed = body.evaluate("(b) => b.clientHeight < b.scrollHeight")
    assert collapsed
    bubble.get_by_role("button", name="Show more").click()
    assert body.evaluate("(b) => b.clientHeight >= b.scrollHeight")
    # and ↑ in the empty composer brings the last message back for editing
    page.focus("#message-input")
    page.keyboard.press("ArrowUp")
    assert page.input_value("#message-input") == long_text


SALES = b"day,revenue,costs\n2024-01-01,10,7\n2024-01-02,12,8\n2024-01-03,9,6\n"


def test_at_picks_a_file_by_part_of_its_name(session: Any) -> None:
    # given two files
    session.upload("sales-2024.csv", SALES, "text/csv")
    session.upload("holiday-photos.txt", b"notes", "text/plain")
    page = session.page
    open_chat(page)
    # when "@sal" is typed
    page.fill("#message-input", "what is in @sa")
    page.locator("#message-input").press("l")  # a real key, so the input event fires
    menu = page.locator("#composer-menu")
    expect(menu.get_by_role("option")).to_have_count(1)
    expect(menu.get_by_role("option").first).to_contain_text("sales-2024.csv")
    shoot_modes(page, "chat-file-picker")
    # then Enter picks it: the name goes into the text and the file is attached
    page.press("#message-input", "Enter")
    expect(menu).to_be_hidden()
    assert page.input_value("#message-input") == "what is in @sales-2024.csv "
    expect(page.locator("#uploads li[data-file-id]")).to_contain_text("sales-2024.csv")
    reply = send_message_typed(page)
    expect(reply).to_contain_text("sales-2024.csv")  # the assistant saw the file


def send_message_typed(page: Any) -> Any:
    replies = page.locator(".msg-assistant")
    before = replies.count()
    page.press("#message-input", "Enter")
    reply = replies.nth(before)
    expect(reply).not_to_have_attribute("aria-busy", "true", timeout=30_000)
    return reply


def shoot_modes(page: Any, name: str) -> None:
    """Light, dark and 390 px screenshots of the page as it is now."""
    size = page.viewport_size
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        shoot(page, f"{name}-{scheme}")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 390, "height": 820})
    shoot(page, f"{name}-390")
    page.set_viewport_size(size)


def test_slash_menu_opens_the_plot_csv_form_with_columns(session: Any) -> None:
    # given a CSV and a text file
    session.upload("sales.csv", SALES, "text/csv")
    session.upload("readme.txt", b"hello", "text/plain")
    page = session.page
    open_chat(page)
    # when "/plo" is typed, the menu offers plot_csv
    page.fill("#message-input", "/pl")
    page.locator("#message-input").press("o")
    option = page.locator("#composer-menu").get_by_role("option")
    expect(option.first).to_contain_text("/plot_csv")
    shoot_modes(page, "chat-command-menu")
    page.press("#message-input", "Enter")
    # then the form offers only the CSV, and the columns of its header
    dialog = page.locator("#tool-dialog")
    expect(dialog).to_be_visible()
    files = dialog.locator("#tool-plot_csv-file_id option")
    expect(files).to_have_text(["sales.csv"])
    y = dialog.locator("#tool-plot_csv-y option")
    expect(y).to_have_text(["day", "revenue", "costs"])
    dialog.locator("#tool-plot_csv-x").select_option("day")
    dialog.locator("#tool-plot_csv-y").select_option(["revenue"])
    shoot_modes(page, "chat-tool-form")
    # and running it draws the chart in the chat
    replies = page.locator(".msg-assistant")
    before = replies.count()
    dialog.get_by_role("button", name="Run in chat").click()
    reply = replies.nth(before)
    expect(reply).not_to_have_attribute("aria-busy", "true", timeout=30_000)
    expect(reply.locator("img[alt^='Preview of sales_line.png']")).to_be_visible()


def test_plain_request_plots_a_file_by_name(session: Any) -> None:
    # given sales.csv uploaded on the Files page (not in this chat)
    session.upload("sales.csv", SALES, "text/csv")
    page = session.page
    open_chat(page)
    # when the built-in assistant is asked in plain words
    reply = send_message(page, "plot revenue by day from sales.csv")
    # then it ran plot_csv on that file and the chart is shown
    expect(reply.locator(".tool-card[data-tool=plot_csv] .tool-status")).to_have_text("done")
    expect(reply.locator("img[alt='Preview of sales_line.png']")).to_be_visible()
    expect(reply).to_contain_text("Plotted revenue from sales.csv")


def test_an_ambiguous_name_gets_a_question(session: Any) -> None:
    session.upload("report.csv", SALES, "text/csv")
    session.upload("report.csv", SALES + b"2024-01-04,1,1\n", "text/csv")
    page = session.page
    open_chat(page)
    reply = send_message(page, "plot revenue by day from report.csv")
    expect(reply).to_contain_text("Which report.csv do you mean? You have 2 files")


def test_upload_chips_empty_files_and_the_delete_dialog(session: Any) -> None:
    from .test_pages import drop_files

    page = session.page
    open_chat(page)
    # an empty file is refused with words, and no stray colon for a nameless error
    drop_files(page, "#message-input", [("empty.txt", b"", "text/plain")])
    expect(page.locator("#uploads li[data-state=error]")).to_contain_text(
        "empty.txt is empty (0 bytes); empty files are not stored."
    )
    page.locator("#uploads li[data-state=error] .upload-remove").click()
    # removing an uploaded chip before sending deletes that upload
    drop_files(page, "#message-input", [("oops.csv", SALES, "text/csv")])
    chip = page.locator("#uploads li[data-state=done]")
    expect(chip).to_have_count(1)
    chip.locator(".upload-remove").click()
    expect(page.locator("#upload-status")).to_have_text("The removed upload was deleted.")
    assert session.api_get("/api/files")[1]["count"] == 0
    # a file uploaded before the chat's first message shows in the panel after the reply
    drop_files(page, "#message-input", [("kept.csv", SALES, "text/csv")])
    expect(page.locator("#uploads li[data-state=done]")).to_have_count(1)
    send_message(page, "here it is")
    reply = send_message(page, "plot revenue by day from kept.csv")
    expect(reply.locator("img[alt='Preview of kept_line.png']")).to_be_visible()
    expect(page.locator("#session-files .panel-file-name")).to_have_text(
        ["kept.csv", "kept_line.png"]
    )
    # the delete dialog names what it deletes and what it keeps
    page.locator("#session-list .session-item").first.get_by_role(
        "button", name=re.compile("^Delete")
    ).click()
    summary = page.locator("#delete-summary")
    expect(summary.locator(".fate-list li[data-fate=trash]")).to_contain_text(["kept_line.png"])
    kept = summary.locator(".fate-list li[data-fate=keep]")
    expect(kept).to_contain_text(["kept.csv"])
    expect(kept).to_contain_text("kept: only attached here")
    shoot_modes(page, "chat-delete-dialog")
    page.locator("#delete-dialog").get_by_role("button", name="Cancel").click()


def test_search_across_chats_finds_a_message(session: Any) -> None:
    page = session.page
    open_chat(page)
    send_message(page, "the flamingo budget for spring")
    page.locator("#new-chat").click()
    send_message(page, "something else entirely")
    # when a word from the first chat's message is searched
    page.fill("#chat-search", "flamin")
    hits = page.locator("#search-results .search-hit")
    expect(hits).to_have_count(1)
    expect(hits.first.locator(".hit-match")).to_contain_text("flamingo budget")
    # then the hit opens that chat
    hits.first.locator("a").click()
    expect(page.locator(".msg-user").first).to_contain_text("the flamingo budget for spring")


def test_sent_images_show_as_thumbnails_and_charts_zoom(session: Any) -> None:
    from .test_pages import drop_files, png_bytes

    page = session.page
    open_chat(page)
    # given an image sent with a message
    drop_files(page, "#message-input", [("photo.png", png_bytes((320, 200)), "image/png")])
    expect(page.locator("#uploads li[data-state=done]")).to_have_count(1)
    send_message(page, "look at this")
    thumb = page.locator(".msg-user img[alt='Preview of photo.png']")
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('.msg-user img.zoomable')?.naturalWidth === 320"
    )
    # when it is clicked, it opens enlarged; Esc closes it
    thumb.click()
    zoom = page.locator("dialog.zoom-dialog")
    expect(zoom).to_be_visible()
    expect(zoom.locator(".zoom-caption")).to_have_text("photo.png")
    page.keyboard.press("Escape")
    expect(zoom).to_be_hidden()
    # and a generated chart zooms the same way
    session.upload("sales.csv", SALES, "text/csv")
    reply = send_message(page, "plot revenue by day from sales.csv")
    reply.locator("img.zoomable").click()
    expect(zoom.locator(".zoom-caption")).to_have_text("sales_line.png")
    shoot_modes(page, "chat-zoom")


def test_a_duplicate_upload_offers_the_existing_file(session: Any) -> None:
    from .test_pages import drop_files

    original = session.upload("sales.csv", SALES, "text/csv")
    page = session.page
    open_chat(page)
    # when the same bytes are dropped again under another name
    drop_files(page, "#message-input", [("sales copy.csv", SALES, "text/csv")])
    row = page.locator("#uploads li.upload")
    expect(row.locator(".duplicate-offer")).to_contain_text("Same content as sales.csv")
    # then "Use sales.csv" removes the copy and attaches the original
    row.get_by_role("button", name="Use sales.csv").click()
    expect(row).to_have_attribute("data-file-id", original["id"])
    expect(row.locator(".upload-name")).to_have_text("sales.csv")
    status, listing = session.api_get("/api/files")
    assert status == 200 and [f["filename"] for f in listing["results"]] == ["sales.csv"]
    reply = send_message(page, "what is this?")
    expect(reply).to_contain_text("sales.csv")


def test_at_also_finds_a_file_by_its_text(session: Any) -> None:
    from .conftest import _manage

    # given a file whose name does not say what it holds, indexed (the worker's job, here)
    session.upload("notes-q3.txt", b"The zebra budget was approved on Monday.\n")
    _manage(session.site.env, "files_index", "--rebuild", "--now", "--user", session.email)
    page = session.page
    open_chat(page)
    # when a word of its text is typed after @
    page.fill("#message-input", "see @zebr")
    page.locator("#message-input").press("a")
    option = page.locator("#composer-menu").get_by_role("option").first
    # then the picker offers it, saying the match is in its text, and attaches it
    expect(option).to_contain_text("notes-q3.txt")
    expect(option.locator(".menu-detail")).to_contain_text("in its text")
    page.press("#message-input", "Enter")
    expect(page.locator("#uploads li[data-file-id]")).to_contain_text("notes-q3.txt")
