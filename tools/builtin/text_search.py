"""text_search: the lines of chosen text files that match a pattern.

A document (PDF, Office file, scanned image) is searched in its extracted text,
page by page, and its matches are reported as ``name p.N:line``.

User patterns run on RE2 (``google-re2``), whose matching time is linear in the
line's length whatever the pattern: ``(a|a)*b`` or ``(.*a){12}x`` cannot
backtrack, because RE2 never backtracks. RE2 refuses the constructs that need
backtracking, and the tool says so: backreferences (``\\1``, ``(?P=name)``),
lookahead and lookbehind (``(?=``, ``(?!``, ``(?<=``, ``(?<!``), atomic groups
``(?>...)``, possessive quantifiers (``a++``) and repeat counts above 1000. A
pattern length limit and a time budget checked between lines bound the rest (a
search over many large files); the executor's process timeout backs them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import re2

from chatui.errors import ToolError
from tools.base import InputFile, Tool, ToolResult, looks_binary, multi_file_property, object_schema

MAX_PATTERN_CHARS = 200
DEFAULT_MAX_RESULTS = 100
MAX_RESULTS = 1000
MAX_LINE_CHARS = 300
TIME_BUDGET_S = 5.0
CHECK_EVERY_LINES = 1000
REFUSED_CONSTRUCTS = (
    "backreferences, lookahead/lookbehind, atomic groups, possessive quantifiers "
    "and repeat counts above 1000"
)


def _options(ignore_case: bool) -> Any:
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False  # a refused pattern is the user's, not a server error
    return options


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else exc
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)


def compile_pattern(pattern: str, *, regex: bool, ignore_case: bool) -> Any:
    """The search pattern as a linear-time RE2 program; ToolError for what RE2 refuses."""
    if not pattern:
        raise ToolError("The pattern is empty.")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ToolError(f"The pattern is longer than {MAX_PATTERN_CHARS} characters.")
    source = pattern if regex else re2.escape(pattern)
    try:
        return re2.compile(source, _options(ignore_case))
    except re2.error as exc:
        raise ToolError(
            f"The regular expression is not valid here: {_reason(exc)}. Searches use "
            f"RE2, which refuses {REFUSED_CONSTRUCTS}."
        ) from None


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


def _texts(file: InputFile) -> list[tuple[str, str]]:
    """(where, text) pieces to search: the pages of extracted text, or the file's text."""
    if file.pages is not None:
        return [(f"{file.filename} p.{n}", page) for n, page in enumerate(file.pages, start=1)]
    return [(file.filename, file.text())]


def _search_file(
    file: InputFile, compiled: Any, report: SearchReport, limit: int, deadline: float
) -> None:
    found = False
    checked = 0
    for where, text in _texts(file):
        for number, line in enumerate(text.splitlines(), start=1):
            checked += 1
            if checked % CHECK_EVERY_LINES == 0 and time.monotonic() > deadline:
                report.stopped_early = True
                report.files_with_matches += found
                return
            if compiled.search(line):
                found = True
                report.total += 1
                if len(report.matches) < limit:
                    report.matches.append(f"{where}:{number}: {_clip(line)}")
    report.files_with_matches += found


def search_files(
    files: list[InputFile],
    compiled: Any,
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
        "a regular expression with regex=true), with file names and line numbers. "
        "Documents (PDF, Office, scans) are searched in their extracted text, with pages."
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
    reads_extracted_text = True

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
