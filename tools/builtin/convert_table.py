"""convert_table: a table as CSV, JSON or XLSX, from any of the three.

JSON is an array of objects (one per row, keys are column names); reading also
accepts an array of arrays whose first row holds the names. Values keep their
types across formats: numbers stay numbers in JSON and XLSX.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
import zlib
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from chatui.errors import ToolError, UnreadableInput
from tools.base import (
    GeneratedFile,
    InputFile,
    Tool,
    ToolResult,
    decode_text,
    object_schema,
    single_file_properties,
)

from .tabular import (
    Cell,
    Table,
    cell_to_text,
    parse_number,
    table_from_csv,
    typed_rows,
    unique_names,
)

FORMATS = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_SHEET_NAME = 31  # Excel's limit
# A CSV cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def detect_format(file: InputFile) -> str:
    """xlsx, json or csv, from the bytes first and the name second."""
    if file.content.startswith(b"PK\x03\x04"):
        return "xlsx"
    text = decode_text(file.content[:64])[0].lstrip()
    if text.startswith(("[", "{")) or file.filename.lower().endswith(".json"):
        return "json"
    return "csv"


# --- readers -----------------------------------------------------------------


def _json_cell(value: Any) -> Cell:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, ensure_ascii=False)  # nested data becomes its JSON text


def _table_from_objects(items: list[dict[str, Any]]) -> Table:
    columns = list(dict.fromkeys(key for item in items for key in item))
    rows = [[_json_cell(item.get(col)) for col in columns] for item in items]
    return Table(columns, rows)


def table_from_json(file: InputFile) -> Table:
    try:
        data = json.loads(decode_text(file.content)[0])
    except json.JSONDecodeError as exc:
        raise ToolError(f"{file.filename} is not valid JSON: {exc}") from None
    if isinstance(data, list) and data and all(isinstance(i, dict) for i in data):
        return _table_from_objects(data)
    if isinstance(data, list) and data and all(isinstance(i, list) for i in data):
        header, *rows = data
        width = max(len(r) for r in data)
        names = unique_names([str(h) for h in header] + [""] * (width - len(header)))
        return Table(names, [[_json_cell(v) for v in r] + [None] * (width - len(r)) for r in rows])
    raise ToolError(f"{file.filename} must hold a non-empty array of objects or of arrays.")


# What openpyxl raises for a corrupt or malformed workbook (XML errors, from the
# standard library's parser or lxml, are SyntaxError subclasses).
UNREADABLE_XLSX = (
    zipfile.BadZipFile,
    KeyError,
    OSError,
    ValueError,
    SyntaxError,
    zlib.error,
    EOFError,
    IndexError,
)


def _xlsx_rows(file: InputFile, sheet: str | None) -> list[list[Any]]:
    workbook = load_workbook(io.BytesIO(file.content), read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise ToolError(f"No sheet {sheet!r}; sheets: {', '.join(workbook.sheetnames)}.")
        worksheet = workbook[sheet] if sheet else workbook.worksheets[0]
        return [list(row) for row in worksheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def table_from_xlsx(file: InputFile, sheet: str | None) -> Table:
    try:
        rows = _xlsx_rows(file, sheet)
    except UNREADABLE_XLSX as exc:
        raise UnreadableInput(f"{file.filename} is not a readable XLSX workbook: {exc}") from None
    rows = [row for row in rows if any(v not in (None, "") for v in row)]
    if not rows:
        raise ToolError(f"The sheet of {file.filename} is empty.")
    width = max(len(row) for row in rows)
    header = ["" if v is None else str(v) for v in rows[0]]
    names = unique_names(header + [""] * (width - len(header)))
    return Table(names, [row + [None] * (width - len(row)) for row in rows[1:]])


def read_table(file: InputFile, *, has_header: bool | None, sheet: str | None) -> tuple[Table, str]:
    source = detect_format(file)
    if source == "xlsx":
        return table_from_xlsx(file, sheet), source
    if source == "json":
        return table_from_json(file), source
    return table_from_csv(file, has_header=has_header), source


# --- writers -----------------------------------------------------------------


def csv_safe(text: str) -> str:
    """OWASP's CSV-injection defence: a cell that a spreadsheet would run as a formula
    gets a leading ``'`` (shown as text, not run); numbers such as ``-5`` stay numbers."""
    if text.startswith(FORMULA_LEADS) and parse_number(text) is None:
        return "'" + text
    return text


def write_csv(table: Table) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(name) for name in table.columns])
    writer.writerows([csv_safe(cell_to_text(v)) for v in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8")


def _json_value(value: Cell) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def write_json(table: Table) -> bytes:
    records = [
        {name: _json_value(value) for name, value in zip(table.columns, row, strict=True)}
        for row in typed_rows(table)
    ]
    return json.dumps(records, ensure_ascii=False, indent=2).encode("utf-8")


def _xlsx_cell(worksheet: Any, value: Cell) -> Any:
    """Text is written as text: a cell like ``=HYPERLINK(...)`` from a user's CSV
    must not become a live formula, and XML-illegal control characters are dropped."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(worksheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


def write_xlsx(table: Table, sheet_title: str) -> bytes:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet_title[:MAX_SHEET_NAME] or "Sheet1")
    bold = Font(bold=True)
    header = []
    for name in table.columns:
        cell = WriteOnlyCell(worksheet, value=name)
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for row in typed_rows(table):
        worksheet.append([_xlsx_cell(worksheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(stem: str) -> str:
    """Excel refuses []:*?/\\ in sheet titles."""
    return "".join("_" if c in "[]:*?/\\" else c for c in stem).strip() or "Sheet1"


class ConvertTableTool(Tool):
    name = "convert_table"
    description = (
        "Convert a table between CSV, JSON (an array of row objects) and XLSX. The "
        "input format is detected; `to` chooses the output."
    )
    parameters = object_schema(
        {
            **single_file_properties("the table file"),
            "to": {"type": "string", "enum": list(FORMATS), "description": "Output format."},
            "sheet": {
                "type": "string",
                "maxLength": 100,
                "description": "XLSX input: the sheet to read (the first if omitted).",
            },
            "has_header": {
                "type": "boolean",
                "description": "CSV input: whether the first row holds column names.",
            },
        },
        required=["to"],
    )

    def run(
        self,
        *,
        file: InputFile,
        to: str,
        sheet: str | None = None,
        has_header: bool | None = None,
    ) -> ToolResult:
        table, source = read_table(file, has_header=has_header, sheet=sheet)
        if to == "csv":
            content = write_csv(table)
        elif to == "json":
            content = write_json(table)
        else:
            content = write_xlsx(table, _sheet_title(file.stem))
        name = f"{file.stem}.{to}"
        text = (
            f"Converted {file.filename} ({source.upper()}, {len(table.rows)} rows x "
            f"{len(table.columns)} columns) to {to.upper()}: {name}"
        )
        return ToolResult(text=text, files=[GeneratedFile(name, content, FORMATS[to])])
