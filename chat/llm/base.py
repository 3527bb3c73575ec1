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
class Cited:
    """The passages a provider quoted itself (the offline assistant): the reply's
    citations are these instead of the passages the context gave the model."""

    citations: list[dict[str, Any]]


@dataclass(frozen=True)
class Done:
    finish_reason: str = "stop"


LLMEvent = TextDelta | ToolCall | Cited | Done


@dataclass
class LLMRequest:
    messages: list[dict[str, Any]]
    tools: list[ToolSpec] = field(default_factory=list)
    context: ChatContext | None = None


class LLMProvider(ABC):
    """One round of generation; raise ``LLMUnavailable`` when the model cannot answer."""

    name: str = "provider"
    # The reply cites the passages the context gave the provider; a provider that
    # quotes passages itself says which with ``Cited`` events instead.
    cites_context: bool = True

    @abstractmethod
    def stream(self, request: LLMRequest) -> AsyncIterator[LLMEvent]:
        """Yield the round's events; the last one is ``Done``."""
