"""The benchmark table: PASS/FAIL per target, and a failed target fails the run."""

from __future__ import annotations

REDIRECT_TARGET = 0.85  # the large download, in the mode recommended for it
STREAMING_FLOOR = 0.5  # every streamed row

Row = tuple[str, str, str, str]  # measure, api, direct / target, result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def ratio(api: float, direct: float, target: float = STREAMING_FLOOR) -> str:
    """``api / direct`` with its verdict against ``target``, e.g. ``0.62x PASS``."""
    value = api / direct
    return f"{value:.2f}x {verdict(value >= target)}"


def report(rows: list[Row]) -> bool:
    """Print the table; True when no row's result says FAIL (``0.59x FAIL`` included)."""
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
        if index == 0:
            print("  ".join("-" * width for width in widths))
    return not any("FAIL" in row[3].split() for row in rows[1:])
