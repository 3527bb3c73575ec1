"""The offline assistant: deterministic answers built from the real context."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chat.context import ChatContext, ContextFile
from chat.llm import Done, LLMRequest, TextDelta, ToolCall, ToolSpec
from chat.llm.offline import OfflineProvider, text_chunks

pytestmark = [pytest.mark.anyio]

PLOT = ToolSpec(
    name="plot_csv",
    description="Plot CSV columns.",
    parameters={
        "type": "object",
        "properties": {
            "file_id": {"type": "string"},
            "x": {"type": "string"},
            "max_rows": {"type": "integer"},
        },
    },
)
CSV = ContextFile(
    id="f-1",
    name="sales.csv",
    content_type="text/csv",
    size=1234,
    reason="tagged",
    text="day,total\nmon,3\ntue,4\nwed,5\n",
)
PNG = ContextFile(id="f-2", name="chart.png", content_type="image/png", size=999, reason="session")


def request(content: str, files: list[ContextFile] | None = None) -> LLMRequest:
    return LLMRequest(
        messages=[{"role": "system", "content": "…"}, {"role": "user", "content": content}],
        tools=[PLOT],
        context=ChatContext(files=files or []),
    )


async def reply_of(req: LLMRequest) -> tuple[str, list[Any]]:
    events = [event async for event in OfflineProvider(chunk_words=2).stream(req)]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    return text, events


async def test_the_reply_describes_the_files_from_their_content() -> None:
    text, events = await reply_of(request("what do I have?", [CSV, PNG]))
    assert 'You wrote: "what do I have?"' in text
    assert "sales.csv (text/csv, 1,234 bytes, tagged)" in text
    assert "> day,total" in text and "> mon,3" in text and "> tue,4" in text
    assert "> wed,5" not in text, "only the first lines"
    assert "chart.png (image/png, 999 bytes, session)" in text and "binary" in text
    assert events[-1] == Done("stop")
    assert sum(isinstance(e, TextDelta) for e in events) > 3


async def test_it_is_deterministic() -> None:
    assert (await reply_of(request("same", [CSV])))[0] == (await reply_of(request("same", [CSV])))[
        0
    ]


async def test_no_files_is_said_plainly() -> None:
    assert "No files are in context." in (await reply_of(request("hi")))[0]


async def test_help_lists_the_tools() -> None:
    text, _ = await reply_of(request("/help"))
    assert "- plot_csv: Plot CSV columns." in text and "/tool <name>" in text
    assert "| command | what it does |" in text  # a markdown table
    assert "```json\n{" in text  # a JSON example the page highlights


@pytest.mark.parametrize(
    ("command", "arguments"),
    [
        ('/tool plot_csv {"file_id": "f-1", "x": "day"}', {"file_id": "f-1", "x": "day"}),
        ('/plot_csv {"file_id": "f-1"}', {"file_id": "f-1"}),
        ("/plot_csv file_id=f-1 x=day max_rows=10", {"file_id": "f-1", "x": "day", "max_rows": 10}),
        ("/plot_csv x=123 'file_id=a b'", {"x": "123", "file_id": "a b"}),
        ("/plot_csv", {}),
    ],
)
async def test_a_command_becomes_a_tool_call(command: str, arguments: dict[str, Any]) -> None:
    _, events = await reply_of(request(command))
    call = events[0]
    assert isinstance(call, ToolCall) and call.name == "plot_csv"
    assert json.loads(call.arguments) == arguments
    assert events[-1] == Done("tool_calls")


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("/nope x=1", "Unknown command or tool: /nope."),
        ("/plot_csv {not json", "not valid JSON"),
        ("/plot_csv [1]", "Expected key=value"),
        ('/plot_csv "unclosed', "cannot be read"),
    ],
)
async def test_a_mistyped_command_is_answered_in_words(command: str, problem: str) -> None:
    text, events = await reply_of(request(command))
    assert problem in text and "/help" in text
    assert not any(isinstance(e, ToolCall) for e in events)


async def test_after_a_tool_it_reports_the_result() -> None:
    req = request("/plot_csv file_id=f-1")
    req.messages += [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "plot_csv", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "Plotted 3 rows."},
    ]
    text, _ = await reply_of(req)
    assert text == "plot_csv finished: Plotted 3 rows."


@pytest.mark.parametrize("text", ["", "one", "a b c d e", "line\nnext  two spaces", "  lead"])
def test_chunks_join_back_to_the_text(text: str) -> None:
    assert "".join(text_chunks(text, 2)) == text


async def test_a_command_sent_with_an_attachment_still_runs() -> None:
    # given a user turn as the context builds it: the typed command, then attachment notes
    typed = '/plot_csv {"file_id": "f-1", "x": "day"}'
    content = f"{typed}\n[attached: sales.csv (id f-1)]\n[attached: b.csv (id f-9)]"
    # when the offline assistant answers
    _, events = await reply_of(request(content, [CSV]))
    # then it runs the command rather than choking on the notes
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("plot_csv", {"file_id": "f-1", "x": "day"})
    ]


def test_user_text_keeps_what_the_user_typed() -> None:
    from chat.context import attachment_note, user_text

    assert user_text("hi\n" + attachment_note("a.txt", "id-1")) == "hi"
    assert user_text("[attached: not a note") == "[attached: not a note"
    assert user_text("line one\nline two") == "line one\nline two"


@pytest.mark.parametrize(
    ("text", "name", "arguments"),
    [
        (
            "plot revenue by day from sales.csv",
            "plot_csv",
            {"filename": "sales.csv", "y": "revenue", "x": "day"},
        ),
        (
            "Please chart revenue and costs over month in 'q1 data.csv'.",
            "plot_csv",
            {"filename": "q1 data.csv", "y": ["revenue", "costs"], "x": "month"},
        ),
        (
            "Plot revenue, costs against day from sales.csv",
            "plot_csv",
            {"filename": "sales.csv", "y": ["revenue", "costs"], "x": "day"},
        ),
        ("plot total from data.tsv", "plot_csv", {"filename": "data.tsv", "y": "total"}),
        ("summarise sales.csv", "csv_summary", {"filename": "sales.csv"}),
        ("Describe photo.PNG", "image_info", {"filename": "photo.PNG"}),
    ],
)
async def test_plain_requests_naming_a_file_run_a_tool(
    text: str, name: str, arguments: dict[str, Any]
) -> None:
    req = request(text)
    req.tools = [PLOT, *(ToolSpec(n, n, {"type": "object"}) for n in ("csv_summary", "image_info"))]
    _, events = await reply_of(req)
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [(name, arguments)]


async def test_a_plain_request_without_a_file_name_is_just_echoed() -> None:
    text, events = await reply_of(request("plot my revenue please"))
    assert not [e for e in events if isinstance(e, ToolCall)] and "You wrote" in text


async def test_summarise_a_document_without_a_model_says_so() -> None:
    text, events = await reply_of(request("summarise report.pdf"))
    assert not [e for e in events if isinstance(e, ToolCall)]
    assert "No model is configured" in text and "report.pdf" in text and "@" in text


@pytest.mark.parametrize(
    ("content", "offline"),
    [
        ('/plot_csv {"filename": "a.csv", "y": "v"}', True),
        ("/tool csv_summary filename=a.csv", True),
        ("/help", True),
        ("hello", False),
        ("/r/python is great", False),
        ("/helpme", True),  # an unknown command: the built-in assistant says so
    ],
)
def test_explicit_commands_run_whatever_model_is_configured(
    settings: Any, content: str, offline: bool
) -> None:
    from chat.llm import provider_get

    settings.LLM_BASE_URL = "http://127.0.0.1:9/v1"
    assert isinstance(provider_get(content), OfflineProvider) is offline
