"""The interface every LLM provider implements.

A provider turns one request (messages in the OpenAI chat format, the tools the
model may call, and the files in context) into a stream of events: text deltas
as they arrive, complete tool calls, then ``Done``. The reply loop in
``chat.reply`` owns the tool round trips, so a provider only ever answers one
round and never runs a tool itself.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tools.base import ToolSpec  # tools owns the spec; the providers send it as it is

if TYPE_CHECKING:
    from chat.context import ChatContext


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCall:
    """A complete call the model asked for; ``arguments`` is the raw JSON text."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Done:
    finish_reason: str = "stop"


LLMEvent = TextDelta | ToolCall | Done


@dataclass
class LLMRequest:
    messages: list[dict[str, Any]]
    tools: list[ToolSpec] = field(default_factory=list)
    context: ChatContext | None = None


class LLMProvider(ABC):
    """One round of generation; raise ``LLMUnavailable`` when the model cannot answer."""

    name: str = "provider"

    @abstractmethod
    def stream(self, request: LLMRequest) -> AsyncIterator[LLMEvent]:
        """Yield the round's events; the last one is ``Done``."""
