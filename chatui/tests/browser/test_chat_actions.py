"""Message actions and replies that outlive the tab, in a real browser against a live
app answered by a slow loopback OpenAI-compatible model (``llm_site``).

Run: ``.venv/bin/pytest -m browser chatui/tests/browser/test_chat_actions.py``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from chat.tests.fake_llm import FakeLLM, Reply

from .test_chat_surface import open_llm_chat, shoot_modes
from .test_pages import open_chat, send_message

pytestmark = pytest.mark.browser

SLOW = [f"w{i} " for i in range(60)]


def ask(page: Any, text: str) -> Any:
    """Send ``text`` and return the reply's bubble once it has finished."""
    replies = page.locator(".msg-assistant")
    before = replies.count()
    page.fill("#message-input", text)
    page.press("#message-input", "Enter")
    reply = replies.nth(before)
    expect(reply).to_have_attribute("data-message-id", re.compile(".+"), timeout=20_000)
    expect(reply).not_to_have_attribute("aria-busy", "true", timeout=20_000)
    return reply


def test_copy_edit_and_regenerate_keep_both_answers_reachable(
    make_session: Any, llm_site: str, fake_llm: FakeLLM
) -> None:
    session = make_session(permissions=["clipboard-read", "clipboard-write"])
    page = session.page
    open_llm_chat(page, llm_site)
    fake_llm.script.append(Reply(text_chunks=["The **first** answer."]))
    answer = ask(page, "What is up?")
    # copy puts the message (its markdown) on the clipboard
    answer.get_by_role("button", name="Copy message").click()
    assert page.evaluate("navigator.clipboard.readText()") == "The **first** answer."

    # regenerate: a second answer, shown as 2/2, the first one arrows away
    fake_llm.script.append(Reply(text_chunks=["The second answer."]))
    answer.get_by_role("button", name="Regenerate answer").click()
    last = page.locator(".msg-assistant").last
    expect(last).to_contain_text("The second answer.", timeout=20_000)
    expect(last.locator(".branch-count")).to_have_text("2/2")
    last.get_by_role("button", name="Previous version").click()
    last = page.locator(".msg-assistant").last
    expect(last).to_contain_text("The first answer.")
    expect(last.locator(".branch-count")).to_have_text("1/2")
    last.get_by_role("button", name="Next version").click()
    expect(page.locator(".msg-assistant").last).to_contain_text("The second answer.")

    # edit-and-resend: the new question gets its answer; the old one stays reachable
    fake_llm.script.append(Reply(text_chunks=["An answer to the edit."]))
    question = page.locator(".msg-user").last
    question.get_by_role("button", name="Edit and resend").click()
    box = question.get_by_role("textbox", name="Edit your message")
    box.fill("What is down?")
    box.press("Enter")
    last = page.locator(".msg-assistant").last
    expect(last).to_contain_text("An answer to the edit.", timeout=20_000)
    question = page.locator(".msg-user").last
    expect(question).to_contain_text("What is down?")
    expect(question.locator(".branch-count")).to_have_text("2/2")
    sent = fake_llm.requests[-1]["body"]["messages"]
    assert "The second answer." not in str(sent), "the model saw only the branch on show"
    shoot_modes(page, "chat-branches")
    question.get_by_role("button", name="Previous version").click()
    expect(page.locator(".msg-user").last).to_contain_text("What is up?")
    expect(page.locator(".msg-assistant").last).to_contain_text("The second answer.")
    # and the choice is kept: a reload shows the same branch
    page.reload()
    expect(page.locator(".msg-user").last).to_contain_text("What is up?")
    expect(page.locator(".msg-assistant").last.locator(".branch-count")).to_have_text("2/2")


