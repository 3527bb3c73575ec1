"""An OpenAI-compatible chat-completions provider (OpenAI, Azure, vLLM, Ollama, LiteLLM).

Streams with function calling through the ``openai`` SDK's async client, so the
event loop never blocks on the network. The SDK's own retries are off: a failing
or silent endpoint must surface as ``llm_unavailable`` within ``LLM_TIMEOUT_S``,
not three timeouts later. The timeout also bounds the wait between two chunks,
which catches an endpoint that sends headers and then hangs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
from openai import AsyncOpenAI

from chatui.errors import LLMUnavailable

from .base import Done, LLMEvent, LLMProvider, LLMRequest, TextDelta, ToolCall

logger = logging.getLogger(__name__)


@dataclass
class _PartialCall:
    """A tool call being assembled from streamed deltas (id and name come first)."""

    id: str = ""
    name: str = ""
    arguments: str = ""


class OpenAICompatProvider(LLMProvider):
    name = "openai_compat"

    def __init__(self, *, base_url: str, api_key: str, model: str, timeout_s: float) -> None:
        self.base_url = base_url
        self.api_key = api_key or "not-needed"  # local servers accept any key; the SDK wants one
        self.model = model or "default"
        self.timeout_s = timeout_s

    async def stream(self, request: LLMRequest) -> AsyncIterator[LLMEvent]:
        client = AsyncOpenAI(
            base_url=self.base_url,
            api_key=self.api_key,
            timeout=self.timeout_s,
            max_retries=0,
        )
        try:
            async for event in self._stream(client, request):
                yield event
        except (openai.APIError, httpx.HTTPError, TimeoutError) as exc:
            logger.warning("llm endpoint failed: %s: %s", type(exc).__name__, exc)
            raise LLMUnavailable() from exc
        finally:
            await client.close()

    async def _stream(self, client: AsyncOpenAI, request: LLMRequest) -> AsyncIterator[LLMEvent]:
        async with asyncio.timeout(self.timeout_s):
            chunks = await client.chat.completions.create(**self._arguments(request))
        calls: dict[int, _PartialCall] = {}
        finish_reason = "stop"
        iterator = aiter(chunks)
        while True:
            try:
                async with asyncio.timeout(self.timeout_s):
                    chunk = await anext(iterator)
            except StopAsyncIteration:
                break
            for choice in chunk.choices:
                if choice.delta.content:
                    yield TextDelta(choice.delta.content)
                _collect_tool_calls(calls, choice.delta.tool_calls or [])
                finish_reason = choice.finish_reason or finish_reason
        for index in sorted(calls):
            call = calls[index]
            yield ToolCall(id=call.id or f"call_{index}", name=call.name, arguments=call.arguments)
        yield Done(finish_reason)

    def _arguments(self, request: LLMRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "stream": True,
        }
        if request.tools:
            arguments["tools"] = [tool.openai_format() for tool in request.tools]
        return arguments


def _collect_tool_calls(calls: dict[int, _PartialCall], deltas: list[Any]) -> None:
    for delta in deltas:
        call = calls.setdefault(delta.index, _PartialCall())
        call.id = delta.id or call.id
        if delta.function is not None:
            call.name = delta.function.name or call.name
            call.arguments += delta.function.arguments or ""
