"""Logging for Theo: every line masked for privacy and tagged with the message id."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from privacy import PrivacyFilter, without_controls

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(message_id)s] %(message)s"
_message_id: ContextVar[str] = ContextVar("message_id", default="-")


class MessageIdFilter(logging.Filter):
    """Adds `message_id` (the Z-API message being handled) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.message_id = _message_id.get()
        return True


@contextmanager
def message_context(message_id: str) -> Iterator[None]:
    """Tag the log lines written inside the block with `message_id` (controls removed)."""
    token = _message_id.set(without_controls(message_id)[:64])
    try:
        yield
    finally:
        _message_id.reset(token)


def configure_logging(level: str = "INFO") -> None:
    """One stream handler on the root logger, with the privacy and id filters."""
    root = logging.getLogger()
    if any(getattr(handler, "_theo", False) for handler in root.handlers):
        root.setLevel(level.upper())
        return
    handler = logging.StreamHandler()
    handler._theo = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(MessageIdFilter())
    handler.addFilter(PrivacyFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
