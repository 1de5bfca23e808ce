"""Log lines that say which webhook or delivery they are about, and the JSON format for collectors.

The webhook view and the delivery tasks bind what they know (the trace id they answer, the event,
the delivery, the connector) to the current context; ``LogContextFilter`` copies it onto every
record logged meanwhile, so a line from deep in a service carries it without being passed it.
``LOG_FORMAT=json`` writes one JSON object a line; the default stays plain text.
"""

import copy
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# The fields a line may carry, in the order JSON lines show them.
CONTEXT_FIELDS = ("trace_id", "event_id", "delivery_id", "delivery_ids", "connector")

_context: ContextVar[dict[str, Any] | None] = ContextVar("ee_connect_log_context", default=None)


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """A fresh context for one request or task: what is bound inside ends with it, so a thread
    serving the next one starts empty."""
    token = _context.set({key: value for key, value in values.items() if value is not None})
    try:
        yield
    finally:
        _context.reset(token)


def log_context_bind(**values: Any) -> None:
    """Add to the current request's or task's context (nothing outside one)."""
    current = _context.get()
    if current is not None:
        current.update({key: value for key, value in values.items() if value is not None})


def log_context_get() -> dict[str, Any]:
    return dict(_context.get() or {})


class LogContextFilter(logging.Filter):
    """Puts the bound context on each record as attributes (``record.event_id``…)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the context fields
    the record carries, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def logging_configure(config: dict[str, Any], *, log_format: str) -> dict[str, Any]:
    """``LOGGING`` with the context on every handler's records, written as ``text`` (the
    configured formatters, the default) or ``json``."""
    if log_format not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be text or json, not {log_format!r}")
    config = copy.deepcopy(config)
    config.setdefault("filters", {})["log_context"] = {"()": "core.logs.LogContextFilter"}
    config.setdefault("formatters", {})["json"] = {"()": "core.logs.JsonFormatter"}
    for handler in config.get("handlers", {}).values():
        handler["filters"] = [*handler.get("filters", []), "log_context"]
        if log_format == "json":
            handler["formatter"] = "json"
    return config
