"""plot_csv: a PNG chart of chosen CSV columns.

Uses ``matplotlib.figure.Figure`` with the Agg canvas directly: pyplot keeps
global figure state and picks a GUI backend, neither of which belongs in a
server process.
"""

from __future__ import annotations

import io
import math
import warnings
from datetime import date, datetime

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DayLocator
from matplotlib.figure import Figure

from chatui.errors import ToolError
from tools.base import (
    COLUMN_MARKER,
    CSV_EXTENSIONS,
    GeneratedFile,
    InputFile,
    Tool,
    ToolResult,
    object_schema,
    single_file_properties,
)

from .tabular import Table, is_missing, parse_datetime, parse_number, table_from_csv

KINDS = ("line", "bar", "scatter", "histogram")
MAX_Y_COLUMNS = 10
MAX_BARS = 500
FIGURE_SIZE = (9.0, 5.0)
DPI = 100
MAX_X_LABELS = 12  # text or bar labels shown on the x axis, evenly spaced


def numeric_column(table: Table, name: str) -> list[float]:
    """The column as floats (NaN where missing); a ToolError for the first non-number."""
    index = table.column_index(name)
    values: list[float] = []
    for row_number, cell in enumerate(table.column(index), start=2 if table.has_header else 1):
        if is_missing(cell):
            values.append(math.nan)
            continue
        number = parse_number(str(cell))
        if number is None:
            raise ToolError(
                f"Column {name!r} is not numeric: row {row_number} holds {str(cell)[:40]!r}."
            )
        values.append(float(number))
    return values


def x_values(
    table: Table, name: str | None
) -> tuple[list[float] | list[datetime] | list[str], str]:
    """The x axis: row numbers when none is chosen, numbers if the column is numeric,
    dates and times if every cell is one (ISO 8601), otherwise its text as categories."""
    if name is None:
        return [float(i) for i in range(1, len(table.rows) + 1)], "row"
    cells = table.column(table.column_index(name))
    numbers = [parse_number(str(c)) if not is_missing(c) else None for c in cells]
    if all(n is not None for n in numbers):
        return [float(n) for n in numbers if n is not None], name
    moments = [parse_datetime(str(c)) if not is_missing(c) else None for c in cells]
    if all(m is not None for m in moments):
        return [_as_datetime(m) for m in moments if m is not None], name
    return ["" if is_missing(c) else str(c) for c in cells], name


def _as_datetime(value: date | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)


def _label(value: float | str | datetime) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M")
    return str(value)


def _sparse_labels(axes: object, positions: list[float], x: list) -> None:
    """At most MAX_X_LABELS evenly spaced labels, whatever the row count."""
    step = max(1, math.ceil(len(x) / MAX_X_LABELS))
    labels = [_label(v) for v in x[::step]]
    axes.set_xticks(positions[::step], labels)  # type: ignore[attr-defined]
    long = any(len(label) > 6 for label in labels)
    axes.tick_params(axis="x", labelrotation=30 if long and len(labels) > 4 else 0)  # type: ignore[attr-defined]


def _dates_axis(axes: object, x: list[datetime]) -> None:
    """Matplotlib's concise date labels: '2024', 'Feb', '03' instead of full stamps.
    Dates without a time of day never get hour ticks: a short span ticks each day."""
    date_only = all(v.time() == datetime.min.time() for v in x)
    short = (max(x) - min(x)).days <= MAX_X_LABELS
    if date_only and short:
        locator: AutoDateLocator | DayLocator = DayLocator()
    else:
        locator = AutoDateLocator(minticks=3, maxticks=MAX_X_LABELS)
    axes.xaxis.set_major_locator(locator)  # type: ignore[attr-defined]
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[attr-defined]


