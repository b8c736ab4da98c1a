"""Structured log lines: one JSON object per event, for the operator's log collector.

Never log tokens, e-mail bodies or addresses: people are referred to by id.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str = "INFO") -> None:
    """Send our log lines as JSON to stderr; called once by each entry point."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("tracker")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def log_event(logger: logging.Logger, event: str, **fields: Any) -> None:
    logger.info(event, extra=fields)


_DEFERRED = "tracker.deferred_logs"


def log_after_commit(
    info: dict[str, Any], logger: logging.Logger, event: str, **fields: Any
) -> None:
    """Log once the transaction commits, so a rolled-back change is never reported as done.

    `info` is the session's `info` dict; tracker.db.transaction emits after commit."""
    info.setdefault(_DEFERRED, []).append((logger, event, fields))


def emit_deferred(info: dict[str, Any]) -> None:
    for logger, event, fields in info.pop(_DEFERRED, []):
        log_event(logger, event, **fields)


def drop_deferred(info: dict[str, Any]) -> None:
    info.pop(_DEFERRED, None)
