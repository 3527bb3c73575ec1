"""LLM providers, chosen by settings: OpenAI-compatible when LLM_BASE_URL is set,
the built-in offline assistant otherwise."""

from __future__ import annotations

import re

from django.conf import settings

from .base import Cited, Done, LLMEvent, LLMProvider, LLMRequest, TextDelta, ToolCall, ToolSpec

__all__ = [
    "Cited",
    "Done",
    "LLMEvent",
    "LLMProvider",
    "LLMRequest",
    "TextDelta",
    "ToolCall",
    "ToolSpec",
    "provider_get",
]


# "/help", "/tool name …", "/name …": a command typed (or sent by a tool form) runs as
# written whatever model is configured; "/r/python" and other text are not commands.
EXPLICIT_COMMAND = re.compile(r"^/(?:help\s*$|tool\s|[a-z][a-z0-9_]*(?:\s|$))")


def provider_get(content: str = "") -> LLMProvider:
    """Build the configured provider; cheap, so it is read per reply and follows settings.
    An explicit command in ``content`` is answered by the built-in assistant, which
    runs the tool it names, so the "/" menu's forms work with any model."""
    if settings.LLM_BASE_URL and not EXPLICIT_COMMAND.match(content.strip()):
        from .openai_compat import OpenAICompatProvider

        return OpenAICompatProvider(
            base_url=settings.LLM_BASE_URL,
            api_key=settings.LLM_API_KEY,
            model=settings.LLM_MODEL,
            timeout_s=settings.LLM_TIMEOUT_S,
        )
    from .offline import OfflineProvider

    return OfflineProvider(chunk_words=settings.CHAT_OFFLINE_CHUNK_WORDS)
