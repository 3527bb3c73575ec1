"""The built-in offline assistant: useful with no model configured, and deterministic.

It describes the files in context from their actual content (names, sizes, the
first lines of each text file), runs a tool on an explicit command and reports
its result, and lists the commands on ``/help``:

* ``/tool <name> <json object>``  e.g. ``/tool plot_csv {"file_id": "…", "x": "day"}``
* ``/<name> <json object or key=value …>``  e.g. ``/plot_csv filename=sales.csv y=total``
* plain requests that name a file: "plot revenue by day from sales.csv",
  "summarise sales.csv" (see :func:`plain_request`)
* a question about the documents in context: answered by quoting the passages the
  context retrieved for it, each with its file and page, which become the reply's
  citations (see :func:`passages_quote`)
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from ..context import user_text
from .base import Cited, Done, LLMEvent, LLMProvider, LLMRequest, TextDelta, ToolCall, ToolSpec

FIRST_LINES = 3
LINE_MAX_CHARS = 200
ECHO_MAX_CHARS = 200
QUOTES_MAX = 3


@dataclass(frozen=True)
class Quoted:
    """An answer that quotes passages: its text and the citations it quotes."""

    text: str
    citations: list[dict[str, Any]]


class CommandError(ValueError):
    """A command the user mistyped; answered in words, not raised to the client."""


class OfflineProvider(LLMProvider):
    name = "offline"
    cites_context = False  # it cites what it quotes, nothing else

    def __init__(self, *, chunk_words: int = 4) -> None:
        self.chunk_words = chunk_words

    async def stream(self, request: LLMRequest) -> AsyncIterator[LLMEvent]:
        answer = self.answer(request)
        if isinstance(answer, ToolCall):
            yield answer
            yield Done("tool_calls")
            return
        if isinstance(answer, Quoted):
            yield Cited(answer.citations)
            answer = answer.text
        for chunk in text_chunks(answer, self.chunk_words):
            yield TextDelta(chunk)
        yield Done("stop")

    def answer(self, request: LLMRequest) -> str | ToolCall | Quoted:
        last = request.messages[-1] if request.messages else {"role": "user", "content": ""}
        if last["role"] == "tool":
            return tool_results_describe(request.messages)
        try:
            return command_answer(user_text(str(last.get("content") or "")), request)
        except CommandError as exc:
            return f"{exc} Type /help for the commands."


def command_answer(content: str, request: LLMRequest) -> str | ToolCall | Quoted:
    text = content.strip()
    if text == "/help":
        return help_text(request.tools)
    if text.startswith("/"):
        return command_parse(text, request.tools)
    plain = plain_request(text, request)
    if plain is not None:
        return plain
    quoted = passages_quote(request)
    return quoted if quoted is not None else describe(text, request)


def passages_quote(request: LLMRequest) -> Quoted | None:
    """The best passages the context found for the question, quoted with file and page;
    None when it found none (no document in context, or nothing matched)."""
    citations = request.context.citation_list()[:QUOTES_MAX] if request.context else []
    if not citations:
        return None
    lines = [
        "No model is configured, so here are the passages of your documents that best "
        "match your question:",
    ]
    for citation in citations:
        snippet = " ".join(citation["snippet"].split())
        lines += ["", f"> {snippet}", f"> — {citation['filename']}, p. {citation['page']}"]
    return Quoted("\n".join(lines), citations)


def help_text(tools: list[ToolSpec]) -> str:
    """The commands and tools as markdown: a table, and a JSON example in a code block."""
    lines = [
        "**Offline assistant commands**",
        "",
        "| command | what it does |",
        "| --- | --- |",
        "| `/help` | this list |",
        "| `/tool <name> <json arguments>` | run a tool |",
        "| `/<name> <json or key=value arguments>` | the same, shorter |",
        "",
    ]
    if not tools:
        return "\n".join([*lines, "No tools are available."])
    lines += ["**Tools**", ""]
    lines += [f"- {tool.name}: {tool.description}" for tool in tools]
    example = tools[0]
    lines += ["", f"For example, `/tool {example.name}` with its arguments as JSON:", ""]
    example_json = json.dumps(_example_arguments(example), indent=2, ensure_ascii=False)
    lines += ["```json", example_json, "```"]
    return "\n".join(lines)


def _example_arguments(tool: ToolSpec) -> dict[str, Any]:
    """Placeholders for the tool's required parameters; a file is named by ``filename``."""
    properties = tool.parameters.get("properties", {})
    names = [n for n in tool.parameters.get("required") or [] if n not in {"file_id", "filename"}]
    example: dict[str, Any] = {"filename": "data.csv"} if "filename" in properties else {}
    samples = {"string": "…", "integer": 1, "number": 1, "boolean": True, "array": []}
    for name in names:
        example[name] = samples.get(properties.get(name, {}).get("type"), "…")
    return example


