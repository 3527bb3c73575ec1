"""Asking about a document over the websocket: the passage reaches the model with its
page label (a loopback OpenAI-compatible server), the offline assistant quotes it, and
either way ``response_complete`` carries the citations, which a reload shows again.

A real PDF, uploaded to a live s3mock and extracted by the real worker.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import AsyncClient

from chat.tests.conftest import communicator, receive_until
from chat.tests.fake_llm import FakeLLM, Reply
from chat.tests.test_retrieval import pdf, report_pages, run_worker
from files.services import file_update

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True),
]

QUESTION = "Is the quokka enclosure ready yet?"


@pytest.fixture
def report_id(s3_backend: Any, alice: tuple[Any, str]) -> str:
    """Alice's tagged six-page report, extracted (the worker wants the main thread)."""
    report = pdf(alice[0], "report.pdf", report_pages())
    file_update(file=report, tagged=True)
    run_worker()
    return str(report.pk)


async def ask(cookie: str, content: str) -> list[dict[str, Any]]:
    comm = communicator(cookie)
    assert (await comm.connect())[0]
    try:
        await comm.send_json_to(
            {"type": "chat", "session_id": None, "content": content, "file_ids": []}
        )
        return await receive_until(comm, "response_complete", timeout=60)
    finally:
        await comm.disconnect()


async def reloaded_citations(cookie: str, session_id: str) -> list[dict[str, Any]]:
    client = AsyncClient()
    client.cookies["sessionid"] = cookie
    response = await client.get(f"/api/chats/{session_id}")
    assert response.status_code == 200
    return response.json()["messages"][-1]["citations"]


async def test_the_passage_reaches_the_model_with_its_page_and_is_cited(
    report_id: str, alice: tuple[Any, str], fake_llm: FakeLLM, settings: Any
) -> None:
    # given a tagged six-page PDF too large to go whole
    settings.CHAT_CONTEXT_MAX_CHARS = 1000
    fake_llm.script.append(Reply(text_chunks=["It opens in spring (report.pdf p. 4)."]))
    # when the user asks about page 4's subject
    frames = await ask(alice[1], QUESTION)
    # then the model's request holds page 4's passage, labelled
    system = fake_llm.requests[0]["body"]["messages"][0]["content"]
    assert f'<passage file="report.pdf" id="{report_id}" page="4">' in system
    assert "The quokka enclosure opens in spring." in system
    # and the reply cites it, on the wire and after a reload
    complete = frames[-1]
    [citation] = complete["citations"]
    assert citation["file_id"] == report_id and citation["page"] == 4
    assert citation["filename"] == "report.pdf" and "quokka" in citation["snippet"]
    assert await reloaded_citations(alice[1], complete["session_id"]) == complete["citations"]


async def test_the_offline_assistant_quotes_the_passage_and_cites_its_page(
    report_id: str, alice: tuple[Any, str]
) -> None:
    # given a tagged PDF and no model configured
    # when the user asks about it
    frames = await ask(alice[1], QUESTION)
    # then the answer quotes page 4 and cites it
    complete = frames[-1]
    assert "quokka enclosure opens in spring" in complete["content"]
    assert "report.pdf, p. 4" in complete["content"]
    assert [(c["file_id"], c["page"]) for c in complete["citations"]] == [(report_id, 4)]
    assert await reloaded_citations(alice[1], complete["session_id"]) == complete["citations"]


async def test_a_reply_about_nothing_in_the_documents_cites_nothing(
    report_id: str, alice: tuple[Any, str]
) -> None:
    frames = await ask(alice[1], "hello there")
    assert frames[-1]["citations"] == []
    assert "Offline assistant" in frames[-1]["content"]
