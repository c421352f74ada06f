"""Logging for Theo: every line masked for privacy and tagged with the request and message ids.

`LOG_FORMAT=json` (the default) writes one JSON object per line, for log search in
production; `LOG_FORMAT=text` writes the human-readable line (handy in `make run`).
Both go through the same privacy filter: documents, names and phones are masked
before any formatter sees the message.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from privacy import PrivacyFilter, scrub, without_controls

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(message_id)s] %(message)s"
LOG_FORMATS = ("json", "text")
MAX_ID_CHARS = 64
_message_id: ContextVar[str] = ContextVar("message_id", default="-")
_request_id: ContextVar[str] = ContextVar("request_id", default="-")


class MessageIdFilter(logging.Filter):
    """Adds `message_id` (the Z-API message) and `request_id` (the HTTP request) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.message_id = _message_id.get()
        record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, ids, message (already masked)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message_id": getattr(record, "message_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        # ensure_ascii=False: accents stay readable, and json escapes every control character.
        return json.dumps(entry, ensure_ascii=False)


@contextmanager
def message_context(message_id: str) -> Iterator[None]:
    """Tag the log lines written inside the block with `message_id` (controls removed)."""
    token = _message_id.set(without_controls(message_id)[:MAX_ID_CHARS])
    try:
        yield
    finally:
        _message_id.reset(token)


def start_request(given: str | None) -> str:
    """Set the request id for this thread's request: the caller's (cleaned) or a new one."""
    # The caller chooses it: only id characters, and masked like any message (a CPF as id).
    kept = "".join(ch for ch in (given or "") if ch.isascii() and (ch.isalnum() or ch in "-_.:"))
    cleaned = scrub(kept[:MAX_ID_CHARS])
    request_id = cleaned or uuid.uuid4().hex
    _request_id.set(request_id)
    return request_id


def end_request() -> None:
    """The request is over: lines written outside one carry no request id."""
    _request_id.set("-")


def configure_logging(level: str = "INFO", log_format: str = "json") -> None:
    """One stream handler on the root logger, with the privacy and id filters."""
    root = logging.getLogger()
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(LOG_FORMAT)
    for handler in root.handlers:
        if getattr(handler, "_theo", False):
            handler.setFormatter(formatter)
            root.setLevel(level.upper())
            return
    handler = logging.StreamHandler()
    handler._theo = True  # type: ignore[attr-defined]
    handler.setFormatter(formatter)
    handler.addFilter(MessageIdFilter())
    handler.addFilter(PrivacyFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