def command_parse(text: str, tools: list[ToolSpec]) -> ToolCall:
    head, _, rest = text[1:].partition(" ")
    if head == "tool":
        head, _, rest = rest.strip().partition(" ")
    by_name = {tool.name: tool for tool in tools}
    if head not in by_name:
        raise CommandError(f"Unknown command or tool: /{head}.")
    arguments = arguments_parse(rest.strip(), by_name[head])
    return ToolCall(id="offline-call-1", name=head, arguments=json.dumps(arguments))


def arguments_parse(raw: str, tool: ToolSpec) -> dict[str, Any]:
    """A JSON object, or ``key=value`` words (quoted with shell rules); a value
    is read as JSON (numbers, booleans, lists) unless the schema wants a string."""
    if not raw:
        return {}
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommandError(f"The arguments are not valid JSON ({exc.msg}).") from None
        if not isinstance(parsed, dict):
            raise CommandError("The arguments must be a JSON object.")
        return parsed
    try:
        words = shlex.split(raw)
    except ValueError as exc:
        raise CommandError(f"The arguments cannot be read ({exc}).") from None
    return dict(_pair(word, tool) for word in words)


def _pair(word: str, tool: ToolSpec) -> tuple[str, Any]:
    key, sep, value = word.partition("=")
    if not sep or not key:
        raise CommandError(f"Expected key=value, got {word!r}.")
    schema = tool.parameters.get("properties", {}).get(key, {})
    if schema.get("type") == "string":
        return key, value
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


FILE_NAME = (
    r"""(?:["'`](?P<quoted>[^"'`]+?\.[A-Za-z0-9]{1,5})["'`]"""
    r"""|(?P<file>[^\s"'`]+\.[A-Za-z0-9]{1,5}))"""
)
PLOT_RE = re.compile(
    r"^(?:please\s+)?(?:plot|chart|graph|draw)\s+(?:the\s+)?(?P<y>.+?)"
    r"(?:\s+(?:by|against|over|per|vs\.?|versus)\s+(?P<x>.+?))?"
    rf"\s+(?:from|in|of|using)\s+{FILE_NAME}\s*[.!?]?$",
    re.IGNORECASE,
)
SUMMARY_RE = re.compile(
    r"^(?:please\s+)?(?:summari[sz]e|describe|analy[sz]e|give me a summary of|what(?:'s| is) in)"
    rf"\s+(?:the\s+file\s+)?{FILE_NAME}\s*[.!?]?$",
    re.IGNORECASE,
)
TABLE_EXTENSIONS = (".csv", ".tsv")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")


def _columns(words: str) -> list[str]:
    """ "revenue and costs" / "revenue, costs" -> ["revenue", "costs"]."""
    parts = re.split(r"\s*(?:,|\band\b|&)\s*", words.strip())
    return [part.strip(" \"'`") for part in parts if part.strip(" \"'`")]


def _call(name: str, arguments: dict[str, Any], tools: list[ToolSpec]) -> ToolCall | None:
    if name not in {tool.name for tool in tools}:
        return None
    return ToolCall(id="offline-call-1", name=name, arguments=json.dumps(arguments))


