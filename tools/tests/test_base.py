"""The tool interface: inputs, schema helpers, the LLM-facing function spec."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from tools.base import (
    FILE_MARKER,
    InputFile,
    Tool,
    ToolResult,
    decode_text,
    looks_binary,
    multi_file_property,
    object_schema,
    single_file_properties,
    strip_extensions,
)


class EchoTool(Tool):
    name = "echo"
    description = "Repeat a file."
    parameters = object_schema({**single_file_properties(), "times": {"type": "integer"}})

    def run(self, *, file: InputFile, times: int = 1) -> ToolResult:
        return ToolResult(text=file.text() * times)


def test_file_params_are_declared_by_the_marker() -> None:
    assert EchoTool.file_params() == ["file_id", "filename"]
    assert multi_file_property()[FILE_MARKER] is True


def test_function_spec_is_openai_shaped_without_extensions() -> None:
    spec = EchoTool.function_spec().openai_format()
    assert spec["type"] == "function"
    function = spec["function"]
    assert (function["name"], function["description"]) == ("echo", "Repeat a file.")
    params = function["parameters"]
    assert params["type"] == "object" and params["additionalProperties"] is False
    assert FILE_MARKER not in json.dumps(params)
    Draft202012Validator.check_schema(params)
    # the declared schema itself is untouched
    assert EchoTool.parameters["properties"]["file_id"][FILE_MARKER] is True


def test_strip_extensions_is_deep() -> None:
    schema = {"x-a": 1, "items": [{"x-b": 2, "type": "string"}], "p": {"x-c": {}}}
    assert strip_extensions(schema) == {"items": [{"type": "string"}], "p": {}}


def test_input_file_text_and_stem() -> None:
    file = InputFile("1", "data.v2.csv", "text/csv", 3, "é".encode("latin-1"))
    assert file.text() == "é" and file.stem == "data.v2"
    assert InputFile("1", ".env", "", 0, b"").stem == ".env"
    assert "content=" not in repr(file)  # bytes stay out of logs


def test_decode_text_encodings() -> None:
    assert decode_text("héllo".encode()) == ("héllo", "utf-8")
    assert decode_text(b"\xef\xbb\xbfh\xc3\xa9") == ("hé", "utf-8-sig")
    assert decode_text("hé".encode("utf-16")) == ("hé", "utf-16")
    assert decode_text(b"h\xe9") == ("hé", "latin-1")


def test_looks_binary() -> None:
    assert looks_binary(b"\x89PNG\x00\x00")
    assert not looks_binary(b"plain text")
    assert not looks_binary("utf16".encode("utf-16"))


def test_a_tool_runs_with_resolved_inputs() -> None:
    file = InputFile("1", "a.txt", "text/plain", 2, b"ab")
    assert EchoTool().run(file=file, times=2) == ToolResult(text="abab")
