"""Documents in a real browser (issue #15): a PDF's text status goes from processing to
ready, a phrase from its third page is found by content search and opens the preview
at page 3, and the offline assistant's citation chip opens the same page.

Run: ``.venv/bin/pytest -m browser chatui/tests/browser/test_documents.py``.
Screenshots (light, dark, 390 px) go to ``$CHATUI_SCREENSHOT_DIR`` (``var/screenshots/``).
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from files.tests.documents_factory import encrypted_pdf, pdf_with_pages, pptx_with

from .conftest import REPO, LiveSite
from .test_chat_surface import shoot
from .test_pages import file_row, open_chat, send_message

pytestmark = pytest.mark.browser

PAGES = [
    "Quarterly report. Revenue grew in every region this year.",
    "Staffing. The support team doubled and answered faster.",
    "Logistics. The walrus ferry crosses the northern fjord at dawn.",
    "Outlook. Next year we open two more warehouses.",
]
PHRASE = "walrus ferry"
TAG_ICON_PATH = "M3 3h8l10 10-8 8L3 11z"  # static/js/icons.js's "tag"
# The preview's page fits the narrowed dialog, and its text layer (the highlights) too.
SHEET_AND_TEXT_LAYER_FIT = """() => {
  const sheet = document.querySelector("#preview-dialog .pdf-page");
  const layer = sheet?.querySelector(".textLayer");
  if (!sheet || !layer) return false;
  return sheet.clientWidth < 390 && Math.abs(sheet.clientWidth - layer.clientWidth) <= 1;
}"""


def shoot_modes(page: Any, name: str, focus: Any = None) -> None:
    """Light, dark and 390 px screenshots; at 390 px ``focus`` is scrolled into view."""
    size = page.viewport_size
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        shoot(page, f"{name}-{scheme}")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 390, "height": 820})
    if focus is not None:
        focus.scroll_into_view_if_needed()
    shoot(page, f"{name}-390")
    page.set_viewport_size(size)


@pytest.fixture(scope="module")
def start_worker(live_site: LiveSite, tmp_path_factory: Any) -> Iterator[Callable[[], None]]:
    """Start the extraction worker (``manage.py files_worker``) on the live site's
    database when the test asks: until then uploads stay processing, as with a busy queue."""
    log: Path = tmp_path_factory.mktemp("worker") / "worker.log"
    workers: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        if workers:
            return
        command = [sys.executable, "manage.py", "files_worker", "--interval", "0.2"]
        with log.open("ab") as out:
            workers.append(
                subprocess.Popen(command, cwd=REPO, env=live_site.env, stdout=out, stderr=out)
            )

    yield start
    for worker in workers:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_a_pdf_is_read_searched_opened_at_its_page_and_cited(
    make_session: Any, start_worker: Callable[[], None]
) -> None:
    session = make_session(viewport={"width": 1280, "height": 860})
    page = session.page
    page.goto("/files")

    # 1. Upload: the row says processing until a worker has read the text, then ready.
    pdf = {"name": "report.pdf", "mimeType": "application/pdf", "buffer": pdf_with_pages(PAGES)}
    page.set_input_files("#upload-input", files=[pdf])
    badge = file_row(page, "report.pdf").locator(".badge-text")
    expect(badge).to_have_attribute("data-text-status", "processing")
    expect(badge).to_have_text("Processing…")
    shoot_modes(page, "01-processing", focus=badge)
    start_worker()
    expect(badge).to_have_attribute("data-text-status", "ready", timeout=30_000)
    expect(badge).to_have_text(f"4 pages · {sum(len(p.split()) for p in PAGES)} words")
    shoot_modes(page, "02-ready", focus=badge)

    # 2. Content search: the phrase from page 3, highlighted, opens the preview at page 3.
    page.locator("#search-mode label", has_text="Contents").click()
    expect(page.get_by_role("radio", name="Contents")).to_be_checked()
    expect(page.locator("#f-q-label")).to_have_text("Search in file contents")
    page.fill("#f-q", PHRASE)
    hit = page.locator("#search-hits .content-hit")
    expect(hit).to_have_count(1)
    expect(hit.locator(".content-hit-name")).to_have_text("report.pdf")
    expect(hit.locator(".badge-page")).to_have_text("p. 3")
    expect(hit.locator("mark")).to_have_text(["walrus", "ferry"])
    expect(page.locator("#files-list")).to_be_hidden()
    shoot_modes(page, "03-search", focus=hit)
    page.reload()  # the URL keeps the mode and the words: the matches come back
    expect(page).to_have_url(re.compile(r"mode=contents"))
    expect(hit.locator(".badge-page")).to_have_text("p. 3")
    hit.get_by_role("button", name="Open report.pdf at page 3").click()
    dialog = page.locator("#preview-dialog")
    expect(dialog.locator(".page-label")).to_have_text("Page 3 of 4")
    expect(dialog.locator(".pdf-page")).to_have_attribute("data-page", "3")
    expect(dialog.locator(".textLayer")).to_contain_text("walrus ferry crosses")
    expect(dialog.locator(".textLayer mark").first).to_have_text("walrus")
    shoot_modes(page, "04-preview-page-3")
    # the page shrinks with the window, and its text layer (the highlights) with it
    page.set_viewport_size({"width": 390, "height": 820})
    page.wait_for_function(SHEET_AND_TEXT_LAYER_FIT)
    page.set_viewport_size({"width": 1280, "height": 860})
    dialog.get_by_role("button", name="Next page").click()
    expect(dialog.locator(".pdf-page")).to_have_attribute("data-page", "4")
    expect(dialog.locator(".textLayer")).to_contain_text("warehouses")
    dialog.get_by_role("button", name="Close preview").click()
    expect(dialog).to_be_hidden()

    # 3. Chat: tagged, the PDF is read by the offline assistant, whose reply cites page 3.
    page.locator("#search-mode label", has_text="Names").click()
    page.fill("#f-q", "report")
    expect(page.locator("#files-list")).to_be_visible()
    file_row(page, "report.pdf").get_by_role("button", name="Tag report.pdf for chat").click()
    expect(file_row(page, "report.pdf").locator(".badge-tag")).to_be_visible()
    open_chat(page)
    reply = send_message(page, "Which ferry crosses the northern fjord?")
    chip = reply.locator(".citation-chip", has_text="report.pdf")
    expect(chip.first).to_contain_text("p. 3")
    shoot_modes(page, "05-citation")
    chip.first.click()
    dialog = page.locator("#preview-dialog")
    expect(dialog.locator(".pdf-page")).to_have_attribute("data-page", "3")
    expect(dialog.locator(".page-label")).to_have_text("Page 3 of 4")
    expect(dialog.locator(".textLayer mark").first).to_be_visible()
    shoot_modes(page, "06-citation-preview")
    # the citations are kept with the message: a reload shows the chip again
    dialog.get_by_role("button", name="Close preview").click()
    page.reload()
    expect(page.locator(".msg-assistant .citation-chip")).to_have_accessible_name(
        "Open report.pdf at page 3"
    )


def test_hash_in_the_composer_offers_the_tags_on_your_files(session: Any) -> None:
    # given a file tagged "apollo" and "budget" (tags are set through the API)
    file = session.upload("plan.txt", b"the apollo plan")
    response = session.context.request.patch(
        f"{session.site.url}/api/files/{file['id']}",
        data=json.dumps({"tags": {"apollo": "", "budget": "2026"}}),
        headers={
            "Content-Type": "application/json",
            "X-CSRFToken": session.csrf(),
            "Referer": f"{session.site.url}/",
        },
    )
    assert response.status == 200, response.text()
    page = session.page
    open_chat(page)
    # when "#ap" is typed, the menu offers #apollo; Enter writes it into the message
    page.locator("#message-input").press_sequentially("What is in #ap")
    options = page.locator("#composer-menu [role=option]")
    expect(options).to_have_count(1)
    expect(options.locator(".menu-main")).to_have_text("#apollo")
    expect(options.locator(".menu-detail")).to_have_text("1 file")
    expect(options.locator(".menu-icon svg path").first).to_have_attribute("d", TAG_ICON_PATH)
    shoot_modes(page, "07-hash-tag-menu")
    page.keyboard.press("Enter")
    expect(page.locator("#message-input")).to_have_value("What is in #apollo ")
    expect(page.locator("#composer-menu")).to_be_hidden()
    # and a tag no file carries says so
    page.locator("#message-input").press_sequentially("#zz")
    expect(page.locator("#composer-menu .menu-empty")).to_have_text(
        "No file you can read has a tag like that."
    )


def test_a_locked_pdf_says_why_and_slides_preview_as_their_text(
    session: Any, start_worker: Callable[[], None]
) -> None:
    # given a password-protected PDF and a slide deck, read by the worker
    start_worker()
    session.upload("locked.pdf", encrypted_pdf("secret plans"), "application/pdf")
    deck = pptx_with(["Welcome aboard", "The otter budget doubles next spring"])
    session.upload("deck.pptx", deck, "application/octet-stream")
    session.upload("notes.txt", b"line one\nthe grey heron waits by the <b>weir</b>\n")
    page = session.page
    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto("/files")
    # then the PDF's row says why it has no text, and the deck's how much it has
    locked = file_row(page, "locked.pdf").locator(".badge-text")
    expect(locked).to_have_text("Not indexed: password-protected", timeout=30_000)
    expect(locked).to_have_attribute("data-text-status", "failed")
    ready = file_row(page, "deck.pptx").locator(".badge-text")
    expect(ready).to_have_attribute("data-text-status", "ready", timeout=30_000)
    expect(ready).to_contain_text("2 pages")
    shoot_modes(page, "08-failed-and-ready", focus=locked)
    # when "otter" is searched in contents, the match is on slide 2, shown as its text
    page.locator("#search-mode label", has_text="Contents").click()
    page.fill("#f-q", "otter")
    hit = page.locator("#search-hits .content-hit")
    expect(hit.locator(".badge-page")).to_have_text("p. 2")
    hit.get_by_role("button", name="Open deck.pptx at page 2").click()
    dialog = page.locator("#preview-dialog")
    expect(dialog.locator(".page-label")).to_have_text("Page 2 of 2")
    expect(dialog.locator(".preview-text")).to_contain_text("The otter budget doubles")
    expect(dialog.locator(".preview-text mark")).to_have_text(["otter"])
    dialog.get_by_role("button", name="Previous page").click()
    expect(dialog.locator(".preview-text")).to_contain_text("Welcome aboard")
    expect(dialog.locator(".preview-text mark")).to_have_count(0)
    shoot_modes(page, "09-slides-as-text")
    dialog.get_by_role("button", name="Close preview").click()
    # and a plain text file's match opens its text, the word marked, markup kept as text
    page.fill("#f-q", "heron")
    page.get_by_role("button", name="Open notes.txt at page 1").click()
    expect(dialog.locator(".preview-text")).to_have_text(
        "line one\nthe grey heron waits by the <b>weir</b>\n"
    )
    expect(dialog.locator(".preview-text mark")).to_have_text(["heron"])


def test_a_long_pdf_opens_at_a_late_page_by_byte_ranges(
    session: Any, start_worker: Callable[[], None]
) -> None:
    # given a 60-page PDF (well over pdf.js's two 64 KiB range chunks), read by the worker
    start_worker()
    noise = random.Random(15)  # lines that do not compress, so the file is large
    filler = ["\n".join(noise.randbytes(30).hex() for _ in range(40)) for _ in range(60)]
    # (matplotlib sets the last line on the baseline: the words go last to stay on the page)
    texts = [f"{filler[n - 1]}\nChapter {n}. Notes on shelf {n}." for n in range(1, 61)]
    texts[49] = f"{filler[49]}\nChapter 50. The narwhal ledger is kept in the attic."
    pdf = pdf_with_pages(texts)
    assert len(pdf) > 2 * 65536
    session.upload("long.pdf", pdf, "application/pdf")
    page = session.page
    page.set_viewport_size({"width": 1280, "height": 860})
    ranges: list[str] = []
    page.on(
        "request",
        lambda r: ranges.append(r.headers.get("range", "")) if "/download" in r.url else None,
    )
    page.goto("/files")
    ready = file_row(page, "long.pdf").locator(".badge-text")
    expect(ready).to_have_attribute("data-text-status", "ready", timeout=60_000)
    # when the match on page 50 is opened
    status, found = session.api_get("/api/search?q=narwhal+ledger")
    assert (status, found["count"]) == (200, 1), found
    page.goto("/files?mode=contents&q=narwhal+ledger")
    page.get_by_role("button", name="Open long.pdf at page 50").click()
    dialog = page.locator("#preview-dialog")
    expect(dialog.locator(".page-label")).to_have_text("Page 50 of 60")
    expect(dialog.locator(".textLayer mark")).to_have_text(["narwhal", "ledger"])
    # then the bytes came as ranges of the one download URL, not as the whole file
    assert any(value.startswith("bytes=") for value in ranges), ranges
