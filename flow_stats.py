"""How well Theo serves, measured: one row per flow run, and the report built from them.

A *run* is one flow a customer started (by its entry intent) inside a conversation.
It ends with an outcome: `resolved` (Theo reached the flow's outcome alone: invoices
sent, problem solved, request recorded), `handed_over` (a person took it), or
`abandoned` (the customer left: another flow, `sair`, or the session expired) at its
last step. The run being handled lives in the session (`data["run"]`); the table is
written once at the end of a turn, and only when the run changed, so a turn costs at
most one small write.

Abandonment is mostly derived when the report is computed (a run without outcome
followed by another run of the same protocol, or idle beyond the session TTL):
leaving a flow costs no write at all.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Index,
    SmallInteger,
    String,
    Table,
    insert,
    select,
    update,
)

from records import UtcDateTime, _BigId, metadata
from transactions import writing

log = logging.getLogger("theo.stats")

RESOLVED = "resolved"
HANDED_OVER = "handed_over"
ABANDONED = "abandoned"
OUTCOMES = (RESOLVED, HANDED_OVER, ABANDONED)
CSAT_SCORES = range(1, 6)

# No phone, no document: a run is known only by its protocol.
flow_runs_table = Table(
    "flow_runs",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("protocol", String(32), nullable=False),
    Column("flow", String(32), nullable=False),
    Column("step", String(64), nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("csat", SmallInteger(), nullable=True),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Index("ix_flow_runs_started_at", "started_at"),
    Index("ix_flow_runs_protocol", "protocol"),
    sqlite_autoincrement=True,
)


# --- the run of the conversation, kept in the session ---------------------------
def new_run(flow: str) -> dict[str, Any]:
    """A run of `flow` not yet stored (no id: `flush` inserts it and keeps the id)."""
    return {"id": None, "flow": flow, "step": "", "outcome": None}


def start(data: dict, flow: str) -> None:
    """Start a run of `flow`, unless the open run is already that flow (a sub-menu)."""
    run = data.get("run")
    if run and run["flow"] == flow and run["outcome"] is None:
        return
    data["run"] = new_run(flow)
    data.pop("surveyed", None)  # a new flow may be rated again


def rate(data: dict, score: int) -> None:
    """The customer's satisfaction score (1-5) for the run that just ended."""
    run = data.get("run")
    if run is not None and score in CSAT_SCORES:
        run["csat"] = score


def mark(data: dict, outcome: str, *, only_open: bool = False) -> None:
    """The run reached `outcome` (the latest wins: a reopened problem, then a visit)."""
    run = data.get("run")
    if run is not None and not (only_open and run["outcome"] is not None):
        run["outcome"] = outcome


def note_step(data: dict, state: str) -> None:
    """The run's latest question, where it stopped if the customer leaves now."""
    run = data.get("run")
    if run is not None and run["outcome"] is None:
        run["step"] = state[:64]


@dataclass(frozen=True)
class Change:
    """What a turn did to the run: `started` a new one, `completed` it with an outcome."""

    started: str = ""  # the flow key of a run stored for the first time
    completed: str = ""  # the outcome reached this turn


# --- the store --------------------------------------------------------------------
class FlowRuns:
    """The flow_runs table behind a few methods (same database as the records)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def flush(self, protocol: str, before: dict | None, run: dict | None, now: datetime) -> Change:
        """Store what changed in `run` this turn: one insert or one update, or nothing."""
        if not run or run == before:
            return Change()
        table = flow_runs_table
        fields = {"step": run["step"], "outcome": run["outcome"], "updated_at": now}
        if run["outcome"] == ABANDONED:
            fields["ended_at"] = now
        if "csat" in run:
            fields["csat"] = run["csat"]
        is_new = run["id"] is None
        with writing(self.engine) as conn:
            if is_new:
                values = {"protocol": protocol, "flow": run["flow"], "started_at": now}
                inserted = conn.execute(insert(table).values(**values, **fields))
                run["id"] = inserted.inserted_primary_key[0]
            else:
                conn.execute(update(table).where(table.c.id == run["id"]).values(**fields))
        completed = run["outcome"] if run["outcome"] != (before or {}).get("outcome") else ""
        if not is_new and (before or {}).get("outcome") and completed:
            completed = ""  # a second outcome of the same run is not a second completion
        return Change(started=run["flow"] if is_new else "", completed=completed or "")

    def session_ended(self, protocol: str, now: datetime) -> int:
        """The conversation `protocol` ended (expiry timer): its open runs are abandoned."""
        table = flow_runs_table
        query = (
            update(table)
            .where(table.c.protocol == protocol, table.c.outcome.is_(None))
            .values(outcome=ABANDONED, ended_at=now, updated_at=now)
        )
        with writing(self.engine) as conn:
            return conn.execute(query).rowcount

    def rows_since(self, since: datetime) -> list[dict[str, Any]]:
        """The runs started at or after `since`, oldest first."""
        table = flow_runs_table
        query = select(table).where(table.c.started_at >= since).order_by(table.c.started_at)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def report(
        self, since: datetime, now: datetime, session_ttl_seconds: float, flows: Iterable[str]
    ) -> dict[str, Any]:
        """Per flow: started, resolved, handed_over, abandoned (and where), in progress, CSAT."""
        return build_report(self.rows_since(since), since, now, session_ttl_seconds, flows)


# --- the report ---------------------------------------------------------------------
def build_report(
    rows: list[dict[str, Any]],
    since: datetime,
    now: datetime,
    session_ttl_seconds: float,
    flows: Iterable[str],
) -> dict[str, Any]:
    """The report over `rows`; every flow of `flows` appears, with zeros when unused."""
    report = {flow: _empty() for flow in flows}
    later = _followed_runs(rows)
    idle_since = now - timedelta(seconds=session_ttl_seconds)
    for row in rows:
        entry = report.setdefault(row["flow"], _empty())
        entry["started"] += 1
        outcome = row["outcome"]
        if outcome is None and (row["id"] in later or row["updated_at"] < idle_since):
            outcome = ABANDONED  # left for another flow, or the session expired since
        if outcome is None:
            entry["in_progress"] += 1
            continue
        entry[outcome] += 1
        if outcome == ABANDONED:
            step = row["step"] or "-"
            entry["abandoned_at"][step] = entry["abandoned_at"].get(step, 0) + 1
        if row["csat"] is not None:
            entry["csat"]["count"] += 1
            entry["csat"]["total"] += row["csat"]
    for entry in report.values():
        _finish(entry)
    return {"since": since.astimezone(UTC).isoformat(), "flows": report}


def _empty() -> dict[str, Any]:
    return {
        "started": 0,
        RESOLVED: 0,
        HANDED_OVER: 0,
        ABANDONED: 0,
        "in_progress": 0,
        "abandoned_at": {},
        "csat": {"count": 0, "total": 0},
    }


def _followed_runs(rows: list[dict[str, Any]]) -> set[str]:
    """Ids of runs that another run of the same conversation started after."""
    followed: set[str] = set()
    last_of: dict[str, str] = {}
    for row in rows:  # oldest first
        previous = last_of.get(row["protocol"])
        if previous is not None:
            followed.add(previous)
        last_of[row["protocol"]] = row["id"]
    return followed


def _finish(entry: dict[str, Any]) -> None:
    """Containment (resolved / started) and the CSAT average, rounded for a screen."""
    started = entry["started"]
    entry["containment"] = round(entry[RESOLVED] / started, 3) if started else None
    csat = entry.pop("csat")
    average = round(csat["total"] / csat["count"], 2) if csat["count"] else None
    entry["csat"] = {"count": csat["count"], "average": average}
