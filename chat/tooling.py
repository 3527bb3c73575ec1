"""The chat's view of the tools app: the specs offered to the model and one call.

Kept in one small module so the reply loop depends on two functions, not on the
registry's and executor's shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import sync_to_async

from chat.llm import ToolSpec
from chat.models import ChatSession, Message
from chatui.errors import InvalidInput
from files.models import StoredFile
from tools.executor import tool_run
from tools.registry import tool_specs, tool_specs_built


@dataclass(frozen=True)
class ToolOutcome:
    text: str
    files: list[StoredFile] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)  # the versions the tool read


def tool_specs_list() -> list[ToolSpec]:
    """Every configured tool as the model is offered it (``tools`` builds and caches them)."""
    return tool_specs()


async def tool_specs_get() -> list[ToolSpec]:
    """``tool_specs_list`` for async code: the cached specs without a thread hop, and
    the first build in a thread of its own, never on the event loop or on the one
    thread every socket shares for database work."""
    built = tool_specs_built()
    if built is not None:
        return built
    return await sync_to_async(tool_specs, thread_sensitive=False)()


def tool_call_execute(
    *, user: Any, name: str, arguments: Any, session: ChatSession, message: Message
) -> ToolOutcome:
    """Run a tool for ``user``; the executor checks the arguments and file access,
    stores generated files in ``session`` and raises a DomainError on failure."""
    if not isinstance(arguments, dict):
        raise InvalidInput("The tool arguments must be a JSON object.")
    outcome = tool_run(
        user=user, name=name, arguments=arguments, session_id=session.id, message=message
    )
    return ToolOutcome(text=outcome.text, files=list(outcome.files), inputs=outcome.inputs)
