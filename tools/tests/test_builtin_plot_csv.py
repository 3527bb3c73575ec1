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


def _x_labels(kind: str, x: list, n: int) -> list[str]:
    """The x tick labels matplotlib draws for ``x`` (the figure is drawn, not only set up)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from tools.builtin.plot_csv import _draw

    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI)
    canvas = FigureCanvasAgg(figure)
    _draw(figure, kind, x, {"revenue": [float(i) for i in range(n)]})
    canvas.draw()
    return [t.get_text() for t in figure.axes[0].get_xticklabels() if t.get_text()]


@pytest.mark.parametrize("rows", [3, 7, 30, 400, 3000])
@pytest.mark.parametrize("kind", ["line", "bar", "scatter"])
def test_date_axes_stay_concise_whatever_the_row_count(kind: str, rows: int) -> None:
    # given a daily date column, as a CSV holds it
    from datetime import date, timedelta

    from tools.builtin.plot_csv import x_values
    from tools.builtin.tabular import table_from_csv

    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(rows)]
    text = "day,revenue\n" + "".join(f"{d.isoformat()},{i}\n" for i, d in enumerate(days))
    xs, _ = x_values(table_from_csv(input_file("sales.csv", text.encode())), "day")
    # when it is drawn
    labels = _x_labels(kind, xs, rows)
    # then a dozen labels at most, none a full timestamp
    assert 2 <= len(labels) <= 13, labels
    assert all(len(label) <= 10 and ":" not in label for label in labels), labels


def test_many_text_categories_get_spaced_labels() -> None:
    names = [f"store-{i:04d}" for i in range(500)]
    labels = _x_labels("line", names, 500)
    assert 2 <= len(labels) <= 12 and labels[0] == "store-0000"


def test_the_tool_plots_a_date_column_end_to_end() -> None:
    text = "day,revenue\n" + "".join(f"2024-03-{d:02d},{d}\n" for d in range(1, 31))
    result = PlotCsvTool().run(file=input_file("sales.csv", text.encode()), y="revenue", x="day")
    assert Image.open(io.BytesIO(result.files[0].content)).format == "PNG"
