"""LLM providers, chosen by settings: OpenAI-compatible when LLM_BASE_URL is set,
the built-in offline assistant otherwise."""

from __future__ import annotations

from django.conf import settings

from .base import Done, LLMEvent, LLMProvider, LLMRequest, TextDelta, ToolCall, ToolSpec

__all__ = [
    "Done",
    "LLMEvent",
    "LLMProvider",
    "LLMRequest",
    "TextDelta",
    "ToolCall",
    "ToolSpec",
    "provider_get",
]


def provider_get() -> LLMProvider:
    """Build the configured provider; cheap, so it is read per reply and follows settings."""
    if settings.LLM_BASE_URL:
        from .openai_compat import OpenAICompatProvider

        return OpenAICompatProvider(
            base_url=settings.LLM_BASE_URL,
            api_key=settings.LLM_API_KEY,
            model=settings.LLM_MODEL,
            timeout_s=settings.LLM_TIMEOUT_S,
        )
    from .offline import OfflineProvider

    return OfflineProvider(chunk_words=settings.CHAT_OFFLINE_CHUNK_WORDS)
