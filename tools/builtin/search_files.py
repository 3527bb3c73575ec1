"""search_files: the passages of the user's documents that best match a query.

The executor does the searching (``tools.document_inputs.search_arguments``: the
one ownership check for ``file_ids``, the tag's files, the owner-filtered full-text
index); this tool, like every tool, runs without the database and only writes the
passages out, each with its file, page and id, so a model can cite them.
"""

from __future__ import annotations

from typing import Any

from tools.base import Tool, ToolResult, multi_file_property, object_schema

MAX_RESULTS = 20
PASSAGE_MAX_CHARS = 1200


def _passage(number: int, passage: dict[str, Any]) -> str:
    text = " ".join(passage["text"].split())
    if len(text) > PASSAGE_MAX_CHARS:
        text = text[: PASSAGE_MAX_CHARS - 1] + "…"
    where = f"{passage['filename']}, page {passage['page']} (file id {passage['file_id']})"
    return f"[{number}] {where}:\n{text}"


class SearchFilesTool(Tool):
    name = "search_files"
    description = (
        "Search the text of the user's documents (PDF, Word, slides, spreadsheets, scans, "
        "text files) for a query; returns the best passages with file name and page. "
        "Optionally only within some files (file_ids) or the files carrying a tag."
    )
    parameters = object_schema(
        {
            "query": {"type": "string", "minLength": 1, "maxLength": 500},
            "file_ids": multi_file_property("the files to search (default: all)"),
            "tag": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "description": "Only the files carrying this tag (a key of their tags).",
            },
            "max_results": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS},
        },
        required=["query"],
    )
    searches_documents = True

    def run(self, *, query: str, passages: list[dict[str, Any]], tag: str = "") -> ToolResult:
        within = f" in the files tagged {tag!r}" if tag else ""
        if not passages:
            return ToolResult(text=f"No passage matches {query!r}{within}.")
        head = f"{len(passages)} passage{'s' if len(passages) != 1 else ''} for {query!r}{within}:"
        body = [_passage(number, passage) for number, passage in enumerate(passages, start=1)]
        return ToolResult(text="\n\n".join([head, *body]))
