"""Timers: messages Theo sends without a customer message, at a due time kept in the database.

Kinds: the idle reminder ("Ainda está aí?"), the goodbye when a conversation
expires, and the hand-back when an attendant has been quiet for too long. The
engine says which timers a conversation has after every turn (`TimerStore.
replace`: the phone's earlier timers go); a `Scheduler` thread in each web
process claims due timers and hands each to a `fire` callback, which re-checks
the conversation under the phone's lock and queues the message in the outbox.

Once only, across processes and restarts: a timer is claimed with a conditional
UPDATE (only one instance sees rowcount 1) holding a lease; it is marked fired
when done, and a claim whose process died is taken again after the lease. The
outbox keys the message by the timer id, so a timer fired twice queues it once.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import Column, Engine, Index, String, Table, delete, insert, or_, select, update

from records import UtcDateTime, _BigId, metadata
from transactions import reading, writing

log = logging.getLogger("theo.timers")

REMINDER, EXPIRY, HANDBACK = "reminder", "expiry", "handback"
LEASE = timedelta(minutes=2)

timers_table = Table(
    "timers",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("phone", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("protocol", String(32), nullable=False),
    # The session's `updated_at` when the timer was set: a later turn changes it, so a
    # timer firing for a conversation that moved on can tell.
    Column("mark", String(32), nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("claimed_until", UtcDateTime(), nullable=True),
    Column("fired_at", UtcDateTime(), nullable=True),
    Index("ix_timers_due", "fired_at", "due_at"),
    Index("ix_timers_phone", "phone"),
    sqlite_autoincrement=True,
)


@dataclass(frozen=True)
class Timer:
    """One due message: for `phone`, of `kind`, set when the session was at `mark`."""

    kind: str
    due_at: datetime
    protocol: str = ""
    mark: str = ""
    phone: str = ""
    id: int = 0


class TimerStore:
    """Timers in the records database (SQLite or Postgres)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def replace(self, phone: str, timers: list[Timer]) -> None:
        """`phone`'s timers are now `timers` (earlier ones, fired or not, are dropped)."""
        rows = [
            {
                "phone": phone,
                "kind": timer.kind,
                "protocol": timer.protocol,
                "mark": timer.mark,
                "due_at": timer.due_at,
            }
            for timer in timers
        ]
        with writing(self.engine) as conn:
            conn.execute(delete(timers_table).where(timers_table.c.phone == phone))
            if rows:
                conn.execute(insert(timers_table), rows)

    def pending(self, phone: str) -> list[Timer]:
        """The timers of `phone` not fired yet, soonest first."""
        query = (
            select(timers_table)
            .where(timers_table.c.phone == phone, timers_table.c.fired_at.is_(None))
            .order_by(timers_table.c.due_at)
        )
        with reading(self.engine) as conn:
            return [_timer(row) for row in conn.execute(query).mappings()]

    def claim_due(self, now: datetime, limit: int = 50) -> list[Timer]:
        """Take the timers due at `now` that no live claim holds; each goes to one caller."""
        table = timers_table
        free = or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
        due = (table.c.fired_at.is_(None)) & (table.c.due_at <= now) & free
        query = select(table).where(due).order_by(table.c.due_at).limit(limit)
        claimed = []
        with self.engine.connect() as conn:
            candidates = conn.execute(query).mappings().all()
        for row in candidates:
            # Only the instance whose UPDATE changes the row owns the timer.
            take = (
                update(table).where(table.c.id == row["id"], due).values(claimed_until=now + LEASE)
            )
            with self.engine.begin() as conn:
                if conn.execute(take).rowcount == 1:
                    claimed.append(_timer(row))
        return claimed

    def mark_fired(self, timer_id: int, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(timers_table).where(timers_table.c.id == timer_id).values(fired_at=now)
            )

    def forget(self, phone: str) -> int:
        """Delete `phone`'s timers (LGPD); return how many."""
        with self.engine.begin() as conn:
            return conn.execute(delete(timers_table).where(timers_table.c.phone == phone)).rowcount


def _timer(row: Any) -> Timer:
    return Timer(
        kind=row["kind"],
        due_at=row["due_at"],
        protocol=row["protocol"],
        mark=row["mark"],
        phone=row["phone"],
        id=row["id"],
    )


class Scheduler:
    """A thread that fires due timers every `poll_seconds` (several instances may run)."""

    running_instances: ClassVar[weakref.WeakSet[Scheduler]] = weakref.WeakSet()

    def __init__(
        self,
        store: TimerStore,
        fire: Callable[[Timer], None],
        *,
        clock: Callable[[], float],
        poll_seconds: float = 5.0,
    ) -> None:
        self.store = store
        self.fire = fire
        self.clock = clock
        self.poll_seconds = poll_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> int:
        """Fire every timer due now, in this thread; return how many fired."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        fired = 0
        for timer in self.store.claim_due(now):
            try:
                self.fire(timer)
            except Exception:
                # Left claimed, not fired: tried again once the lease runs out.
                log.exception("timer %s (%s) failed; it will be tried again", timer.id, timer.kind)
                continue
            self.store.mark_fired(timer.id, now)
            fired += 1
        return fired

    def start(self) -> None:
        """Start the polling thread (idempotent)."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="theo-timers", daemon=True)
        self._thread.start()
        Scheduler.running_instances.add(self)
        log.info("timers scheduler started (every %g s)", self.poll_seconds)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        Scheduler.running_instances.discard(self)

    def _loop(self) -> None:
        while not self._stopping.wait(self.poll_seconds):
            try:
                self.run_due()
            except Exception:  # the database away for a moment must not end the thread
                log.exception("checking the timers failed; trying again shortly")
