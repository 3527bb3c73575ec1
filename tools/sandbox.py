"""Running one tool call in a child process that can really be stopped.

Why a process: Python cannot kill a thread, so a tool stuck in a C loop (a
regular expression, a huge image decode) would keep a thread and its memory
forever. A process is killed with SIGKILL at the deadline and the OS reclaims
everything. Tools need no database: their inputs are plain bytes.

Why forkserver: ``fork`` from a threaded ASGI server is unsafe, and ``spawn``
pays the interpreter start and the imports (Django, matplotlib, Pillow,
openpyxl: about a second) on every call. The forkserver (:mod:`chatui.sandbox`) is
started once, imports all of that once (:mod:`tools.sandbox_boot`, named by the
``SANDBOX_PRELOAD`` setting), and forks a fresh child per call.
Measured on the 2-core dev box: about 0.8 s once per server process, then about
8-10 ms per call (spawn: about 40 ms per call without any of those imports).

The child itself is run by :func:`chatui.sandbox.run_in_child`: a DomainError the
tool raises reaches the caller as is; a bug becomes a ToolError, and the child's
traceback is logged in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chatui.errors import (
    DomainError,
    ToolError,
    ToolMemoryExceeded,
    ToolOutputTooLarge,
    ToolTimeout,
)
from chatui.sandbox import ChildCrashed, ChildDied, ChildLimits, ChildTimeout, run_in_child

from .base import GeneratedFile, Tool, ToolResult


@dataclass(frozen=True)
class Limits:
    timeout_s: float
    max_file_bytes: int
    max_total_bytes: int
    max_memory_bytes: int = 0


def output_problem(result: ToolResult, limits: Limits) -> str | None:
    """Why ``result`` may not be stored, or None."""
    total = 0
    for file in result.files:
        total += len(file.content)
        if len(file.content) > limits.max_file_bytes:
            return (
                f"{file.filename} is {len(file.content):,} bytes; a generated file may be "
                f"at most {limits.max_file_bytes:,} bytes."
            )
    if total > limits.max_total_bytes:
        return (
            f"The tool generated {total:,} bytes; at most {limits.max_total_bytes:,} are allowed."
        )
    return None


def _run_tool(tool_cls: type[Tool], kwargs: dict[str, Any], limits: Limits) -> ToolResult:
    """Runs in the child: call the tool and check its output size."""
    try:
        result = _checked(tool_cls().run(**kwargs))
    except MemoryError:  # the memory cap: the input's fault, reported without a traceback
        limit_mb = limits.max_memory_bytes // (1024 * 1024)
        raise ToolMemoryExceeded(f"The tool needed more than {limit_mb} MB.") from None
    problem = output_problem(result, limits)
    if problem:
        raise ToolOutputTooLarge(problem)
    return result


def _checked(result: object) -> ToolResult:
    """A broken result is the tool's bug, reported as a crash rather than stored."""
    if not isinstance(result, ToolResult) or not isinstance(result.text, str):
        raise TypeError(f"run() must return a ToolResult with text, not {result!r:.100}")
    for file in result.files:
        if not isinstance(file, GeneratedFile) or not isinstance(file.content, bytes):
            raise TypeError(
                f"ToolResult.files must hold GeneratedFile with bytes, not {file!r:.100}"
            )
    return result


def run_isolated(tool: Tool, kwargs: dict[str, Any], limits: Limits) -> ToolResult:
    """Run ``tool.run(**kwargs)`` in a child process within ``limits``.

    Raises ToolTimeout (the child is killed), ToolOutputTooLarge, the tool's own
    DomainError, or ToolError for a crash (logged with the child's traceback).
    """
    try:
        return run_in_child(
            _run_tool,
            (type(tool), kwargs, limits),
            ChildLimits(timeout_s=limits.timeout_s, max_memory_bytes=limits.max_memory_bytes),
            name=tool.name,
            expected=(DomainError,),
        )
    except ChildTimeout as exc:
        raise ToolTimeout(str(exc), timeout_s=limits.timeout_s) from None
    except ChildDied as exc:  # killed, out of memory, segfault
        raise ToolError(str(exc)) from None
    except ChildCrashed as exc:
        raise ToolError(str(exc), exception=exc.exc_type) from None
