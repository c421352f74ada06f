"""The sender: delivers queued replies through Z-API (or the console), after the webhook's 200.

A dispatcher thread claims due rows from the outbox, as many as there are idle
senders in its pool; the outbox hands out only the oldest unsent reply of each
customer, so each customer's replies go out in order while many customers are
served in parallel.

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
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from metrics import Metrics
from outbox import WEBHOOK, Outbox, OutgoingReply
from privacy import mask_phone
from team_alerts import WebhookError, WebhookPoster
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
        webhook: WebhookPoster | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        self.webhook = webhook  # where "webhook" rows (team alerts for a CRM) are POSTed
        self.concurrency = max(1, concurrency)
        self.policy = policy or RetryPolicy()
        self.remember_sent = remember_sent
        self.clock = clock
        self.idle_wait = idle_wait
        # Longer than one send can take: a row held longer belongs to a sender that died.
        self.lease_seconds = lease_seconds
        self.health = Health()
        self.metrics = metrics if metrics is not None else Metrics()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._slots = threading.Condition()  # guards `_free`, the senders not busy
        self._free = self.concurrency
        self._dispatcher: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        # Sends that went out, waiting to be marked sent: the dispatcher writes them all in
        # one transaction (group commit) instead of one commit per send.
        self._sent: list[tuple[int, list[str]]] = []
        self._sent_guard = threading.Lock()

    # -- running --
    def start(self) -> None:
        """Start the dispatcher and its pool of sending threads (idempotent)."""
        if self._dispatcher is not None:
            return
        self._stopping.clear()
        self._free = self.concurrency
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="theo-sender")
        self._dispatcher = threading.Thread(
            target=self._dispatch, name="theo-dispatch", daemon=True
        )
        self._dispatcher.start()
        Deliverer.running_instances.add(self)
        log.info("sender started with %d workers", self.concurrency)

    def stop(self, timeout: float = 20.0) -> None:
        """Finish the sends in flight and stop; what is still queued waits for the next start."""
        self._stopping.set()
        self._wake.set()
        with self._slots:
            self._slots.notify_all()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout)
            self._dispatcher = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._record_sent()
        Deliverer.running_instances.discard(self)
        log.info("sender stopped")

    def notify(self) -> None:
        """New replies were queued: the dispatcher claims them now instead of at its next poll."""
        self._wake.set()

    def drain(self, max_rounds: int = 10_000) -> int:
        """Send everything due now, in this thread (tests, SENDER_MODE=inline)."""
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

    def _dispatch(self) -> None:
        """One thread claims as many due replies as there are free senders, and hands them out.

        One claim query serves many sends (no herd of threads polling the database), and
        a finished send wakes the dispatcher at once: the customer's next reply is due.
        """
        while not self._stopping.is_set():
            free = self._wait_for_free_sender()
            if not free:
                continue
            try:
                self._record_sent()  # first: a phone's next reply is due once this one is marked
                claimed = self.outbox.claim(
                    self.clock(), limit=free, lease_seconds=self.lease_seconds
                )
            except Exception:
                log.exception("claiming queued replies failed; trying again shortly")
                claimed = []
            if not claimed:
                self._wake.wait(self.idle_wait)
                self._wake.clear()
                continue
            with self._slots:
                self._free -= len(claimed)
            for item in claimed:
                self._pool.submit(self._send_and_free, item)

    def _wait_for_free_sender(self) -> int:
        with self._slots:
            while self._free == 0 and not self._stopping.is_set():
                self._slots.wait(self.idle_wait)
            return 0 if self._stopping.is_set() else self._free

    def _send_and_free(self, item: OutgoingReply) -> None:
        try:
            self._deliver(item, batched=True)
        finally:
            with self._slots:
                self._free += 1
                self._slots.notify()
            self._wake.set()

    def _record_sent(self) -> None:
        """Mark every finished send as sent, in one transaction.

        A process killed before this runs sends those replies again once their lease
        expires (at least once, never lost), as a kill between a send and its mark did
        before; the window is one dispatcher round.
        """
        with self._sent_guard:
            done, self._sent = self._sent, []
        if not done:
            return
        try:
            self.outbox.mark_sent_many(done, self.clock())
        except Exception:
            with self._sent_guard:
                self._sent[:0] = done  # tried again next round, before their leases expire
            raise

    # -- one reply --
    def _deliver(self, item: OutgoingReply, *, batched: bool = False) -> int:
        """Send one reply and record the outcome; 1 when it went out.

        `batched`: the "sent" mark is left to the dispatcher's next `_record_sent`.
        """
        if item.channel == WEBHOOK:
            return self._post(item)
        began = time.monotonic()
        try:
            sent_ids = self.sender.send(item.phone, [item.reply])
        except ZApiError as error:
            self._failed_send(item, error)
            return 0
        except Exception as error:  # a bug in a sender must not kill the worker
            log.exception("sender bug while sending to %s", mask_phone(item.phone))
            self._retry_or_give_up(item, f"{type(error).__name__}")
            return 0
        if batched:
            with self._sent_guard:
                self._sent.append((item.id, sent_ids))
        else:
            self.outbox.mark_sent(item.id, sent_ids, self.clock())
        self.metrics.count_reply("sent", time.monotonic() - began)
        for message_id in sent_ids:
            self.remember_sent(message_id)
        if self.health.problem:
            log.warning("Z-API is delivering again")
            self.health = Health()
        return 1

    def _post(self, item: OutgoingReply) -> int:
        """POST a team alert to the webhook; a refusal retrying cannot fix fails at once."""
        if self.webhook is None or item.payload is None:
            self.outbox.mark_failed(item.id, "TEAM_WEBHOOK_URL não está configurada")
            return 0
        try:
            self.webhook.post(item.payload, idempotency_key=f"theo-{item.phone}")
        except WebhookError as error:
            if error.retryable:
                self._retry_or_give_up(item, str(error))
            else:
                self.outbox.mark_failed(item.id, str(error))
                log.error("team webhook refused an alert for good: %s", error)
            return 0
        except Exception as error:  # a bug must not kill the worker
            log.exception("bug while posting a team alert")
            self._retry_or_give_up(item, type(error).__name__)
            return 0
        self.outbox.mark_sent(item.id, [], self.clock())
        return 1

    def _failed_send(self, item: OutgoingReply, error: ZApiError) -> None:
        if isinstance(error, ZApiAuthError | ZApiNotConnectedError):
            self._instance_problem(error)
        if isinstance(error, ZApiUnavailableError | ZApiNotConnectedError):
            self._retry_or_give_up(item, str(error))
            return
        # Refused for good (unauthorized, bad phone, another 4xx): retrying cannot fix it.
        self.outbox.mark_failed(item.id, str(error))
        self.metrics.count_reply("failed")
        log.error("reply to %s failed for good: %s", mask_phone(item.phone), error)

    def _retry_or_give_up(self, item: OutgoingReply, reason: str) -> None:
        now = self.clock()
        if now - item.created_at >= self.policy.horizon:
            self.outbox.mark_failed(item.id, reason)
            self.metrics.count_reply("failed")
            log.error("reply to %s failed after retrying: %s", mask_phone(item.phone), reason)
            return
        at = now + timedelta(seconds=self.policy.delay(item.attempts))
        self.outbox.retry_later(item.id, reason, at)
        self.metrics.count_reply("retried")
        log.warning("reply to %s will be retried: %s", mask_phone(item.phone), reason)

    def _instance_problem(self, error: ZApiError) -> None:
        if not self.health.problem:
            log.error("Z-API instance problem, replies are waiting: %s", error)
            self.health = Health(problem=type(error).__name__, since=self.clock())
