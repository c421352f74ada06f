"""Outages ("massivas") registered by ops, and the customers told about them.

Outages live in the records database so that every instance sees the same ones
at once: each lookup reads the table (active outages are a handful of rows),
there is no per-process cache to hide a new outage. A phone told about an
outage is noted once per outage (`outage_notices`); the count is what ops want
after an outage, and those phones, and only those, get the "service is back"
message when ops end it.

The demo file `data/outages.json` only seeds an empty table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Engine,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, RowMapping

from business_data import OutageSeed, load_outage_seeds, only_digits
from privacy import mask_phone
from records import UtcDateTime, _BigId, insert_new, lock_for_migration, metadata
from transactions import reading, writing

log = logging.getLogger("theo.outages")

# An outage still active this long after its forecast is a forgotten one: ignoring it
# lets customers reach the diagnosis and a technician visit again.
STALE_AFTER = timedelta(hours=24)

outages_table = Table(
    "outages",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("cep_prefixes", JSON(), nullable=False),  # [] = everywhere
    Column("message", Text(), nullable=False),
    Column("expected_end", UtcDateTime(), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    # Filled when the outage ends: the figure kept with the record.
    Column("customers_told", Integer, nullable=True),
    sqlite_autoincrement=True,
)

notices_table = Table(
    "outage_notices",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("outage_id", BigInteger, nullable=False),
    Column("phone", String(64), nullable=False),
    Column("told_at", UtcDateTime(), nullable=False),
    UniqueConstraint("outage_id", "phone", name="uq_outage_notices_outage_phone"),
    sqlite_autoincrement=True,
)


@dataclass(frozen=True)
class Outage:
    """An outage as ops registered it; `customers_told` counts the phones told so far."""

    id: int
    cep_prefixes: tuple[str, ...]
    message: str
    expected_end: datetime
    started_at: datetime
    ended_at: datetime | None = None
    customers_told: int = 0

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def covers(self, cep: str) -> bool:
        """True for a CEP under one of its prefixes; an outage with none covers everywhere."""
        digits = only_digits(cep)
        return not self.cep_prefixes or any(digits.startswith(p) for p in self.cep_prefixes)


class OutageError(Exception):
    """An outage that cannot be ended: `reason` is "not_found" or "already_ended"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OutageStore:
    """Outages and their notices on the records database (SQLite or Postgres)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start(
        self, cep_prefixes: tuple[str, ...], message: str, expected_end: datetime, now: datetime
    ) -> Outage:
        """Register an outage in force from `now`."""
        values = {
            "cep_prefixes": list(cep_prefixes),
            "message": message,
            "expected_end": expected_end,
            "started_at": now,
        }
        with self.engine.begin() as conn:
            outage_id = conn.execute(insert(outages_table).values(**values)).inserted_primary_key[0]
        log.info("outage %s started for %s", outage_id, list(cep_prefixes) or "everywhere")
        return self.get(outage_id)  # type: ignore[return-value]

    def get(self, outage_id: int) -> Outage | None:
        """One outage by id, with how many customers were told."""
        found = self.listed(only_active=False, outage_id=outage_id)
        return found[0] if found else None

    def listed(
        self,
        *,
        only_active: bool = False,
        outage_id: int | None = None,
        before_id: int | None = None,
        limit: int = 200,
    ) -> list[Outage]:
        """Outages newest first, each with its count of customers told."""
        told = (
            select(notices_table.c.outage_id, func.count().label("told"))
            .group_by(notices_table.c.outage_id)
            .subquery()
        )
        query = (
            select(outages_table, told.c.told)
            .outerjoin(told, told.c.outage_id == outages_table.c.id)
            .order_by(outages_table.c.id.desc())
            .limit(limit)
        )
        if only_active:
            query = query.where(outages_table.c.ended_at.is_(None))
        if outage_id is not None:
            query = query.where(outages_table.c.id == outage_id)
        if before_id is not None:
            query = query.where(outages_table.c.id < before_id)
        with reading(self.engine) as conn:
            return [_outage(row) for row in conn.execute(query).mappings()]

    def for_cep(self, cep: str, now: datetime, active: list[Outage] | None = None) -> Outage | None:
        """The active, not stale outage covering this CEP; the latest forecast if several.

        `active`: the active outages, when the caller has just listed them.
        """
        active = self.listed(only_active=True) if active is None else active
        current = [outage for outage in active if outage.covers(cep) and not _is_stale(outage, now)]
        return max(current, key=lambda outage: outage.expected_end, default=None)

    def told_about(
        self, phone: str, now: datetime, active: list[Outage] | None = None
    ) -> Outage | None:
        """The active outage this phone was already told about, if any (for the greeting).

        `active`: the active outages, when the caller has just listed them.
        """
        active = self.listed(only_active=True) if active is None else active
        if not active:
            return None
        query = select(notices_table.c.outage_id).where(notices_table.c.phone == phone)
        with reading(self.engine) as conn:
            ids = set(conn.execute(query).scalars())
        current = [outage for outage in active if outage.id in ids and not _is_stale(outage, now)]
        return max(current, key=lambda outage: outage.expected_end, default=None)

    def note_told(self, outage: Outage, phone: str, now: datetime) -> None:
        """Keep that `phone` was told about `outage` (once: a second telling is not counted)."""
        values = {"outage_id": outage.id, "phone": phone, "told_at": now}
        with writing(self.engine) as conn:
            added = conn.execute(insert_new(notices_table, conn.dialect.name).values(**values))
        if added.rowcount == 0:
            return  # told before: one customer, one count, one "it's back"
        log.info("outage %s told to %s", outage.id, mask_phone(phone))

    def end(self, outage_id: int, now: datetime) -> tuple[Outage, list[str]]:
        """End an active outage; the ended outage and the phones told about it.

        Raises OutageError when there is no such outage, or it was ended already
        (so a second DELETE never sends a second wave of messages).
        """
        with self.engine.begin() as conn:
            ended = conn.execute(
                update(outages_table)
                .where(outages_table.c.id == outage_id, outages_table.c.ended_at.is_(None))
                .values(ended_at=now)
            ).rowcount
            if not ended:
                exists = conn.execute(
                    select(outages_table.c.id).where(outages_table.c.id == outage_id)
                ).first()
                raise OutageError("already_ended" if exists else "not_found")
            phones = self._told_phones(conn, outage_id)
            conn.execute(
                update(outages_table)
                .where(outages_table.c.id == outage_id)
                .values(customers_told=len(phones))
            )
        log.info("outage %s ended: %d customers told", outage_id, len(phones))
        return self.get(outage_id), phones  # type: ignore[return-value]

    def told_phones(self, outage_id: int) -> list[str]:
        """The phones told about an outage, in the order they were told."""
        with self.engine.connect() as conn:
            return self._told_phones(conn, outage_id)

    def forget(self, phone: str) -> int:
        """Delete the notices of a phone (LGPD); an ended outage keeps its count."""
        with self.engine.begin() as conn:
            return conn.execute(
                delete(notices_table).where(notices_table.c.phone == phone)
            ).rowcount

    def purge_before(self, cutoff: datetime) -> int:
        """Delete notices older than `cutoff` (retention); ended outages keep their count."""
        with self.engine.begin() as conn:
            return conn.execute(
                delete(notices_table).where(notices_table.c.told_at < cutoff)
            ).rowcount

    def seed_if_empty(self, folder: Path | str) -> int:
        """Copy the demo file's outages into an empty table; how many were copied."""
        seeds = [_seed_row(seed) for seed in load_outage_seeds(folder)]
        with self.engine.begin() as conn:
            lock_for_migration(conn)  # two instances starting together seed once
            if conn.execute(select(func.count()).select_from(outages_table)).scalar():
                return 0
            for seed in seeds:
                conn.execute(insert(outages_table).values(**seed))
        return len(seeds)

    @staticmethod
    def _told_phones(conn: Connection, outage_id: int) -> list[str]:
        query = (
            select(notices_table.c.phone)
            .where(notices_table.c.outage_id == outage_id)
            .order_by(notices_table.c.id)
        )
        return list(conn.execute(query).scalars())


def _seed_row(seed: OutageSeed) -> dict:
    """A table row from a demo-file outage; an inactive one is kept as ended at its forecast."""
    restoration = seed.expected_restoration
    return {
        "cep_prefixes": list(seed.cep_prefixes),
        "message": seed.message,
        "expected_end": restoration,
        "started_at": min(restoration, datetime.now(UTC)),
        "ended_at": None if seed.active else restoration,
    }


def _outage(row: RowMapping) -> Outage:
    return Outage(
        id=row["id"],
        cep_prefixes=tuple(row["cep_prefixes"]),
        message=row["message"],
        expected_end=row["expected_end"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        customers_told=(row["customers_told"] if row["ended_at"] else row["told"]) or 0,
    )


def _is_stale(outage: Outage, now: datetime) -> bool:
    """True (and logged for ops) when the forecast passed more than STALE_AFTER ago."""
    stale = now - outage.expected_end > STALE_AFTER
    if stale:
        log.warning("outage %s ignored: still active long after its forecast", outage.id)
    return stale