def test_a_reload_mid_answer_keeps_streaming_and_the_reply_completes(
    make_session: Any, llm_site: str, fake_llm: FakeLLM
) -> None:
    page = make_session().page
    open_llm_chat(page, llm_site)
    fake_llm.script.append(Reply(text_chunks=SLOW, chunk_delay_s=0.08))
    page.fill("#message-input", "count slowly")
    page.press("#message-input", "Enter")
    expect(page.locator(".msg-assistant").last).to_contain_text("w3", timeout=20_000)
    page.wait_for_url("**/?session=*")
    # when the tab reloads mid-answer
    page.reload()
    # then the reloaded tab shows the reply streaming (Stop offered) and it completes
    reply = page.locator(".msg-assistant").last
    expect(reply).to_have_attribute("aria-busy", "true")
    expect(page.locator("#stop-btn")).to_be_visible()
    expect(reply).to_contain_text("w2")  # the text so far, caught up
    expect(reply).not_to_have_attribute("aria-busy", "true", timeout=30_000)
    expect(reply).to_contain_text("w59")
    expect(reply.locator(".msg-status")).to_have_count(0)
    assert reply.inner_text().count("w30 ") == 1, "caught-up text and new tokens do not overlap"


def test_a_second_tab_catches_up_and_can_stop_the_reply(
    make_session: Any, llm_site: str, fake_llm: FakeLLM
) -> None:
    session = make_session()
    page = session.page
    open_llm_chat(page, llm_site)
    fake_llm.script.append(Reply(text_chunks=SLOW * 3, chunk_delay_s=0.08))
    page.fill("#message-input", "count a lot")
    page.press("#message-input", "Enter")
    expect(page.locator(".msg-assistant").last).to_contain_text("w3", timeout=20_000)
    page.wait_for_url("**/?session=*")
    # when a second tab opens the chat mid-reply
    other = session.new_page()
    other.goto(page.url)
    reply = other.locator(".msg-assistant").last
    expect(reply).to_contain_text("w3")
    expect(reply).to_have_attribute("aria-busy", "true")
    first_text = reply.inner_text()
    expect(reply).not_to_have_text(first_text, timeout=10_000)  # and keeps streaming
    # then Stop in the second tab stops the reply in both
    other.locator("#stop-btn").click()
    expect(reply.locator(".msg-status")).to_have_text("Stopped.", timeout=10_000)
    expect(page.locator(".msg-assistant").last.locator(".msg-status")).to_have_text("Stopped.")
    # and the stopped answer can be continued from the first tab
    fake_llm.script.append(Reply(text_chunks=[" and done."]))
    page.locator(".msg-assistant").last.get_by_role("button", name="Continue answer").click()
    expect(page.locator(".msg-assistant").last).to_contain_text("and done.", timeout=20_000)
    expect(other.locator(".msg-assistant").last).to_contain_text("and done.")


def test_a_late_frame_of_a_reply_the_tab_read_complete_adds_nothing(make_session: Any) -> None:
    """A tab joins the chat's group before it reads the chat, so one that reads it as a
    reply ends may be sent that reply's last token after the whole answer: the answer
    is shown once, finished, not doubled and streaming again."""
    page = make_session().page
    open_chat(page)
    answer = send_message(page, "hello").inner_text()
    page.wait_for_url("**/?session=*")

    def late_token_after_session(ws: Any) -> None:
        server = ws.connect_to_server()

        def relay(message: str | bytes) -> None:
            ws.send(message)
            frame = json.loads(message)
            if frame["type"] != "session" or frame["messages"][-1]["status"] != "complete":
                return
            ids = {"session_id": frame["session_id"], "message_id": frame["messages"][-1]["id"]}
            ws.send(json.dumps({"type": "token", **ids, "content": " LATE"}))
            marker = {"id": "marker", "role": "system", "content": "after the late token"}
            ws.send(json.dumps({"type": "message", "message": marker}))

        server.on_message(relay)

    # given a tab that reads the chat complete and is then sent a token of its answer
    page.route_web_socket(re.compile(r"/ws/chat/"), late_token_after_session)
    page.reload()
    # then, once the frame after that token is shown, the answer is as it was
    expect(page.locator(".notice", has_text="after the late token")).to_be_visible()
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    shown = page.locator(".msg-assistant").last
    expect(shown).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#stop-btn")).to_be_hidden()
    assert shown.inner_text() == answer