def _draw(figure: Figure, kind: str, x: list, ys: dict[str, list[float]]) -> None:
    axes = figure.add_subplot()
    if kind == "histogram":
        for label, values in ys.items():
            axes.hist([v for v in values if not math.isnan(v)], bins="auto", alpha=0.6, label=label)
        axes.set_ylabel("count")
        return
    width = 0.8 / len(ys)
    is_text = bool(x) and isinstance(x[0], str)
    points = list(range(len(x))) if is_text else x  # text: positions, labelled below
    for position, (label, values) in enumerate(ys.items()):
        if kind == "line":
            axes.plot(points, values, label=label, marker="o" if len(x) <= 50 else None)
        elif kind == "scatter":
            axes.scatter(points, values, label=label, s=12)
        else:
            offsets = [i + position * width for i in range(len(x))]
            axes.bar(offsets, values, width=width, label=label)
    if kind == "bar":
        _sparse_labels(axes, [i + 0.4 - width / 2 for i in range(len(x))], x)
    elif is_text:
        _sparse_labels(axes, [float(i) for i in range(len(x))], x)
    elif x and isinstance(x[0], datetime):
        _dates_axis(axes, x)


def render_png(kind: str, x: list, x_label: str, ys: dict[str, list[float]], title: str) -> bytes:
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI, layout="tight")
    FigureCanvasAgg(figure)
    _draw(figure, kind, x, ys)
    axes = figure.axes[0]
    axes.set_title(title)
    if kind != "histogram":
        axes.set_xlabel(x_label)
    if len(ys) > 1 or kind == "histogram":
        axes.legend()
    axes.grid(True, alpha=0.3)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # Glyphs the bundled font lacks (CJK, emoji) draw as boxes; not worth a log line.
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _y_names(y: str | list[str]) -> list[str]:
    names = [y] if isinstance(y, str) else list(dict.fromkeys(y))
    if not names:
        raise ToolError("Choose at least one y column.")
    return names


class PlotCsvTool(Tool):
    name = "plot_csv"
    description = (
        "Draw a chart of columns of a CSV file as a PNG image: line, bar, scatter or "
        "histogram. y is one column or a list of columns (numeric); x is the column "
        "for the horizontal axis (row number if omitted; ignored by histogram)."
    )
    parameters = object_schema(
        {
            **single_file_properties("the CSV file", accept=CSV_EXTENSIONS),
            "x": {
                "type": "string",
                "maxLength": 200,
                "title": "Horizontal axis",
                "description": "Column along the bottom; row numbers when left empty.",
                COLUMN_MARKER: True,
            },
            "y": {
                "anyOf": [
                    {"type": "string", "maxLength": 200},
                    {
                        "type": "array",
                        "items": {"type": "string", "maxLength": 200},
                        "minItems": 1,
                        "maxItems": MAX_Y_COLUMNS,
                    },
                ],
                "title": "Values to plot",
                "description": "Numeric column(s) to plot.",
                COLUMN_MARKER: True,
            },
            "kind": {
                "type": "string",
                "enum": list(KINDS),
                "title": "Chart type",
                "description": "Line, bar, scatter or histogram.",
            },
            "title": {
                "type": "string",
                "maxLength": 200,
                "title": "Chart title",
                "description": "Shown above the chart.",
            },
            "has_header": {
                "type": "boolean",
                "title": "First row is a header",
                "description": "Whether the first row holds column names (detected if omitted).",
            },
        },
        required=["y"],
    )

    def run(
        self,
        *,
        file: InputFile,
        y: str | list[str],
        x: str | None = None,
        kind: str = "line",
        title: str = "",
        has_header: bool | None = None,
    ) -> ToolResult:
        table = table_from_csv(file, has_header=has_header)
        ys = {name: numeric_column(table, name) for name in _y_names(y)}
        xs, x_label = x_values(table, None if kind == "histogram" else x)
        if kind == "bar" and len(xs) > MAX_BARS:
            raise ToolError(
                f"A bar chart of {len(xs)} bars is unreadable; the limit is {MAX_BARS}."
            )
        png = render_png(kind, xs, x_label, ys, title or f"{file.filename}: {', '.join(ys)}")
        out_name = f"{file.stem}_{kind}.png"
        text = (
            f"Plotted {', '.join(ys)} from {file.filename} as a {kind} chart "
            f"({len(xs)} rows): {out_name}"
        )
        return ToolResult(text=text, files=[GeneratedFile(out_name, png, "image/png")])
