"""plot_csv renders real PNGs that Pillow can decode; bad columns are clear errors."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from chatui.errors import ToolError
from tools.builtin.plot_csv import DPI, FIGURE_SIZE, PlotCsvTool

from .factories import TRICKY_CSV, input_file

SALES = b"month,sales,costs,region\nJan,10,7,north\nFeb,12,8,south\nMar,9,9.5,north\n"


def _png(result) -> Image.Image:
    [generated] = result.files
    assert generated.content_type == "image/png"
    image = Image.open(io.BytesIO(generated.content))
    image.load()
    return image


@pytest.mark.parametrize("kind", ["line", "bar", "scatter", "histogram"])
def test_each_kind_is_a_png_of_the_figure_size(kind: str) -> None:
    result = PlotCsvTool().run(
        file=input_file("sales.csv", SALES), x="month", y=["sales", "costs"], kind=kind
    )
    image = _png(result)
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.size == (int(FIGURE_SIZE[0] * DPI), int(FIGURE_SIZE[1] * DPI))
    assert result.files[0].filename == f"sales_{kind}.png"
    assert "sales, costs" in result.text


def test_single_y_and_default_x_is_the_row_number() -> None:
    result = PlotCsvTool().run(file=input_file("s.csv", SALES), y="sales")
    assert _png(result).size[0] > 0
    assert "as a line chart (3 rows)" in result.text


def test_numeric_x_and_missing_y_values_are_plotted() -> None:
    content = b"t,v\n1,2\n2,\n3,4.5\n"
    image = _png(PlotCsvTool().run(file=input_file("t.csv", content), x="t", y="v", kind="scatter"))
    colors = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colors is not None and len(colors) > 10  # something was drawn, not a blank canvas


def test_unknown_column_lists_the_real_ones() -> None:
    with pytest.raises(ToolError, match=r"no column 'profit'.*'month', 'sales'"):
        PlotCsvTool().run(file=input_file("s.csv", SALES), x="month", y="profit")


def test_unknown_x_column() -> None:
    with pytest.raises(ToolError, match="no column 'when'"):
        PlotCsvTool().run(file=input_file("s.csv", SALES), x="when", y="sales")


def test_non_numeric_y_names_the_row() -> None:
    with pytest.raises(ToolError, match=r"'region' is not numeric: row 2 holds 'north'"):
        PlotCsvTool().run(file=input_file("s.csv", SALES), x="month", y="region")


def test_unicode_csv_with_embedded_newlines_plots() -> None:
    result = PlotCsvTool().run(
        file=input_file("people.csv", TRICKY_CSV.encode()), x="name", y="age", kind="bar"
    )
    assert _png(result).format == "PNG"
