"""Logs are one line per event, tracebacks included."""

from __future__ import annotations

import logging
import sys

from chatui.logs import OneLineFormatter

FORMAT = "level=%(levelname)s logger=%(name)s msg=%(message)r"


def test_a_traceback_stays_on_the_events_line() -> None:
    formatter = OneLineFormatter(FORMAT)
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.getLogger("t").makeRecord(
            "t", logging.ERROR, __file__, 1, "failed id=%s", ("42",), exc_info=sys.exc_info()
        )
    line = formatter.format(record)
    assert "\n" not in line
    assert line.startswith("level=ERROR logger=t msg='failed id=42' exc='Traceback")
    assert "ValueError: bad\\nvalue" in line


def test_a_plain_event_is_the_format_alone() -> None:
    record = logging.makeLogRecord({"name": "t", "levelname": "INFO", "msg": "a\nb"})
    assert OneLineFormatter(FORMAT).format(record) == "level=INFO logger=t msg='a\\nb'"
