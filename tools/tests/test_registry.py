"""The registry: settings.TOOLS by import path, the system check, plugging in tools."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from chatui.errors import UnknownTool
from tools.base import InputFile, Tool, ToolResult, object_schema, single_file_properties
from tools.registry import load_tools, schema_problems, tool_get, tool_list, tool_specs

BUILTINS = {
    "csv_summary",
    "plot_csv",
    "image_info",
    "image_thumbnail",
    "text_search",
    "search_files",
    "zip_files",
    "convert_table",
}


class WordCountTool(Tool):
    """A third-party tool, plugged in through settings.TOOLS like any other."""

    name = "word_count"
    description = "Count the words of a text file."
    parameters = object_schema(single_file_properties("the text file"))

    def run(self, *, file: InputFile) -> ToolResult:
        return ToolResult(text=f"{len(file.text().split())} words")


class SecondCsvSummary(WordCountTool):
    name = "csv_summary"


class BadSchemaTool(WordCountTool):
    name = "bad_schema"
    parameters: dict[str, Any] = {"type": "object", "properties": {"n": {"type": "integer"}}}


class NotATool:
    name = "nope"


HERE = __name__


def _tools_check_ids() -> list[str]:
    return [m.id for m in run_checks(tags=["tools"])]


def test_builtins_load_and_pass_the_check() -> None:
    assert {tool.name for tool in tool_list()} == BUILTINS
    assert _tools_check_ids() == []


def test_every_builtin_has_an_openai_compatible_schema() -> None:
    for tool in tool_list():
        assert schema_problems(type(tool)) == [], tool.name
    specs = [spec.openai_format() for spec in tool_specs()]
    assert {s["function"]["name"] for s in specs} == BUILTINS
    assert all("x-file" not in str(s) for s in specs)


def test_a_third_party_tool_plugs_in_through_settings() -> None:
    paths = ["tools.builtin.csv_summary.CsvSummaryTool", f"{HERE}.WordCountTool"]
    with override_settings(TOOLS=paths):
        assert [t.name for t in tool_list()] == ["csv_summary", "word_count"]
        tool = tool_get("word_count")
        assert tool.run(file=InputFile("1", "a.txt", "", 3, b"a b c")).text == "3 words"
        assert _tools_check_ids() == []
    # the cache was reset when the override ended
    assert "word_count" not in {t.name for t in tool_list()}


def test_unknown_tool_is_typed() -> None:
    with pytest.raises(UnknownTool) as excinfo:
        tool_get("nope")
    assert (excinfo.value.code, excinfo.value.status) == ("unknown_tool", 404)


@pytest.mark.parametrize(
    ("path", "check_id", "words"),
    [
        ("tools.builtin.missing.Tool", "tools.E001", "cannot be imported"),
        (f"{HERE}.NotATool", "tools.E002", "not a subclass"),
        (f"{HERE}.SecondCsvSummary", "tools.E003", "reuses the tool name 'csv_summary'"),
        (f"{HERE}.BadSchemaTool", "tools.E004", "additionalProperties"),
    ],
)
def test_the_system_check_reports_bad_entries(path: str, check_id: str, words: str) -> None:
    with override_settings(TOOLS=["tools.builtin.csv_summary.CsvSummaryTool", path]):
        messages = run_checks(tags=["tools"])
        assert [m.id for m in messages] == [check_id]
        assert words in messages[0].msg and path in messages[0].msg
        with pytest.raises(ImproperlyConfigured, match=words):
            tool_list()


def test_schema_rules_for_file_parameters() -> None:
    class Marked(WordCountTool):
        parameters = object_schema({"path": {"type": "string", "x-file": True}})

    class Unmarked(WordCountTool):
        parameters = object_schema({"file_id": {"type": "string"}})

    class Both(WordCountTool):
        parameters = object_schema(
            {**single_file_properties(), "file_ids": {"type": "array", "x-file": True}}
        )

    class Reserved(WordCountTool):
        parameters = object_schema({"session": {"type": "string"}}, required=["other"])

    assert "may be file parameters" in schema_problems(Marked)[0]
    assert "must be marked" in schema_problems(Unmarked)[0]
    assert "either one file" in schema_problems(Both)[0]
    assert len(schema_problems(Reserved)) == 2


def test_invalid_json_schema_is_reported() -> None:
    class Broken(WordCountTool):
        parameters = {"type": "object", "properties": {"n": {"type": "integr"}}}

    _tools, problems = load_tools([f"{HERE}.WordCountTool"])
    assert problems == []
    assert "not a valid JSON schema" in schema_problems(Broken)[0]
