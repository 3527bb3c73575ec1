"""text_search: the lines of chosen text files that match a pattern.

Python's ``re`` cannot be interrupted, so a pattern like ``(a+)+$`` can spin for
hours on one line. Three guards, from cheapest to last resort: a pattern length
limit; refusing nested unbounded repeats (``(a+)+``, ``(a*)*``, ``(?:x+y?)*``),
the shape behind catastrophic backtracking, found by walking the parsed
pattern; and a time budget checked between lines, after which the search stops
and says so. The executor's process timeout backs all three.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from chatui.errors import ToolError
from tools.base import InputFile, Tool, ToolResult, looks_binary, multi_file_property, object_schema

try:  # the parser behind re.compile; private, hence the fallback below
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python without re._parser
    sre_parse = None  # type: ignore[assignment]
    sre_constants = None  # type: ignore[assignment]

MAX_PATTERN_CHARS = 200
DEFAULT_MAX_RESULTS = 100
MAX_RESULTS = 1000
MAX_LINE_CHARS = 300
TIME_BUDGET_S = 5.0
CHECK_EVERY_LINES = 1000


def _repeat_ops() -> tuple:
    return (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)


def _has_nested_repeat(items: object, inside_unbounded: bool) -> bool:
    """True if an unbounded repeat sits inside another repeat's body."""
    for op, arg in items:  # type: ignore[attr-defined]
        if op in _repeat_ops():
            _low, high, body = arg
            unbounded = high == sre_constants.MAXREPEAT
            if unbounded and inside_unbounded:
                return True
            if _has_nested_repeat(body, inside_unbounded or unbounded):
                return True
        elif op == sre_constants.SUBPATTERN:
            if _has_nested_repeat(arg[-1], inside_unbounded):
                return True
        elif op == sre_constants.BRANCH:
            if any(_has_nested_repeat(branch, inside_unbounded) for branch in arg[1]):
                return True
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            if _has_nested_repeat(arg[1], inside_unbounded):
                return True
    return False


def compile_pattern(pattern: str, *, regex: bool, ignore_case: bool) -> re.Pattern[str]:
    """The search pattern, refusing regular expressions that risk catastrophic backtracking."""
    if not pattern:
        raise ToolError("The pattern is empty.")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ToolError(f"The pattern is longer than {MAX_PATTERN_CHARS} characters.")
    flags = re.IGNORECASE if ignore_case else 0
    if not regex:
        return re.compile(re.escape(pattern), flags)
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        raise ToolError(f"The regular expression is not valid: {exc}.") from None
    if sre_parse is not None and _has_nested_repeat(sre_parse.parse(pattern, flags), False):
        raise ToolError(
            "The regular expression nests repeats (like (a+)+), which can take forever "
            "to match; simplify it."
        )
    return compiled


@dataclass
class SearchReport:
    matches: list[str] = field(default_factory=list)
    total: int = 0
    files_with_matches: int = 0
    skipped: list[str] = field(default_factory=list)
    stopped_early: bool = False


def _clip(line: str) -> str:
    line = line.rstrip("\r\n")
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"


def _search_file(
    file: InputFile, compiled: re.Pattern[str], report: SearchReport, limit: int, deadline: float
) -> None:
    found = False
    for number, line in enumerate(file.text().splitlines(), start=1):
        if number % CHECK_EVERY_LINES == 0 and time.monotonic() > deadline:
            report.stopped_early = True
            return
        if compiled.search(line):
            found = True
            report.total += 1
            if len(report.matches) < limit:
                report.matches.append(f"{file.filename}:{number}: {_clip(line)}")
    report.files_with_matches += found


def search_files(
    files: list[InputFile],
    compiled: re.Pattern[str],
    *,
    limit: int,
    budget_s: float = TIME_BUDGET_S,
) -> SearchReport:
    report = SearchReport()
    deadline = time.monotonic() + budget_s
    for file in files:
        if looks_binary(file.content):
            report.skipped.append(file.filename)
            continue
        _search_file(file, compiled, report, limit, deadline)
        if report.stopped_early:
            break
    return report


def render_report(pattern: str, files: list[InputFile], report: SearchReport) -> str:
    head = (
        f"{report.total} matching line{'s' if report.total != 1 else ''} for {pattern!r} "
        f"in {report.files_with_matches} of {len(files)} file{'s' if len(files) != 1 else ''}"
    )
    if report.total > len(report.matches):
        head += f" (showing the first {len(report.matches)})"
    lines = [head + ":" if report.matches else head + "."]
    lines += report.matches
    if report.skipped:
        lines.append(f"Skipped binary files: {', '.join(report.skipped)}.")
    if report.stopped_early:
        lines.append(f"The search stopped after {TIME_BUDGET_S:g} seconds; results are partial.")
    return "\n".join(lines)


class TextSearchTool(Tool):
    name = "text_search"
    description = (
        "Find the lines of text files that contain a pattern (plain text by default, "
        "a regular expression with regex=true), with file names and line numbers."
    )
    parameters = object_schema(
        {
            "file_ids": multi_file_property("the text files to search"),
            "pattern": {"type": "string", "minLength": 1, "maxLength": MAX_PATTERN_CHARS},
            "regex": {"type": "boolean", "description": "Treat pattern as a regular expression."},
            "ignore_case": {"type": "boolean"},
            "max_results": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS},
        },
        required=["file_ids", "pattern"],
    )

    def run(
        self,
        *,
        files: list[InputFile],
        pattern: str,
        regex: bool = False,
        ignore_case: bool = False,
        max_results: int = DEFAULT_MAX_RESULTS,
    ) -> ToolResult:
        compiled = compile_pattern(pattern, regex=regex, ignore_case=ignore_case)
        report = search_files(files, compiled, limit=max_results)
        return ToolResult(text=render_report(pattern, files, report))