def plain_request(text: str, request: LLMRequest) -> str | ToolCall | None:
    """A tool call (or an answer) for a plain request naming a file; None otherwise.
    The executor finds the file by name (in the chat, else the user's only file of
    that name) and asks back when the name is ambiguous."""
    plot = PLOT_RE.match(text)
    if plot:
        arguments: dict[str, Any] = {"filename": plot["quoted"] or plot["file"]}
        ys = _columns(plot["y"])
        arguments["y"] = ys[0] if len(ys) == 1 else ys
        if plot["x"]:
            arguments["x"] = plot["x"].strip(" \"'`")
        return _call("plot_csv", arguments, request.tools)
    summary = SUMMARY_RE.match(text)
    if not summary:
        return None
    name = summary["quoted"] or summary["file"]
    lowered = name.lower()
    if lowered.endswith(TABLE_EXTENSIONS):
        return _call("csv_summary", {"filename": name}, request.tools)
    if lowered.endswith(IMAGE_EXTENSIONS):
        return _call("image_info", {"filename": name}, request.tools)
    return _summary_without_model(name, request)


def _summary_without_model(name: str, request: LLMRequest) -> str:
    files = request.context.files if request.context is not None else []
    match = [item for item in files if item.name.lower() == name.lower()]
    if not match:
        return (
            f"No model is configured, so I cannot write a summary of {name}. Attach it with @ "
            "(or tag it) and ask again to see its opening lines, or configure a model."
        )
    lines = [f"No model is configured, so this is the opening of {name}, not a summary:"]
    return "\n".join(lines + _file_detail(match[0]))


def describe(text: str, request: LLMRequest) -> str:
    echo = text if len(text) <= ECHO_MAX_CHARS else text[:ECHO_MAX_CHARS] + "…"
    parts = [f'Offline assistant (no model configured). You wrote: "{echo}"']
    parts.append(files_describe(request))
    parts.append("Type /help for the commands and tools.")
    return "\n\n".join(parts)


def files_describe(request: LLMRequest) -> str:
    files = request.context.files if request.context is not None else []
    if not files:
        return "No files are in context."
    lines = [f"Files in context ({len(files)}):"]
    for item in files:
        lines.append(f"- {item.name} ({item.content_type}, {item.size:,} bytes, {item.reason})")
        lines.extend(_file_detail(item))
    return "\n".join(lines)


def _file_detail(item: Any) -> list[str]:
    if item.unreadable:
        return [f"  could not be read: {item.unreadable}"]
    if item.searched:
        return ["  too large to include whole: ask a question about it to see its passages"]
    if item.text is None:
        return ["  binary file, content not shown"]
    first = item.text.splitlines()[:FIRST_LINES]
    detail = [f"  first lines ({len(first)}):"] + [f"  > {line[:LINE_MAX_CHARS]}" for line in first]
    return detail + ([f"  {item.truncation}"] if item.truncation else [])


def tool_results_describe(messages: list[dict[str, Any]]) -> str:
    """Report the results of the tools run since the last assistant turn asked for them."""
    names = {
        call["id"]: call["function"]["name"]
        for message in messages
        if message["role"] == "assistant"
        for call in message.get("tool_calls") or []
    }
    results = []
    for message in reversed(messages):
        if message["role"] != "tool":
            break
        name = names.get(message.get("tool_call_id"), "tool")
        results.append(f"{name} finished: {message['content']}")
    return "\n".join(reversed(results))


def text_chunks(text: str, words_per_chunk: int) -> list[str]:
    """Split keeping every character (spaces, newlines), so the chunks join back exactly."""
    pieces: list[str] = []
    words = text.split(" ")
    for start in range(0, len(words), words_per_chunk):
        chunk = " ".join(words[start : start + words_per_chunk])
        pieces.append(chunk if start + words_per_chunk >= len(words) else chunk + " ")
    return [piece for piece in pieces if piece]
