"""text_search: line numbers across files, bounded results, regex guards."""

from __future__ import annotations

import time

import pytest

from chatui.errors import ToolError
from tools.builtin import text_search
from tools.builtin.text_search import TextSearchTool, compile_pattern, search_files

from .factories import input_file

NOTES = "alpha\nTODO: fix the ünïcode\nbeta\r\ntodo later\n"
CODE = b"def f():\n    return 1  # TODO\n"


def test_plain_substring_across_files_with_line_numbers() -> None:
    files = [input_file("notes.txt", NOTES.encode()), input_file("code.py", CODE)]
    text = TextSearchTool().run(files=files, pattern="TODO").text
    assert text.splitlines() == [
        "2 matching lines for 'TODO' in 2 of 2 files:",
        "notes.txt:2: TODO: fix the ünïcode",
        "code.py:2:     return 1  # TODO",
    ]


def test_plain_mode_escapes_regex_characters() -> None:
    files = [input_file("a.txt", b"a.b\naxb\n")]
    assert "1 matching line for 'a.b'" in TextSearchTool().run(files=files, pattern="a.b").text


def test_ignore_case_and_regex() -> None:
    files = [input_file("notes.txt", NOTES.encode())]
    assert TextSearchTool().run(files=files, pattern="todo", ignore_case=True).text.startswith("2")
    text = TextSearchTool().run(files=files, pattern=r"^(alpha|beta)$", regex=True).text
    assert "notes.txt:1: alpha" in text and "notes.txt:3: beta" in text


def test_results_are_bounded_but_counted() -> None:
    files = [input_file("many.txt", b"hit\n" * 500)]
    text = TextSearchTool().run(files=files, pattern="hit", max_results=3).text
    assert text.startswith("500 matching lines for 'hit' in 1 of 1 file (showing the first 3):")
    assert len(text.splitlines()) == 4


def test_latin1_file_and_binary_file() -> None:
    files = [
        input_file("l.txt", "café crème\n".encode("latin-1")),
        input_file("b.bin", b"\x00\x01" + "crème".encode()),
    ]
    text = TextSearchTool().run(files=files, pattern="crème").text
    assert "l.txt:1: café crème" in text and "Skipped binary files: b.bin." in text


def test_long_lines_are_clipped() -> None:
    files = [input_file("long.txt", b"x" * 5000 + b"needle")]
    [_head, line] = TextSearchTool().run(files=files, pattern="x").text.splitlines()
    assert len(line) < 400 and line.endswith("…")


# The findings, then classic catastrophic-backtracking shapes: RE2 runs each in
# linear time, so they are allowed and answer at once on the lines that blew up `re`.
CATASTROPHIC = [
    (r"(a|a)*b", "a" * 28, 0),
    (r"(.*a){12}x", "a" * 28, 0),
    (r"(a+)+$", "a" * 40 + "!", 0),
    (r"(\w+\s?)*$", "word " * 30 + "!", 200),
]


@pytest.mark.parametrize(("pattern", "line", "hits"), CATASTROPHIC)
def test_catastrophic_patterns_answer_in_linear_time(pattern: str, line: str, hits: int) -> None:
    # Finding (issue #20, low): (a|a)*b on 28 characters ran 60 s, (.*a){12}x 21 s.
    files = [input_file("hostile.txt", (line + "\n").encode() * 200)]
    started = time.monotonic()
    text = TextSearchTool().run(files=files, pattern=pattern, regex=True).text
    assert time.monotonic() - started < 1.0
    assert text.startswith(f"{hits} matching line")


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?=a)b", r"(?<!a)b", r"(?>a)", r"a++", r"a{1001}"])
def test_constructs_that_need_backtracking_are_refused_by_name(pattern: str) -> None:
    with pytest.raises(ToolError, match="RE2, which refuses backreferences, lookahead"):
        compile_pattern(pattern, regex=True, ignore_case=False)


@pytest.mark.parametrize("pattern", [r"\d{3}-\d+", r"(ab){2,3}x+", r"foo|bar.*baz", r"(a|b)+"])
def test_ordinary_regexes_are_allowed(pattern: str) -> None:
    compile_pattern(pattern, regex=True, ignore_case=False)


def test_invalid_and_overlong_patterns() -> None:
    with pytest.raises(ToolError, match="not valid"):
        compile_pattern("(", regex=True, ignore_case=False)
    with pytest.raises(ToolError, match="longer than 200"):
        compile_pattern("a" * 201, regex=False, ignore_case=False)


def test_time_budget_stops_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a clock that jumps past the budget after the first check
    monkeypatch.setattr(text_search, "CHECK_EVERY_LINES", 10)
    files = [input_file("big.txt", b"line\n" * 1000), input_file("later.txt", b"line\n")]
    started = time.monotonic()
    ticks = iter([started, started + 100])
    monkeypatch.setattr(text_search.time, "monotonic", lambda: next(ticks, started + 100))
    # when
    report = search_files(files, compile_pattern("line", regex=False, ignore_case=False), limit=5)
    # then only the lines before the first check were searched, and it says so
    assert report.stopped_early and report.total == 9
