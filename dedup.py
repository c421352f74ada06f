"""Idempotency: Z-API may deliver the same callback more than once.

A message id is either being handled ("processing", a short-lived claim) or
handled ("done", remembered for long enough to catch redeliveries). The same
methods exist on a Redis-backed set shared by every process (`redis_store`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

PROCESSING = "processing"
DONE = "done"


class SeenMessages:
    """A bounded, thread-safe set of recently seen message ids.

    Handled ids are remembered for `ttl_seconds` (re-deliveries come within
    minutes), claims for `processing_ttl` (a stuck claim must not block the
    redelivery forever), and at most `max_ids` are kept, oldest forgotten first.
    """

    def __init__(
        self,
        ttl_seconds: float = 3600,
        max_ids: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        *,
        processing_ttl: float = 120,
    ) -> None:
        self.ttl = ttl_seconds
        self.processing_ttl = processing_ttl
        self.max_ids = max_ids
        self.clock = clock
        self._ids: OrderedDict[str, tuple[str, float]] = OrderedDict()  # id -> (mark, expires)
        self._guard = threading.Lock()

    def first_time(self, message_id: str) -> bool:
        """Record `message_id` as handled; True only the first time it is seen."""
        return self._mark_new(message_id, DONE, self.ttl)

    def add(self, message_id: str) -> None:
        """Remember `message_id` as handled (e.g. one Theo sent itself)."""
        with self._guard:
            self._put(message_id, DONE, self.ttl)

    def __contains__(self, message_id: object) -> bool:
        with self._guard:
            return isinstance(message_id, str) and self._mark(message_id) is not None

    def claim(self, message_id: str) -> bool:
        """Take `message_id` for handling; False when it is handled or being handled already.

        Marked done only by `done` once the new state and the replies are stored;
        `release`, or the claim expiring after `processing_ttl`, lets a redelivery through.
        """
        return self._mark_new(message_id, PROCESSING, self.processing_ttl)

    def done(self, message_id: str) -> None:
        """The message's state and replies are stored: redeliveries are duplicates now."""
        self.add(message_id)

    def release(self, message_id: str) -> None:
        """Handling failed before anything was stored: let Z-API's redelivery through.

        Only a claim is released: a message already marked done stays done.
        """
        with self._guard:
            if self._mark(message_id) == PROCESSING:
                del self._ids[message_id]

    def forget(self, message_id: str) -> None:
        """Let `message_id` be processed again (its handling did not happen)."""
        with self._guard:
            self._ids.pop(message_id, None)

    def _mark_new(self, message_id: str, mark: str, ttl: float) -> bool:
        with self._guard:
            if self._mark(message_id) is not None:
                return False
            self._put(message_id, mark, ttl)
            return True

    def _mark(self, message_id: str) -> str | None:
        """The live mark of `message_id`, or None when absent or expired."""
        entry = self._ids.get(message_id)
        if entry is not None and self.clock() >= entry[1]:
            del self._ids[message_id]
            return None
        return entry[0] if entry else None

    def _put(self, message_id: str, mark: str, ttl: float) -> None:
        now = self.clock()
        self._ids.pop(message_id, None)
        self._forget_old(now)
        self._ids[message_id] = (mark, now + ttl)

    def _forget_old(self, now: float) -> None:
        # Oldest first; a longer-lived id at the front only delays the sweep (reads expire lazily).
        while self._ids:
            oldest_id, (_, expires) = next(iter(self._ids.items()))
            if now < expires and len(self._ids) < self.max_ids:
                break
            del self._ids[oldest_id]
