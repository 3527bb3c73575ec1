"""csv_summary on real CSV bytes: quoting, embedded newlines, encodings, headers."""

from __future__ import annotations

import pytest

from chatui.errors import ToolError
from tools.builtin.csv_summary import CsvSummaryTool, summarize_table
from tools.builtin.tabular import table_from_csv

from .factories import TRICKY_CSV, input_file


def _columns(summary: dict) -> dict[str, dict]:
    return {c["name"]: c for c in summary["column_stats"]}


def test_quoted_fields_with_newlines_commas_and_unicode() -> None:
    # given a UTF-8 CSV with quoted commas, doubled quotes and embedded newlines
    file = input_file("people.csv", TRICKY_CSV.encode("utf-8"), "text/csv")
    # when
    summary = summarize_table(table_from_csv(file))
    # then
    assert (summary["rows"], summary["columns"], summary["has_header"]) == (4, 5, True)
    cols = _columns(summary)
    assert cols["name"]["type"] == "text"
    assert {"value": "Zoë, the first", "count": 1} in cols["name"]["top"]
    assert cols["city"]["top"][0] == {"value": "Zürich", "count": 2}
    expected_age = {"type": "integer", "count": 3, "missing": 1, "min": 28, "max": 45}
    assert {k: cols["age"][k] for k in expected_age} == expected_age
    assert cols["age"]["mean"] == pytest.approx(104 / 3)
    assert cols["score"]["type"] == "number" and cols["score"]["missing"] == 1
    assert cols["score"]["max"] == 9.5
    assert cols["note"]["count"] == 3 and cols["note"]["missing"] == 1


def test_text_result_reads_well() -> None:
    file = input_file("people.csv", TRICKY_CSV.encode("utf-8"))
    text = CsvSummaryTool().run(file=file).text
    assert text.startswith("people.csv: 4 rows x 5 columns (encoding utf-8")
    assert "- age (integer): count 3; missing 1; unique 3; min 28; max 45" in text
    assert '"Zürich" (2)' in text


def test_bom_and_semicolon_delimiter() -> None:
    content = "\ufeffproduct;price\nTée;3.5\nCafé;2\n".encode()
    summary = summarize_table(table_from_csv(input_file("p.csv", content)))
    assert summary["encoding"] == "utf-8-sig" and summary["delimiter"] == ";"
    assert [c["name"] for c in summary["column_stats"]] == ["product", "price"]
    assert _columns(summary)["price"]["mean"] == pytest.approx(2.75)


def test_latin1_falls_back() -> None:
    content = "nom,ville\nRené,Besançon\nJosé,Málaga\n".encode("latin-1")
    summary = summarize_table(table_from_csv(input_file("l.csv", content)))
    assert summary["encoding"] == "latin-1"
    assert _columns(summary)["ville"]["top"][0]["value"] in {"Besançon", "Málaga"}


def test_tab_delimited() -> None:
    content = b"a\tb\n1\t2\n3\t4\n"
    summary = summarize_table(table_from_csv(input_file("t.tsv", content)))
    assert summary["delimiter"] == "\t"
    assert _columns(summary)["b"]["max"] == 4


def test_headerless_numeric_file_is_detected() -> None:
    content = b"1,2.5,x\n2,3.5,y\n3,4.5,z\n"
    summary = summarize_table(table_from_csv(input_file("n.csv", content)))
    assert summary["has_header"] is False and summary["rows"] == 3
    assert [c["name"] for c in summary["column_stats"]] == ["column_1", "column_2", "column_3"]


def test_explicit_has_header_overrides_detection() -> None:
    content = b"alpha,beta\ngamma,delta\n"
    file = input_file("w.csv", content)
    assert summarize_table(table_from_csv(file))["rows"] == 1
    assert summarize_table(table_from_csv(file, has_header=False))["rows"] == 2


def test_duplicate_and_blank_header_names_become_unique() -> None:
    content = b"a,a,,b\n1,2,3,4\n"
    table = table_from_csv(input_file("d.csv", content), has_header=True)
    assert table.columns == ["a", "a_2", "column_3", "b"]


def test_ragged_rows_are_padded_and_dates_inferred() -> None:
    content = b"day,v\n2024-01-02,1\n2024-03-04\n"
    summary = summarize_table(table_from_csv(input_file("r.csv", content)))
    cols = _columns(summary)
    assert cols["day"]["type"] == "datetime" and cols["day"]["max"] == "2024-03-04"
    assert cols["v"]["missing"] == 1


def test_empty_file_is_a_clear_error() -> None:
    with pytest.raises(ToolError, match="no rows"):
        CsvSummaryTool().run(file=input_file("e.csv", b"\n\n"))
