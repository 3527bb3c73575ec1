"""csv_summary: what is in a CSV, column by column."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from tools.base import (
    CSV_EXTENSIONS,
    InputFile,
    Tool,
    ToolResult,
    object_schema,
    single_file_properties,
)

from .tabular import Cell, Table, is_missing, table_from_csv, typed_columns

TOP_VALUES = 5
MAX_COLUMNS_DESCRIBED = 200
MAX_VALUE_CHARS = 60


def _short(value: Any) -> str:
    text = str(value).replace("\n", "\\n")
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _number_stats(values: list[Cell]) -> dict[str, Any]:
    numbers = [float(v) for v in values if isinstance(v, (int, float))]
    if not numbers:
        return {}
    return {
        "min": min(numbers),
        "max": max(numbers),
        "mean": statistics.fmean(numbers),
        "median": statistics.median(numbers),
    }


def _text_stats(raw: list[Cell]) -> dict[str, Any]:
    present = [str(v) for v in raw if not is_missing(v)]
    top = Counter(present).most_common(TOP_VALUES)
    return {"top": [{"value": value, "count": count} for value, count in top]}


def describe_column(name: str, kind: str, typed: list[Cell], raw: list[Cell]) -> dict[str, Any]:
    """Count, missing, unique and the statistics that make sense for the column's type."""
    present = [v for v in typed if v is not None]
    stats: dict[str, Any] = {
        "name": name,
        "type": kind,
        "count": len(present),
        "missing": len(typed) - len(present),
        "unique": len({str(v) for v in present}),
    }
    if kind in {"integer", "number"}:
        stats.update(_number_stats(present))
    elif kind == "datetime" and present:
        stats.update(min=min(present).isoformat(), max=max(present).isoformat())  # type: ignore[type-var,union-attr]
    elif kind in {"text", "boolean"}:
        stats.update(_text_stats(raw))
    return stats


def summarize_table(table: Table) -> dict[str, Any]:
    """The whole summary as plain data (the text result is rendered from it)."""
    typed = typed_columns(table)
    columns = [
        describe_column(name, kind, values, table.column(index))
        for index, (name, (kind, values)) in enumerate(zip(table.columns, typed, strict=True))
    ]
    return {
        "rows": len(table.rows),
        "columns": len(table.columns),
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "has_header": table.has_header,
        "column_stats": columns,
    }


def _format_number(value: float) -> str:
    return f"{value:.6g}"


def _column_line(stats: dict[str, Any]) -> str:
    parts = [
        f"count {stats['count']}",
        f"missing {stats['missing']}",
        f"unique {stats['unique']}",
    ]
    if "mean" in stats:
        parts += [f"{k} {_format_number(stats[k])}" for k in ("min", "max", "mean", "median")]
    elif "min" in stats:
        parts += [f"min {stats['min']}", f"max {stats['max']}"]
    if stats.get("top"):
        top = ", ".join(f'"{_short(t["value"])}" ({t["count"]})' for t in stats["top"])
        parts.append(f"top {top}")
    return f"- {_short(stats['name'])} ({stats['type']}): " + "; ".join(parts)


def render_summary(filename: str, summary: dict[str, Any]) -> str:
    delimiter = {"\t": "tab"}.get(summary["delimiter"], summary["delimiter"])
    lines = [
        f"{filename}: {summary['rows']} rows x {summary['columns']} columns "
        f"(encoding {summary['encoding']}, delimiter {delimiter!r}, "
        f"header {'yes' if summary['has_header'] else 'no'})",
    ]
    described = summary["column_stats"][:MAX_COLUMNS_DESCRIBED]
    lines += [_column_line(stats) for stats in described]
    if summary["columns"] > len(described):
        lines.append(f"… and {summary['columns'] - len(described)} more columns")
    return "\n".join(lines)


class CsvSummaryTool(Tool):
    name = "csv_summary"
    description = (
        "Summarize a CSV file: row and column counts, each column's inferred type and "
        "statistics (count, missing, unique, min/max/mean/median for numbers, most "
        "frequent values for text)."
    )
    parameters = object_schema(
        {
            **single_file_properties("the CSV file", accept=CSV_EXTENSIONS),
            "has_header": {
                "type": "boolean",
                "description": "Whether the first row holds column names (detected if omitted).",
            },
        }
    )

    def run(self, *, file: InputFile, has_header: bool | None = None) -> ToolResult:
        summary = summarize_table(table_from_csv(file, has_header=has_header))
        return ToolResult(text=render_summary(file.filename, summary))
