"""Reading tables from user files: CSV sniffing, header detection, cell types.

Shared by ``csv_summary``, ``plot_csv`` and ``convert_table`` so the three agree
on what a column is called and what type it holds.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chatui.errors import ToolError
from tools.base import InputFile, decode_text

SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-"})
TRUE_WORDS = frozenset({"true", "yes"})
FALSE_WORDS = frozenset({"false", "no"})

Cell = str | int | float | bool | datetime | date | None


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell]]
    encoding: str = "utf-8"
    delimiter: str = ","
    has_header: bool = True

    def column_index(self, name: str) -> int:
        """The position of column ``name``; a ToolError naming the real columns otherwise."""
        try:
            return self.columns.index(name)
        except ValueError:
            available = ", ".join(repr(c) for c in self.columns[:50])
            raise ToolError(f"There is no column {name!r}. Columns: {available}.") from None

    def column(self, index: int) -> list[Cell]:
        return [row[index] if index < len(row) else None for row in self.rows]


def is_missing(value: Cell) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip().lower() in MISSING


def parse_number(value: str) -> int | float | None:
    """``value`` as a number, or None. Thousands separators are not guessed at."""
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _sniff_dialect(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","  # one column, or too irregular to tell: the common case is a comma


def _sniff_sample(text: str) -> str:
    """The first chunk of text cut at a line end, so the sniffer sees whole rows."""
    sample = text[:SNIFF_BYTES]
    if len(text) > SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    return sample


def _first_row_is_header(sample: str, delimiter: str, first_row: Sequence[str]) -> bool:
    """Header detection: trust csv.Sniffer when it says yes; otherwise a first row
    with no numbers and no blanks is taken as a header, since real headers are
    almost never numeric and all-text header-less files are rare. Callers can
    override with ``has_header``."""
    try:
        if csv.Sniffer().has_header(sample):
            return True
    except csv.Error:
        pass
    return all(cell.strip() and parse_number(cell) is None for cell in first_row) and bool(
        first_row
    )


def unique_names(names: Iterable[str]) -> list[str]:
    """Column names that are non-empty and distinct (``a``, ``a_2``, ``column_3``)."""
    result: list[str] = []
    seen: set[str] = set()
    for position, raw in enumerate(names, start=1):
        name = raw.strip() or f"column_{position}"
        candidate, n = name, 2
        while candidate in seen:
            candidate, n = f"{name}_{n}", n + 1
        seen.add(candidate)
        result.append(candidate)
    return result


def table_from_csv(file: InputFile, *, has_header: bool | None = None) -> Table:
    """Parse a CSV (any common delimiter and encoding, quoted newlines included)."""
    text, encoding = decode_text(file.content)
    sample = _sniff_sample(text)
    delimiter = _sniff_dialect(sample)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ToolError(f"{file.filename} is not a readable CSV file: {exc}") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ToolError(f"{file.filename} has no rows.")
    if has_header is None:
        has_header = _first_row_is_header(sample, delimiter, rows[0])
    width = max(len(row) for row in rows)
    header = rows[0] if has_header else []
    header = list(header) + [""] * (width - len(header))
    body = rows[1:] if has_header else rows
    padded: list[list[Cell]] = [list(row) + [""] * (width - len(row)) for row in body]
    return Table(unique_names(header), padded, encoding, delimiter, has_header)


def _parse_bool(value: str) -> bool | None:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def parse_datetime(value: str) -> datetime | date | None:
    text = value.strip()
    if len(text) < 8 or not text[:4].isdigit():
        return None  # fromisoformat accepts odd short forms; dates here start with a year
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.date() if len(text) == 10 else parsed


def infer_type(values: Sequence[Cell]) -> str:
    """One of integer, number, boolean, datetime, text (empty: all cells missing)."""
    present = [v for v in values if not is_missing(v)]
    if not present:
        return "empty"
    if all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "number"
    if all(isinstance(v, (datetime, date)) for v in present):
        return "datetime"
    if not all(isinstance(v, str) for v in present):
        return "text"
    return _infer_text_type([str(v) for v in present])


def _infer_text_type(present: list[str]) -> str:
    numbers = [parse_number(v) for v in present]
    if all(n is not None for n in numbers):
        return "integer" if all(isinstance(n, int) for n in numbers) else "number"
    if all(_parse_bool(v) is not None for v in present):
        return "boolean"
    if all(parse_datetime(v) is not None for v in present):
        return "datetime"
    return "text"


def convert_cell(value: Cell, kind: str) -> Cell:
    """A cell as the Python value of its column's type (None when missing)."""
    if is_missing(value):
        return None
    if not isinstance(value, str):
        return value
    if kind in {"integer", "number"}:
        return parse_number(value)
    if kind == "boolean":
        return _parse_bool(value)
    if kind == "datetime":
        return parse_datetime(value)
    return value


def typed_columns(table: Table) -> list[tuple[str, list[Cell]]]:
    """Each column's type and its values converted to that type."""
    result = []
    for index in range(len(table.columns)):
        values = table.column(index)
        kind = infer_type(values)
        result.append((kind, [convert_cell(v, kind) for v in values]))
    return result


def typed_rows(table: Table) -> list[list[Cell]]:
    columns = typed_columns(table)
    return [list(row) for row in zip(*(values for _kind, values in columns), strict=True)]


def cell_to_text(value: Any) -> str:
    """How a cell is written into a CSV."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)
