"""The sender: delivers queued replies through Z-API (or the console), after the webhook's 200.

Several worker threads claim due rows from the outbox; the outbox hands out
only the oldest unsent reply of each customer, so each customer's replies go
out in order while many customers are served in parallel.

What a failure means is decided here, once:

- Z-API unavailable (5xx, 429, timeouts, connection errors) or the instance not
  connected: try again with exponential backoff and jitter, for as long as the
  retry horizon (hours); then keep the reply as failed, visible and re-sendable.
- Refused for good (unauthorized, a bad phone, another 4xx): failed at once.
- Unauthorized or disconnected instance: also logged loudly and shown on
  `/health` as degraded, until a send succeeds again.

The sender runs inside the web process by default (`SENDER_IN_WEB`), or alone
with `python manage.py sender`. `stop()` lets the sends in flight finish.
"""

from __future__ import annotations

import logging
import random
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from outbox import Outbox, OutgoingReply
from privacy import mask_phone
from z_api_client import (
    Sender,
    ZApiAuthError,
    ZApiError,
    ZApiNotConnectedError,
    ZApiUnavailableError,
)

log = logging.getLogger("theo.delivery")


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often a reply is tried again (configuration, not a loop)."""

    horizon: timedelta = timedelta(hours=6)
    first_delay: float = 2.0
    max_delay: float = 300.0
    jitter: float = 0.5  # +/- this share of the delay, so a recovering gateway is not stampeded

    def delay(self, attempts: int) -> float:
        """Seconds before try number `attempts + 1`: exponential, capped, with jitter."""
        base = min(self.max_delay, self.first_delay * 2 ** min(attempts, 30))
        return base * random.uniform(1 - self.jitter, 1 + self.jitter)  # noqa: S311 - not crypto


@dataclass
class Health:
    """The sender's view of the gateway, for /health."""

    problem: str = ""
    since: datetime | None = None


class Deliverer:
    """Worker threads that send what the outbox holds."""

    running_instances: ClassVar[weakref.WeakSet[Deliverer]] = weakref.WeakSet()  # stopped at exit

    def __init__(
        self,
        outbox: Outbox,
        sender: Sender,
        *,
        concurrency: int = 8,
        policy: RetryPolicy | None = None,
        remember_sent: Callable[[str], None] = lambda message_id: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        idle_wait: float = 0.5,
        lease_seconds: float = 120.0,
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        self.concurrency = max(1, concurrency)
        self.policy = policy or RetryPolicy()
        self.remember_sent = remember_sent
        self.clock = clock
        self.idle_wait = idle_wait
        # Longer than one send can take: a row held longer belongs to a sender that died.
        self.lease_seconds = lease_seconds
        self.health = Health()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- running --
    def start(self) -> None:
        """Start the worker threads (idempotent)."""
        if self._threads:
            return
        self._stopping.clear()
        for number in range(self.concurrency):
            thread = threading.Thread(target=self._work, name=f"theo-sender-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        Deliverer.running_instances.add(self)
        log.info("sender started with %d workers", self.concurrency)

    def stop(self, timeout: float = 20.0) -> None:
        """Finish the sends in flight and stop; what is still queued waits for the next start."""
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        Deliverer.running_instances.discard(self)
        log.info("sender stopped")

    def notify(self) -> None:
        """New replies were queued: wake an idle worker now instead of at its next poll."""
        self._wake.set()

    def drain(self, max_rounds: int = 10_000) -> int:
        """Send everything due now, in this thread (tests, `manage.py sender --once`)."""
        sent = 0
        for _ in range(max_rounds):
            claimed = self.outbox.claim(
                self.clock(), limit=self.concurrency, lease_seconds=self.lease_seconds
            )
            if not claimed:
                break
            for item in claimed:
                sent += self._deliver(item)
        return sent

    @property
    def running(self) -> bool:
        return bool(self._threads)

    def _work(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed = self.outbox.claim(self.clock(), lease_seconds=self.lease_seconds)
            except Exception:
                log.exception("claiming queued replies failed; trying again shortly")
                claimed = []
            if not claimed:
                self._wake.wait(self.idle_wait)
                self._wake.clear()
                continue
            for item in claimed:
                self._deliver(item)

    # -- one reply --
    def _deliver(self, item: OutgoingReply) -> int:
        """Send one reply and record the outcome; 1 when it went out."""
        try:
            sent_ids = self.sender.send(item.phone, [item.reply])
        except ZApiError as error:
            self._failed_send(item, error)
            return 0
        except Exception as error:  # a bug in a sender must not kill the worker
            log.exception("sender bug while sending to %s", mask_phone(item.phone))
            self._retry_or_give_up(item, f"{type(error).__name__}")
            return 0
        self.outbox.mark_sent(item.id, sent_ids, self.clock())
        for message_id in sent_ids:
            self.remember_sent(message_id)
        if self.health.problem:
            log.warning("Z-API is delivering again")
            self.health = Health()
        return 1

    def _failed_send(self, item: OutgoingReply, error: ZApiError) -> None:
        if isinstance(error, ZApiAuthError | ZApiNotConnectedError):
            self._instance_problem(error)
        if isinstance(error, ZApiUnavailableError | ZApiNotConnectedError):
            self._retry_or_give_up(item, str(error))
            return
        # Refused for good (unauthorized, bad phone, another 4xx): retrying cannot fix it.
        self.outbox.mark_failed(item.id, str(error))
        log.error("reply to %s failed for good: %s", mask_phone(item.phone), error)

    def _retry_or_give_up(self, item: OutgoingReply, reason: str) -> None:
        now = self.clock()
        if now - item.created_at >= self.policy.horizon:
            self.outbox.mark_failed(item.id, reason)
            log.error("reply to %s failed after retrying: %s", mask_phone(item.phone), reason)
            return
        at = now + timedelta(seconds=self.policy.delay(item.attempts))
        self.outbox.retry_later(item.id, reason, at)
        log.warning("reply to %s will be retried: %s", mask_phone(item.phone), reason)

    def _instance_problem(self, error: ZApiError) -> None:
        if not self.health.problem:
            log.error("Z-API instance problem, replies are waiting: %s", error)
            self.health = Health(problem=type(error).__name__, since=self.clock())
