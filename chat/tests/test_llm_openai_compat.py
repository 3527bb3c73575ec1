"""The OpenAI-compatible provider against a real HTTP server on loopback that
speaks /v1/chat/completions with SSE chunks (chat.tests.fake_llm)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from chat.llm import Done, LLMRequest, TextDelta, ToolCall, ToolSpec, provider_get
from chat.llm.openai_compat import OpenAICompatProvider
from chat.tests.fake_llm import FakeLLM, Reply
from chatui.errors import LLMUnavailable

pytestmark = [pytest.mark.anyio]

ECHO = ToolSpec(
    name="echo",
    description="Repeat the text.",
    parameters={"type": "object", "properties": {"text": {"type": "string"}}},
)


def provider(fake: FakeLLM, timeout_s: float = 5.0) -> OpenAICompatProvider:
    return OpenAICompatProvider(
        base_url=fake.base_url, api_key="k-123", model="fake-model", timeout_s=timeout_s
    )


async def events_of(p: OpenAICompatProvider, request: LLMRequest) -> list[Any]:
    return [event async for event in p.stream(request)]


@pytest.fixture
def fake() -> Any:
    server = FakeLLM().start()
    yield server
    server.stop()


def test_settings_choose_the_provider(settings: Any) -> None:
    settings.LLM_BASE_URL = ""
    assert provider_get().name == "offline"
    settings.LLM_BASE_URL = "http://127.0.0.1:9/v1"
    settings.LLM_TIMEOUT_S = 3.5
    chosen = provider_get()
    assert chosen.name == "openai_compat" and chosen.timeout_s == 3.5


async def test_text_is_streamed_delta_by_delta(fake: FakeLLM) -> None:
    fake.script = [Reply(text_chunks=["Hel", "lo", " there"])]
    messages = [{"role": "user", "content": "hi"}]
    events = await events_of(provider(fake), LLMRequest(messages=messages))
    assert events == [TextDelta("Hel"), TextDelta("lo"), TextDelta(" there"), Done("stop")]
    sent = fake.requests[0]
    assert sent["body"]["stream"] is True and sent["body"]["model"] == "fake-model"
    assert sent["body"]["messages"] == messages
    assert "tools" not in sent["body"]
    assert sent["headers"]["Authorization"] == "Bearer k-123"


async def test_a_streamed_tool_call_is_assembled_and_tools_are_offered(fake: FakeLLM) -> None:
    arguments = json.dumps({"text": "ping pong"})
    fake.script = [Reply(tool_calls=[("call_1", "echo", arguments)])]
    request = LLMRequest(messages=[{"role": "user", "content": "echo"}], tools=[ECHO])
    events = await events_of(provider(fake), request)
    assert events == [ToolCall("call_1", "echo", arguments), Done("tool_calls")]
    assert fake.requests[0]["body"]["tools"] == [ECHO.openai_format()]


@pytest.mark.parametrize("reply", [Reply(status=500), Reply(status=401)])
async def test_an_error_status_is_llm_unavailable(fake: FakeLLM, reply: Reply) -> None:
    fake.script = [reply]
    with pytest.raises(LLMUnavailable):
        await events_of(provider(fake), LLMRequest(messages=[{"role": "user", "content": "x"}]))
    assert len(fake.requests) == 1, "no retries: the user hears about it at once"


async def test_a_hanging_endpoint_is_llm_unavailable_within_the_timeout(fake: FakeLLM) -> None:
    fake.script = [Reply(hang_s=30)]
    started = time.monotonic()
    with pytest.raises(LLMUnavailable):
        await events_of(provider(fake, timeout_s=0.5), LLMRequest(messages=[]))
    assert time.monotonic() - started < 2.0


async def test_an_endpoint_that_stalls_mid_stream_is_llm_unavailable(fake: FakeLLM) -> None:
    fake.script = [Reply(text_chunks=["a", "b", "c"], chunk_delay_s=2.0)]
    started = time.monotonic()
    with pytest.raises(LLMUnavailable):
        await events_of(provider(fake, timeout_s=0.5), LLMRequest(messages=[]))
    assert time.monotonic() - started < 2.5


async def test_nothing_listening_is_llm_unavailable() -> None:
    closed = OpenAICompatProvider(
        base_url="http://127.0.0.1:9/v1", api_key="", model="m", timeout_s=1.0
    )
    with pytest.raises(LLMUnavailable):
        await events_of(closed, LLMRequest(messages=[]))


async def test_cancelling_the_stream_closes_it(fake: FakeLLM) -> None:
    fake.script = [Reply(text_chunks=[f"w{i} " for i in range(50)], chunk_delay_s=0.05)]
    seen: list[Any] = []

    async def consume() -> None:
        async for event in provider(fake).stream(LLMRequest(messages=[])):
            seen.append(event)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert 0 < len(seen) < 50
