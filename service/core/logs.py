"""Logging set-up: one JSON object per line (or plain text for a terminal), with credentials
masked in every message as a last line of defence.

Configured by the command line at start-up, never at import time.
"""

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

from service.settings import Settings

# `scheme://user:password@host` → `scheme://***@host`, wherever a URL slips into a message.
_CREDENTIALS = re.compile(r"([a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


class MaskCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "@" in message and "://" in message:
            record.msg, record.args = _CREDENTIALS.sub(r"\1***@", message), None
        return True


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "text":
        return logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    # `time` in ISO 8601 with its UTC offset, which log aggregators parse without configuration.
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(settings.log_format))
    handler.addFilter(MaskCredentials())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
