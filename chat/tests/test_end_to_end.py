"""The whole path: a CSV uploaded and tagged through the file API, a message over
the websocket, the model (a loopback OpenAI-compatible server, then the offline
assistant) sees the CSV's text and calls ``plot_csv``, and the PNG it makes
arrives in ``tool_complete`` and ``files_update`` and downloads through the file
API. Storage is a live s3mock over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient

from chat.models import Message
from chat.tests.conftest import communicator, receive_until
from chat.tests.fake_llm import FakeLLM, Reply

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True),
]

CSV = b"day,total\nmon,3\ntue,4\nwed,5\n"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def tools(settings: Any) -> None:
    settings.TOOLS = [
        "tools.builtin.plot_csv.PlotCsvTool",
        "tools.builtin.csv_summary.CsvSummaryTool",
    ]


async def upload_and_tag(client: AsyncClient) -> dict[str, Any]:
    upload = SimpleUploadedFile("sales.csv", CSV, content_type="text/csv")
    created = await client.post("/api/files", {"file": upload})
    assert created.status_code == 201, created.content
    file_id = created.json()["id"]
    tagged = await client.patch(
        f"/api/files/{file_id}", {"tagged": True}, content_type="application/json"
    )
    assert tagged.status_code == 200 and tagged.json()["tagged"] is True
    listed = await client.get("/api/files", {"tagged": "true"})
    assert [f["id"] for f in listed.json()["results"]] == [file_id]
    return created.json()


async def logged_in(alice: tuple[Any, str]) -> AsyncClient:
    client = AsyncClient()
    client.cookies["sessionid"] = alice[1]
    return client


async def converse(cookie: str, content: str) -> list[dict[str, Any]]:
    comm = communicator(cookie)
    assert (await comm.connect())[0]
    try:
        await comm.send_json_to(
            {"type": "chat", "session_id": None, "content": content, "file_ids": []}
        )
        return await receive_until(comm, "response_complete", timeout=60)
    finally:
        await comm.disconnect()


def one(frames: list[dict[str, Any]], frame_type: str) -> dict[str, Any]:
    found = [f for f in frames if f["type"] == frame_type]
    assert len(found) == 1, (frame_type, frames)
    return found[0]


async def assert_png_delivered(client: AsyncClient, frames: list[dict[str, Any]]) -> dict[str, Any]:
    complete = one(frames, "tool_complete")
    assert complete["name"] == "plot_csv" and complete["error"] is None
    [png] = complete["files"]
    assert png["content_type"] == "image/png" and png["source"] == "tool"
    assert png["session"] == frames[0]["session_id"]
    assert [f["id"] for f in one(frames, "files_update")["files"]] == [png["id"]]
    download = await client.get(png["download_url"])
    assert download.status_code == 200
    body = (
        b"".join([chunk async for chunk in download.streaming_content])
        if download.streaming
        else download.content
    )
    assert body.startswith(PNG_MAGIC) and len(body) == png["size"]
    reply = await database_sync_to_async(
        lambda: Message.objects.prefetch_related("files").get(id=frames[-1]["message_id"])
    )()
    assert [str(f.id) for f in reply.files.all()] == [png["id"]]
    assert reply.tool_calls[0]["file_ids"] == [png["id"]]
    return png


async def test_openai_compatible_model_sees_the_tagged_csv_and_plots_it(
    alice: tuple[Any, str], s3_backend: Any, fake_llm: FakeLLM, tools: None
) -> None:
    client = await logged_in(alice)
    csv = await upload_and_tag(client)
    arguments = json.dumps({"file_id": csv["id"], "x": "day", "y": "total"})
    fake_llm.script = [
        Reply(
            text_chunks=["Let me ", "plot that."], tool_calls=[("call_a", "plot_csv", arguments)]
        ),
        Reply(text_chunks=["Here is ", "your chart."]),
    ]

    frames = await converse(alice[1], "plot my sales")

    first, second = (r["body"] for r in fake_llm.requests)
    system = first["messages"][0]["content"]
    assert "day,total\nmon,3\ntue,4\nwed,5" in system and f'id="{csv["id"]}"' in system
    assert first["messages"][-1] == {"role": "user", "content": "plot my sales"}
    assert {t["function"]["name"] for t in first["tools"]} == {"plot_csv", "csv_summary"}
    assistant, tool = second["messages"][-2:]
    assert assistant["tool_calls"][0]["function"] == {"name": "plot_csv", "arguments": arguments}
    assert tool["role"] == "tool" and tool["tool_call_id"] == "call_a"
    assert tool["content"] == one(frames, "tool_complete")["result"] and tool["content"]
    assert one(frames, "tool_start")["arguments"] == json.loads(arguments)
    assert frames[-1]["content"] == "Let me plot that.Here is your chart."
    await assert_png_delivered(client, frames)


async def test_the_offline_assistant_holds_the_same_conversation(
    alice: tuple[Any, str], s3_backend: Any, tools: None
) -> None:
    client = await logged_in(alice)
    csv = await upload_and_tag(client)

    described = await converse(alice[1], "what is in my files?")
    frames = await converse(alice[1], f"/plot_csv file_id={csv['id']} x=day y=total")

    text = described[-1]["content"]
    assert f"sales.csv (text/csv, {len(CSV)} bytes, tagged)" in text and "> mon,3" in text
    png = await assert_png_delivered(client, frames)
    assert frames[-1]["content"].startswith("plot_csv finished: ")
    assert png["filename"].endswith(".png")


async def test_a_failing_tool_is_reported_to_the_model_and_the_chat(
    alice: tuple[Any, str], s3_backend: Any, fake_llm: FakeLLM, tools: None
) -> None:
    fake_llm.script = [
        Reply(tool_calls=[("c1", "plot_csv", json.dumps({"file_id": "nope", "y": "total"}))]),
        Reply(text_chunks=["That file does not exist."]),
    ]
    frames = await converse(alice[1], "plot")
    complete = one(frames, "tool_complete")
    assert complete["error"]["code"] == "not_found" and complete["files"] == []
    assert fake_llm.requests[1]["body"]["messages"][-1]["content"].startswith("Error: ")
    assert frames[-1]["status"] == "complete"


async def test_a_hanging_model_is_llm_unavailable_and_the_message_is_kept(
    alice: tuple[Any, str], fake_llm: FakeLLM, settings: Any, s3_backend: Any
) -> None:
    settings.LLM_TIMEOUT_S = 0.5
    fake_llm.script = [Reply(hang_s=30)]
    comm = communicator(alice[1])
    assert (await comm.connect())[0]
    try:
        await comm.send_json_to({"type": "chat", "session_id": None, "content": "hello?"})
        frames = await receive_until(comm, "error", timeout=3)
    finally:
        await comm.disconnect()
    assert frames[-1]["code"] == "llm_unavailable"
    stored = await database_sync_to_async(
        lambda: list(
            Message.objects.order_by("created_at").values_list("role", "content", "status")
        )
    )()
    assert stored == [("user", "hello?", "complete"), ("assistant", "", "error")]
