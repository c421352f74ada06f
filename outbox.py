"""The outbox: Theo's replies stored before the webhook answers, sent afterwards.

Accept, store, then send (the transactional outbox): the webhook writes each
reply as a row and answers 200; a sender (`delivery.py`) claims due rows and
sends them, one customer's rows strictly in order, many customers in parallel.
A row is only ever claimed by one sender: on Postgres with `FOR UPDATE SKIP
LOCKED`, on SQLite (one process) behind a lock. A sender that dies mid-send
leaves a lease that expires, and the row is claimed again.

Rows are never deleted by sending: a reply whose retries ran out is kept as
`failed`, listed for ops and re-sendable.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    select,
    update,
)

from records import UtcDateTime, _BigId, insert_new, metadata
from replies import Option, Reply
from transactions import reading, writing

log = logging.getLogger("theo.outbox")

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# Where a row goes: a WhatsApp message through Z-API, or a JSON POST to the team's webhook.
WHATSAPP, WEBHOOK = "whatsapp", "webhook"
IN_FLIGHT = (PENDING, SENDING)
# How often a claim also frees the leases of dead senders.
LEASE_CHECK = timedelta(seconds=10)
# How long a phone over its sends-per-minute waits before it is looked at again.
LIMIT_PAUSE = timedelta(seconds=5)

outbox_table = Table(
    "outbox",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("phone", String(64), nullable=False),
    # The customer message that caused the reply (or a unique id for an alert): a message
    # handled twice after a crash queues its replies once.
    Column("source_id", String(200), nullable=False),
    Column("position", Integer, nullable=False),
    Column("body", JSON(), nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("last_error", String(300), nullable=False, default=""),
    Column("sent_ids", JSON(), nullable=True),
    Column("channel", String(16), nullable=False, server_default=WHATSAPP),
    UniqueConstraint("phone", "source_id", "position", name="uq_outbox_source"),
    Index("ix_outbox_status_phone", "status", "phone"),
    Index("ix_outbox_phone_sent_at", "phone", "sent_at"),
    Index("ix_outbox_due", "status", "next_attempt_at", "id"),
    sqlite_autoincrement=True,
)


@dataclass(frozen=True)
class OutgoingReply:
    """One queued reply, as a sender claims it."""

    id: int
    phone: str
    reply: Reply
    attempts: int
    created_at: datetime
    channel: str = WHATSAPP
    payload: dict[str, Any] | None = None  # the JSON body of a webhook row


@dataclass(frozen=True)
class OutboxRow:
    """One row as ops see it (failed list, admin)."""

    id: int
    phone: str
    status: str
    attempts: int
    created_at: datetime
    last_error: str
    text: str


def reply_to_json(reply: Reply) -> dict[str, Any]:
    """A Reply as plain JSON (the outbox column)."""
    return {
        "text": reply.text,
        "options": [[o.id, o.title, o.description] for o in reply.options],
        "style": reply.style,
        "list_title": reply.list_title,
        "list_button": reply.list_button,
        "document_url": reply.document_url,
        "document_name": reply.document_name,
        "alone": reply.alone,
    }


def reply_from_json(body: dict[str, Any]) -> Reply:
    """The Reply stored by `reply_to_json`."""
    options = tuple(Option(*option) for option in body.get("options", []))
    return Reply(
        body["text"],
        options=options,
        style=body.get("style", "list"),
        list_title=body.get("list_title", ""),
        list_button=body.get("list_button", "Ver opções"),
        document_url=body.get("document_url", ""),
        document_name=body.get("document_name", ""),
        alone=body.get("alone", False),
    )


class Outbox:
    """Queued replies in the records database (SQLite or Postgres)."""

    def __init__(self, engine: Engine, *, sends_per_minute: int = 20) -> None:
        self.engine = engine
        self.sends_per_minute = sends_per_minute
        self._skip_locked = engine.dialect.name == "postgresql"
        # SQLite has no row locks: one claim at a time inside this process.
        self._claim_guard = threading.Lock()
        self._leases_checked_at: datetime | None = None
        # Built once: the sender claims after every send, and building a statement costs
        # more than SQLite takes to run it.
        self._heads = self._due_heads()
        self._over_limit = self._busy_query()
        self._mark_sent = (
            update(outbox_table)
            .where(outbox_table.c.id == bindparam("row_id"))
            .values(
                status=SENT,
                sent_at=bindparam("at", type_=UtcDateTime()),
                sent_ids=bindparam("ids"),
                lease_until=None,
            )
        )

    def enqueue(
        self, phone: str, source_id: str, replies: list[Reply], now: datetime | None = None
    ) -> bool:
        """Store `replies` for `phone` in order; False when `source_id` was queued already."""
        if not replies:
            return True
        with writing(self.engine) as conn:
            added = add_rows(conn, phone, source_id, [reply_to_json(r) for r in replies], now)
        if not added:
            log.info("replies of this message were queued already")
        return added

    def claim(
        self, now: datetime, *, limit: int = 1, lease_seconds: float = 120
    ) -> list[OutgoingReply]:
        """Take up to `limit` due replies, each the oldest unsent one of its phone."""
        now = _utc(now)
        with self._claim_guard, self.engine.begin() as conn:
            if self._leases_checked_at is None or now - self._leases_checked_at > LEASE_CHECK:
                self._expire_leases(conn, now)
                self._leases_checked_at = now
            rows = conn.execute(self._heads, {"now": now, "limit": limit}).mappings().all()
            busy = self._busy_phones(conn, {row["phone"] for row in rows}, now)
            rows = [row for row in rows if row["phone"] not in busy]
            self._postpone(conn, busy, now)
            if not rows:
                return []
            ids = [row["id"] for row in rows]
            lease = now + timedelta(seconds=lease_seconds)
            conn.execute(
                update(outbox_table)
                .where(outbox_table.c.id.in_(ids))
                .values(status=SENDING, lease_until=lease)
            )
        return [_outgoing(row) for row in rows]

    def mark_sent(self, row_id: int, sent_ids: list[str], now: datetime) -> None:
        self.mark_sent_many([(row_id, sent_ids)], now)

    def mark_sent_many(self, done: list[tuple[int, list[str]]], now: datetime) -> None:
        """Mark rows sent, each with the ids Z-API gave its messages: one transaction."""
        at = _utc(now)
        with self.engine.begin() as conn:
            conn.execute(
                self._mark_sent, [{"row_id": row, "ids": ids, "at": at} for row, ids in done]
            )

    def retry_later(self, row_id: int, error: str, at: datetime) -> None:
        """Put the reply back in line (first of its phone) to be tried again at `at`."""
        self._set(
            row_id,
            status=PENDING,
            next_attempt_at=_utc(at),
            lease_until=None,
            last_error=error[:300],
            attempts=outbox_table.c.attempts + 1,
        )

    def mark_failed(self, row_id: int, error: str) -> None:
        """Give up on a reply: kept as failed and re-sendable; its phone's line moves on."""
        self._set(
            row_id,
            status=FAILED,
            lease_until=None,
            last_error=error[:300],
            attempts=outbox_table.c.attempts + 1,
        )

    def resend_failed(self, now: datetime, row_ids: list[int] | None = None) -> int:
        """Queue failed replies again (all of them, or `row_ids`); return how many."""
        query = update(outbox_table).where(outbox_table.c.status == FAILED)
        if row_ids is not None:
            query = query.where(outbox_table.c.id.in_(row_ids))
        values = {"status": PENDING, "next_attempt_at": _utc(now), "attempts": 0}
        with self.engine.begin() as conn:
            return conn.execute(query.values(**values)).rowcount

    def failed(self, limit: int = 100) -> list[OutboxRow]:
        """The replies that could not be delivered, newest first."""
        query = (
            select(outbox_table)
            .where(outbox_table.c.status == FAILED)
            .order_by(outbox_table.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_row(row) for row in conn.execute(query).mappings()]

    def counts(self) -> dict[str, int]:
        """How many replies are in each state (for /health and /metrics)."""
        query = select(outbox_table.c.status, func.count()).group_by(outbox_table.c.status)
        with self.engine.connect() as conn:
            found = dict(conn.execute(query).all())
        return {status: int(found.get(status, 0)) for status in (PENDING, SENDING, SENT, FAILED)}

    def forget(self, phone: str) -> int:
        """Delete every reply kept for `phone` (LGPD); return how many."""
        with self.engine.begin() as conn:
            return conn.execute(delete(outbox_table).where(outbox_table.c.phone == phone)).rowcount

    def purge_sent_before(self, cutoff: datetime) -> int:
        """Delete replies delivered before `cutoff` (retention); failed ones stay for ops."""
        query = delete(outbox_table).where(
            outbox_table.c.status == SENT, outbox_table.c.created_at < _utc(cutoff)
        )
        with self.engine.begin() as conn:
            return conn.execute(query).rowcount

    def texts_for(self, phone: str) -> list[str]:
        """The texts queued for `phone`, in the order they are to reach the customer."""
        query = (
            select(outbox_table.c.body)
            .where(outbox_table.c.phone == phone, outbox_table.c.status != FAILED)
            .order_by(outbox_table.c.id)
        )
        with self.engine.connect() as conn:
            return [body["text"] for body in conn.execute(query).scalars()]

    def recently_sent_text(self, phone: str, since: datetime) -> set[str]:
        """The texts sent (or queued) to `phone` since `since`, to spot a repeated answer."""
        query = select(outbox_table.c.body).where(
            outbox_table.c.phone == phone,
            outbox_table.c.created_at >= _utc(since),
            outbox_table.c.status != FAILED,
        )
        with reading(self.engine) as conn:
            return {body["text"] for body in conn.execute(query).scalars()}

    # -- internals --
    def _due_heads(self) -> Any:
        """Due replies in order (index ix_outbox_due), each the first queued of its phone;
        parameters `now` and `limit`.

        Not a GROUP BY over the whole queue: the walk stops after `limit` rows.
        """
        table, earlier = outbox_table, outbox_table.alias("earlier")
        waits_behind = (
            select(earlier.c.id)
            .where(
                earlier.c.phone == table.c.phone,
                earlier.c.status.in_(IN_FLIGHT),
                earlier.c.id < table.c.id,
            )
            .exists()
        )
        query = (
            select(table)
            .where(
                table.c.status == PENDING,
                table.c.next_attempt_at <= bindparam("now", type_=UtcDateTime()),
                ~waits_behind,
            )
            .order_by(table.c.next_attempt_at, table.c.id)
            .limit(bindparam("limit", type_=Integer()))
        )
        return query.with_for_update(skip_locked=True) if self._skip_locked else query

    def _busy_phones(self, conn: Any, phones: set[str], now: datetime) -> set[str]:
        """Of `phones`, those that got their sends-per-minute already (index on phone, sent_at)."""
        if not phones:
            return set()
        values = {"phones": list(phones), "since": now - timedelta(minutes=1)}
        return set(conn.execute(self._over_limit, values).scalars())

    def _busy_query(self) -> Any:
        table = outbox_table
        return (
            select(table.c.phone)
            .where(
                table.c.phone.in_(bindparam("phones", expanding=True)),
                table.c.sent_at > bindparam("since", type_=UtcDateTime()),
            )
            .group_by(table.c.phone)
            .having(func.count() >= self.sends_per_minute)
        )

    def _postpone(self, conn: Any, phones: set[str], now: datetime) -> None:
        """A phone over its limit waits a little: its head row is not held, just not due yet."""
        if phones:
            conn.execute(
                update(outbox_table)
                .where(outbox_table.c.phone.in_(phones), outbox_table.c.status == PENDING)
                .values(next_attempt_at=now + LIMIT_PAUSE)
            )

    def _expire_leases(self, conn: Any, now: datetime) -> None:
        """Rows a dead sender was holding go back in line (sent at least once, never lost)."""
        conn.execute(
            update(outbox_table)
            .where(outbox_table.c.status == SENDING, outbox_table.c.lease_until < now)
            .values(status=PENDING, lease_until=None)
        )

    def _set(self, row_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(outbox_table).where(outbox_table.c.id == row_id).values(**values))


def add_rows(
    conn: Any,
    phone: str,
    source_id: str,
    bodies: list[dict[str, Any]],
    now: datetime | None = None,
    *,
    channel: str = WHATSAPP,
) -> bool:
    """Queue `bodies` for `phone` in order, inside the caller's transaction `conn`; False
    when `source_id` was queued already (a message handled again after a crash).

    Callers that write something else in the same transaction (a recorded request and
    its team alerts) get both or neither.
    """
    created = _utc(now)
    rows = [
        {
            "phone": phone,
            "source_id": source_id,
            "position": position,
            "body": body,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": created,
            "created_at": created,
            "last_error": "",
            "channel": channel,
        }
        for position, body in enumerate(bodies)
    ]
    statement = insert_new(outbox_table, conn.dialect.name)
    if not conn.dialect.insert_executemany_returning:
        conn.execute(statement, rows)  # no ON CONFLICT there: a taken key raises
        return True
    # The rows really inserted come back (a many-row rowcount is not reliable).
    return bool(conn.execute(statement.returning(outbox_table.c.id), rows).all())


def _utc(moment: datetime | None) -> datetime:
    moment = moment or datetime.now(UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _outgoing(row: Any) -> OutgoingReply:
    return OutgoingReply(
        id=row["id"],
        phone=row["phone"],
        reply=reply_from_json(row["body"]),
        attempts=row["attempts"],
        created_at=row["created_at"],
        channel=row["channel"],
        payload=row["body"].get("payload"),
    )


def _row(row: Any) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        phone=row["phone"],
        status=row["status"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        last_error=row["last_error"],
        text=row["body"]["text"],
    )
