"""The chat's view of the tools app: the specs offered to the model and one call.

Kept in one small module so the reply loop depends on two functions, not on the
registry's and executor's shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chat.llm import ToolSpec
from chat.models import ChatSession, Message
from chatui.errors import InvalidInput
from files.models import StoredFile
from tools.registry import tool_function_specs


@dataclass(frozen=True)
class ToolOutcome:
    text: str
    files: list[StoredFile] = field(default_factory=list)


def tool_specs_list() -> list[ToolSpec]:
    """Every configured tool in the OpenAI function format (file markers stripped)."""
    return [
        ToolSpec(
            name=spec["function"]["name"],
            description=spec["function"]["description"],
            parameters=spec["function"]["parameters"],
        )
        for spec in tool_function_specs()
    ]


def tool_call_execute(
    *, user: Any, name: str, arguments: Any, session: ChatSession, message: Message
) -> ToolOutcome:
    """Run a tool for ``user``; the executor checks the arguments and file access,
    stores generated files in ``session`` and raises a DomainError on failure."""
    from tools.executor import tool_run  # the executor imports chat models; import late

    if not isinstance(arguments, dict):
        raise InvalidInput("The tool arguments must be a JSON object.")
    outcome = tool_run(user=user, name=name, arguments=arguments, session=session, message=message)
    return ToolOutcome(text=outcome.text, files=list(outcome.files))
