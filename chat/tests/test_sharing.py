"""A file shared with bob, used in bob's chat: the model sees it, a tool runs on it and
its output lands in bob's files, alice's original untouched; once alice revokes, bob's
open chat no longer sees it on the next message. A tag shared with bob: ``#tag`` in
his message retrieves the passages of alice's files carrying it, until she revokes.
Live s3mock, loopback model; run on the Redis channel layer too (``REDIS_URL``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from chat.tests.conftest import communicator, receive_until
from chat.tests.fake_llm import FakeLLM, Reply
from chat.tests.test_retrieval import pdf, report_pages, run_worker
from files.models import ShareAccess, StoredFile
from files.services import file_upload
from files.sharing.services import share_create_for_file, share_create_for_tag, share_revoke

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True),
]
CSV = b"day,total\nmon,3\ntue,4\n"


@pytest.fixture
def tools(settings: Any) -> None:
    settings.TOOLS = ["tools.builtin.plot_csv.PlotCsvTool"]


async def test_a_shared_file_in_the_recipients_chat_and_revocation_on_the_next_message(
    alice: tuple[Any, str], bob: tuple[Any, str], s3_backend: Any, fake_llm: FakeLLM, tools: None
) -> None:
    # given alice's CSV shared with bob
    csv, share = await database_sync_to_async(_share_csv)(alice[0], bob[0])
    arguments = json.dumps({"file_id": str(csv.pk), "x": "day", "y": "total"})
    fake_llm.script = [
        Reply(tool_calls=[("c1", "plot_csv", arguments)]),
        Reply(text_chunks=["Plotted."]),
        Reply(text_chunks=["I no longer see it."]),
    ]
    comm = communicator(bob[1])
    assert (await comm.connect())[0]
    try:
        # when bob sends a message carrying it, and the model plots it
        await comm.send_json_to(
            {"type": "chat", "session_id": None, "content": "plot", "file_ids": [str(csv.pk)]}
        )
        frames = await receive_until(comm, "response_complete", timeout=60)
        session_id = frames[0]["session_id"]
        # then the model saw its text, and the PNG is bob's
        system = fake_llm.requests[0]["body"]["messages"][0]["content"]
        assert "mon,3" in system
        [complete] = [f for f in frames if f["type"] == "tool_complete"]
        assert complete["error"] is None
        [png] = complete["files"]
        assert png["user_email"] == "bob@example.com"
        # when alice revokes and bob writes again in the same open chat
        await database_sync_to_async(share_revoke)(share=share)
        await comm.send_json_to(
            {"type": "chat", "session_id": session_id, "content": "again?", "file_ids": []}
        )
        await receive_until(comm, "response_complete", timeout=60)
        # then the file is gone from the model's context, and attaching it is refused
        system = fake_llm.requests[-1]["body"]["messages"][0]["content"]
        assert "mon,3" not in system and str(csv.pk) not in system
        await comm.send_json_to(
            {"type": "attach_file", "session_id": session_id, "file_id": str(csv.pk)}
        )
        refused = await receive_until(comm, "error")
        assert refused[-1]["code"] == "not_found"
    finally:
        await comm.disconnect()
    # and alice's original was never changed; bob's reads are in the audit log
    after = await database_sync_to_async(_state)(alice[0], csv.pk)
    assert after == {"alice_files": 1, "checksum": csv.checksum, "size": csv.size}
    actions = await database_sync_to_async(
        lambda: set(ShareAccess.objects.filter(user=bob[0]).values_list("action", flat=True))
    )()
    assert actions == {"read"}


def _share_csv(owner: Any, recipient: Any) -> tuple[StoredFile, Any]:
    csv = file_upload(owner=owner, content=CSV, filename="sales.csv")
    return csv, share_create_for_file(file=csv, email=recipient.email)


def _state(owner: Any, file_id: Any) -> dict[str, Any]:
    file = StoredFile.objects.get(pk=file_id)
    count = StoredFile.objects.filter(owner=owner).count()
    return {"alice_files": count, "checksum": file.checksum, "size": file.size}


@pytest.fixture
def tag_shared_report(s3_backend: Any, alice: tuple[Any, str], bob: tuple[Any, str]) -> tuple:
    """Alice's six-page report carrying "project", extracted, and that tag shared with bob
    (the worker wants the main thread: a sync fixture)."""
    report = pdf(alice[0], "report.pdf", report_pages(), project="apollo")
    run_worker()
    return str(report.pk), share_create_for_tag(owner=alice[0], tag="project", email=bob[0].email)


async def test_a_shared_tag_answers_the_recipients_hash_tag_until_revoked(
    tag_shared_report: tuple, bob: tuple[Any, str], fake_llm: FakeLLM, settings: Any
) -> None:
    # given the shared report, too large for the context budget: it will be searched
    settings.CHAT_CONTEXT_MAX_CHARS = 1000
    report_id, share = tag_shared_report
    fake_llm.script = [Reply(text_chunks=["In spring."]), Reply(text_chunks=["Not known."])]
    question = "Is the quokka enclosure ready yet? #project"
    comm = communicator(bob[1])
    assert (await comm.connect())[0]
    try:
        # when bob names the tag in his own chat
        await comm.send_json_to(
            {"type": "chat", "session_id": None, "content": question, "file_ids": []}
        )
        frames = await receive_until(comm, "response_complete", timeout=60)
        # then page 4's passage of alice's report reaches the model, and is cited
        system = fake_llm.requests[0]["body"]["messages"][0]["content"]
        assert f'<passage file="report.pdf" id="{report_id}" page="4">' in system
        assert "The quokka enclosure opens in spring." in system
        assert [(c["file_id"], c["page"]) for c in frames[-1]["citations"]] == [(report_id, 4)]
        # when alice revokes the tag share and bob asks again in the same open chat
        await database_sync_to_async(share_revoke)(share=share)
        session_id = frames[-1]["session_id"]
        await comm.send_json_to(
            {"type": "chat", "session_id": session_id, "content": question, "file_ids": []}
        )
        frames = await receive_until(comm, "response_complete", timeout=60)
        # then nothing of the report is in the context, and nothing is cited
        system = fake_llm.requests[-1]["body"]["messages"][0]["content"]
        assert "quokka enclosure opens" not in system and report_id not in system
        assert frames[-1]["citations"] == []
    finally:
        await comm.disconnect()
