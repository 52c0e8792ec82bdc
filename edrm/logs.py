"""Log lines: JSON (one object a line, for collectors) or plain text (for a terminal).

Setting `log_format`: "json", "text", or "auto" (the default: text when standard error is a
terminal, JSON otherwise — a service under systemd or Docker logs JSON). Each line has the
time, level, logger and message; during a web request also its request id, the signed-in
person and the route (`edrm.request_context`); the request line (`edrm.request`) adds the
method, status and duration. `configure_logging` is what the long-running commands call.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from edrm.request_context import current
from edrm.settings import Settings

#: Extra fields a log call may pass (`log.info(..., extra={...})`) that the JSON line keeps.
EXTRA_FIELDS = ("method", "path", "status", "duration_ms")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _context_fields() -> dict[str, str]:
    context = current()
    if context is None:
        return {}
    fields = {"request_id": context.request_id}
    if context.route:
        fields["route"] = context.route
    if context.user:
        fields["user"] = context.user
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_context_fields())
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The plain line, with the request id in brackets during a request."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = _context_fields().get("request_id")
        return f"{text} [{request_id}]" if request_id else text


def use_json(log_format: str, stream: IO[str]) -> bool:
    if log_format == "auto":
        isatty = getattr(stream, "isatty", None)
        return not (callable(isatty) and isatty())
    return log_format == "json"


def handler_for(log_format: str, stream: IO[str] | None = None) -> logging.Handler:
    """A stream handler writing lines in this format ("json", "text" or "auto")."""
    out = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter() if use_json(log_format, out) else TextFormatter())
    return handler


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> None:
    """The root logger writes to standard error (or `stream`) in the configured format and
    level; a second call replaces the handler this one installed. Like logging.basicConfig, it
    leaves a root logger that something else (a test runner) has given handlers alone."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "edrm_handler", False)]
    if len(ours) != len(root.handlers):
        return
    for old in ours:
        root.removeHandler(old)
    handler = handler_for(settings.log_format, stream)
    handler.edrm_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
