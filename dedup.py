"""Idempotency: Z-API may deliver the same callback more than once."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class SeenMessages:
    """A bounded, thread-safe set of recently seen message ids.

    Ids are remembered for `ttl_seconds` (re-deliveries come within minutes)
    and at most `max_ids` are kept, oldest forgotten first.
    """

    def __init__(
        self,
        ttl_seconds: float = 3600,
        max_ids: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl_seconds
        self.max_ids = max_ids
        self.clock = clock
        self._ids: OrderedDict[str, float] = OrderedDict()
        self._guard = threading.Lock()

    def first_time(self, message_id: str) -> bool:
        """Record `message_id`; True only the first time it is seen."""
        now = self.clock()
        with self._guard:
            self._forget_old(now)
            if message_id in self._ids:
                return False
            self._ids[message_id] = now
            return True

    def add(self, message_id: str) -> None:
        """Remember `message_id` (e.g. one Theo sent itself)."""
        now = self.clock()
        with self._guard:
            self._forget_old(now)
            self._ids[message_id] = now

    def __contains__(self, message_id: object) -> bool:
        with self._guard:
            return message_id in self._ids

    def claim(self, message_id: str) -> bool:
        """Take `message_id` for handling; False when it is handled or being handled already.

        Marked done only by `done` once the new state and the replies are stored;
        `release` (or a crash: the claim is in memory) lets a redelivery through.
        """
        return self.first_time(message_id)

    def done(self, message_id: str) -> None:
        """The message's state and replies are stored: redeliveries are duplicates now."""
        self.add(message_id)

    def release(self, message_id: str) -> None:
        """Handling failed before anything was stored: let Z-API's redelivery through."""
        self.forget(message_id)

    def forget(self, message_id: str) -> None:
        """Let `message_id` be processed again (its handling did not happen)."""
        with self._guard:
            self._ids.pop(message_id, None)

    def _forget_old(self, now: float) -> None:
        while self._ids:
            oldest_id, seen_at = next(iter(self._ids.items()))
            if now - seen_at < self.ttl and len(self._ids) < self.max_ids:
                break
            del self._ids[oldest_id]
