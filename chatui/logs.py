"""Log lines a shipper can split on newlines: one ``key=value`` line per event.

The stock formatter appends a traceback as extra lines; here it becomes one quoted
``exc=`` field, so an exception in a busy multi-process log stays in one record.
"""

from __future__ import annotations

import logging


class OneLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        if record.exc_info:
            line += f" exc={self.formatException(record.exc_info)!r}"
        if record.stack_info:
            line += f" stack={self.formatStack(record.stack_info)!r}"
        return line
