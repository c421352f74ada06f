"""Attendance protocols and recorded requests, kept in SQL (SQLite or Postgres).

Every conversation gets a protocol number and every request a customer makes
(visit, ticket, lead, ...) is written here under it, so nothing is lost when a
process restarts. Sequences come from the database, never from a counter in
memory, so several gunicorn workers can hand out protocols at the same time.
The tables are made and changed by the Alembic migrations in migrations/,
which `migrate` runs when a store starts.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Dialect, RowMapping
from sqlalchemy.exc import SQLAlchemyError

from transactions import reading, writing

log = logging.getLogger(__name__)

REQUEST_KINDS = (
    "visit",
    "ticket",
    "lead",
    "coverage_interest",
    "cancellation",
    "plan_change",
    "handoff",
    "trust_unlock",
    "system_unavailable",
    # Payments and billing (flows/paid.py, flows/billing.py).
    "payment_receipt",
    "due_date_change",
    "billing_dispute",
    "fiscal_note",
    # faq branch: a temporary suspension asked, and a complaint (kept apart from tickets).
    "suspension",
    "complaint",
    # account: visits changed, moving the service (flows/visits.py, flows/moving.py)
    "visit_change",
    "move",
)

OPEN, HANDLED = "open", "handled"
REQUEST_STATUSES = (OPEN, HANDLED)

SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITER = "theo_writer"  # in a pooled connection's info: it holds SqliteWriters' lock
WRITER_WAIT_SECONDS = SQLITE_BUSY_TIMEOUT_MS / 1000  # as patient as SQLite itself
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE")
# The records hold protocols, phones and requests: for the service's user only.
PRIVATE_FILE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700
IDENTITY_CHECKS_KEPT_DAYS = 3

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
INSTANCE_FOLDER = Path(__file__).resolve().parent / "instance"
# The revision that creates the tables `metadata.create_all` used to make.
BASELINE_REVISION = "0001"
BASELINE_TABLES = frozenset({"protocols", "recorded_requests", "outbox"})
# Key of the Postgres advisory lock held while migrating ("theo" in ASCII).
MIGRATION_LOCK_KEY = 0x7468656F


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back tz-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = _as_utc(value)
        # SQLite would store the offset as text; keep it naive (UTC) there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)


def _as_utc(value: datetime) -> datetime:
    """Return `value` in UTC; a naive datetime is taken as already being UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


metadata = MetaData()

# A plain INTEGER PRIMARY KEY is what SQLite needs for AUTOINCREMENT (ids never reused).
_BigId = BigInteger().with_variant(Integer, "sqlite")

protocols_table = Table(
    "protocols",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    # Filled right after the insert, from the id, inside the same transaction.
    Column("protocol", String(32), unique=True, nullable=True),
    Column("phone", String(32), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    sqlite_autoincrement=True,
)

requests_table = Table(
    "recorded_requests",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    # No foreign key on purpose: a request must be kept even if its protocol row is missing.
    Column("protocol", String(32), nullable=False, index=True),
    Column("phone", String(32), nullable=False),
    Column("details", JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # Ops mark a request handled once they acted on it (migration 0004).
    Column("status", String(16), nullable=False, server_default=OPEN),
    Column("handled_at", UtcDateTime(), nullable=True),
    Column("handled_by", String(100), nullable=True),
    sqlite_autoincrement=True,
)


# Documents looked up ("lookup") and wrong second-factor answers ("failed"), per phone
# and local day; `subject` is a keyed hash of the document, never the document itself.
identity_checks_table = Table(
    "identity_checks",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("phone", String(64), nullable=False),
    Column("day", String(10), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_identity_checks_phone_day", "phone", "day", "kind"),
    sqlite_autoincrement=True,
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request a customer made (visit, lead, handoff...) under a protocol."""

    id: int
    kind: str
    protocol: str
    phone: str
    details: dict
    created_at: datetime
    status: str = OPEN
    handled_at: datetime | None = None
    handled_by: str | None = None


@dataclass(frozen=True)
class RequestFilter:
    """Which recorded requests ops want to see: kinds, status, since when, after a cursor."""

    kinds: tuple[str, ...] = ()
    status: str | None = None
    since: datetime | None = None
    before_id: int | None = None  # the paging cursor: requests older than this id
    limit: int = 50


def normalize_database_url(database_url: str) -> str:
    """Point Render/Heroku style Postgres URLs at the installed psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def insert_new(table: Table, dialect: str) -> Any:
    """INSERT that skips a row whose unique key is taken, instead of failing.

    Inside a turn's transaction a failed INSERT would abort the whole turn on Postgres;
    SQLite and Postgres both take ON CONFLICT DO NOTHING (other databases raise, as before).
    """
    if dialect == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing()
    return insert(table)


def _dump_json(value: Any) -> str:
    """Serialise details readably; odd values (dates, decimals) become text, not an error."""
    return json.dumps(value, ensure_ascii=False, default=str)


def _enable_sqlite_concurrency(dbapi_connection: Any, _record: Any) -> None:
    """Let several threads/processes share the SQLite file: WAL + wait on locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    _switch_to_wal(cursor)
    # In WAL mode NORMAL still survives a killed process (only a power cut may lose the
    # last commits), and spares an fsync per commit: the outbox commits on every message.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class SqliteWriters:
    """One writer at a time in this process, queued on a lock instead of SQLite's busy wait.

    SQLite lets one connection write at a time; the others try again after sleeping 1,
    2, 5, 10… ms (its busy handler). With turns, the sender and the timers all writing,
    those sleeps made the webhook's slowest acknowledgements. A connection takes this
    lock at its first write and gives it back when it returns to the pool, after its
    commit or rollback. Another process (a separate sender) still meets SQLite's wait.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()  # a thread may write on a second connection

    def install(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_write)
        event.listen(engine.pool, "checkin", self._release)
        event.listen(engine.pool, "invalidate", self._release)

    def _before_write(self, conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.info.get(WRITER) or statement.lstrip()[:6].upper() not in WRITE_VERBS:
            return
        # Past SQLite's own patience, go on without the lock: SQLite still guards the file.
        if self.lock.acquire(timeout=WRITER_WAIT_SECONDS):
            conn.info[WRITER] = True

    def _release(self, _dbapi_connection: Any, record: Any, *_args: Any) -> None:
        if record is not None and record.info.pop(WRITER, False):
            try:
                self.lock.release()
            except RuntimeError:  # returned by another thread: the holder's count stays
                log.warning("SQLite writer lock released by another thread")


def _switch_to_wal(cursor: Any) -> None:
    """`PRAGMA journal_mode=WAL`, retried while another process writes a new file.

    Until a new file's first commit, SQLite is still in rollback-journal mode: the switch
    then fails at once with "database is locked" (no busy wait, it would deadlock).
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def make_engine(
    database_url: str | None, *, default_sqlite_path: str | Path = "instance/theo.sqlite3"
) -> Engine:
    """The engine for `database_url`, or for a SQLite file at `default_sqlite_path`."""
    if database_url:
        url = normalize_database_url(database_url)
    else:
        path = Path(default_sqlite_path)
        _make_private_folder(path.parent)
        url = f"sqlite:///{path}"
    # A failed statement must not quote its values (phones, documents, names) in the
    # error text, which ends up in logs and tracebacks.
    engine = create_engine(
        url,
        # A server's connection may have been closed while idle; a file's never is.
        pool_pre_ping=not str(url).startswith("sqlite"),
        json_serializer=_dump_json,
        hide_parameters=True,
    )
    if engine.dialect.name == "sqlite":
        _make_private_file(engine.url.database)
        event.listen(engine, "connect", _enable_sqlite_concurrency)
        SqliteWriters().install(engine)
    return engine


def _make_private_folder(folder: Path) -> None:
    """The SQLite file's folder, for this user only (0700) when Theo makes it.

    Theo's own `instance/` folder is tightened even when it exists (older versions
    made it 0755); any other existing folder, say /tmp, is not Theo's to change.
    """
    missing = not folder.exists()
    folder.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    if missing or folder.resolve() == INSTANCE_FOLDER:
        try:
            folder.chmod(PRIVATE_FOLDER_MODE)  # also: mkdir's mode is cut by the umask
        except OSError as error:
            log.warning("the SQLite folder keeps its permissions: %s", type(error).__name__)


def _make_private_file(database: str | None) -> None:
    """Create the SQLite file readable by this user only (0600) before SQLite opens it.

    The database holds protocols, phones and requests. SQLite gives its journal, WAL
    and shared-memory files the mode of the database file, so they follow. A file
    made 0644 by an older version is tightened.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return  # in memory, or a URI whose options are SQLite's to read
    try:
        os.close(os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE))
    except FileExistsError:
        _tighten(Path(database))
    except OSError as error:  # a missing folder, a read-only disk: SQLite reports it on use
        log.debug("SQLite file not created ahead: %s", type(error).__name__)


def _tighten(path: Path) -> None:
    """Take group and other permissions off an existing database file, when it is ours."""
    try:
        if stat.S_IMODE(path.stat().st_mode) & ~PRIVATE_FILE_MODE:
            path.chmod(PRIVATE_FILE_MODE)
    except OSError as error:
        log.warning("the SQLite file keeps its permissions: %s", type(error).__name__)


def alembic_config(connection: Connection | None = None) -> AlembicConfig:
    """Alembic settings for `migrations/`, found from this file, whatever the cwd."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def lock_for_migration(conn: Connection) -> None:
    """Make other processes migrating the same database wait until `conn` commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        # The write lock at once, so another process waits before reading alembic_version;
        # the DDL is then transactional too (pysqlite would run it outside a transaction).
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest migration (`alembic upgrade head`), in one transaction.

    A database made by `metadata.create_all` before migrations existed (the tables
    but no `alembic_version`) is stamped at the baseline instead of created again.
    """
    with engine.begin() as conn:
        lock_for_migration(conn)
        config = alembic_config(conn)
        tables = set(inspect(conn).get_table_names())
        if "alembic_version" not in tables and BASELINE_TABLES.issubset(tables):
            log.info("database made before migrations: stamping it at %s", BASELINE_REVISION)
            command.stamp(config, BASELINE_REVISION)
        command.upgrade(config, "head")


class RecordsStore:
    """Protocols and recorded requests behind a few methods, on any SQLAlchemy database."""

    def __init__(
        self,
        database_url: str | None = None,
        *,
        default_sqlite_path: str | Path = "instance/theo.sqlite3",
    ) -> None:
        self.engine: Engine = make_engine(database_url, default_sqlite_path=default_sqlite_path)
        migrate(self.engine)
        # Called with (connection, request) inside the transaction that records a request
        # (team alerts): what they write is kept with the request, or not at all.
        self.listeners: list[Callable[[Connection, RecordedRequest], None]] = []

    def new_protocol(self, phone: str, now: datetime) -> str:
        """Create and store a protocol: `now`'s date (YYYYMMDD) + a database sequence."""
        with writing(self.engine) as conn:
            result = conn.execute(insert(protocols_table).values(phone=phone, created_at=now))
            seq = result.inserted_primary_key[0]
            protocol = f"{now:%Y%m%d}{seq:06d}"
            conn.execute(
                update(protocols_table).where(protocols_table.c.id == seq).values(protocol=protocol)
            )
        return protocol

    def record(
        self,
        kind: str,
        protocol: str,
        phone: str,
        details: dict,
        now: datetime | None = None,
    ) -> RecordedRequest:
        """Store one request of a known kind under `protocol` and return it."""
        if kind not in REQUEST_KINDS:
            raise ValueError(f"unknown request kind {kind!r}; expected one of {REQUEST_KINDS}")
        created_at = _as_utc(now or datetime.now(UTC))
        values = {
            "kind": kind,
            "protocol": protocol,
            "phone": phone,
            "details": dict(details),
            "created_at": created_at,
        }
        with writing(self.engine) as conn:
            result = conn.execute(insert(requests_table).values(**values))
            request = RecordedRequest(id=result.inserted_primary_key[0], **values)
            for listener in self.listeners:
                listener(conn, request)
        log.info("recorded %s request under protocol %s", kind, protocol)
        return request

    def requests_for_protocol(self, protocol: str) -> list[RecordedRequest]:
        """Return the requests recorded under `protocol`, oldest first."""
        query = (
            select(requests_table)
            .where(requests_table.c.protocol == protocol)
            .order_by(requests_table.c.id)
        )
        return self._fetch(query)

    def amend(self, request_id: int, details: dict) -> None:
        """Replace the details of a request just recorded (more the customer told about it)."""
        with writing(self.engine) as conn:
            conn.execute(
                update(requests_table)
                .where(requests_table.c.id == request_id)
                .values(details=dict(details))
            )

    def requests_for_customer(
        self, customer_id: str, kinds: tuple[str, ...], since: datetime
    ) -> list[RecordedRequest]:
        """The requests of these kinds recorded for the customer since `since`, oldest first."""
        query = (
            select(requests_table)
            .where(requests_table.c.kind.in_(kinds))
            .where(requests_table.c.created_at >= _as_utc(since))
            .where(requests_table.c.details["customer"].as_string() == customer_id)
            .order_by(requests_table.c.id)
        )
        return self._fetch(query)

    def recent_requests(self, limit: int = 50) -> list[RecordedRequest]:
        """Return the latest `limit` requests, newest first."""
        query = select(requests_table).order_by(requests_table.c.id.desc()).limit(limit)
        return self._fetch(query)

    def find_requests(self, wanted: RequestFilter) -> list[RecordedRequest]:
        """The requests matching `wanted`, newest first, at most `wanted.limit`."""
        table = requests_table
        query = select(table).order_by(table.c.id.desc()).limit(wanted.limit)
        if wanted.kinds:
            query = query.where(table.c.kind.in_(wanted.kinds))
        if wanted.status:
            query = query.where(table.c.status == wanted.status)
        if wanted.since:
            query = query.where(table.c.created_at >= _as_utc(wanted.since))
        if wanted.before_id:
            query = query.where(table.c.id < wanted.before_id)
        return self._fetch(query)

    def mark_handled(
        self, protocol: str, by: str | None, now: datetime, kinds: tuple[str, ...] = ()
    ) -> tuple[int, int]:
        """Mark the open requests of `protocol` handled; (how many found, how many marked)."""
        table = requests_table
        mine = table.c.protocol == protocol
        if kinds:
            mine = mine & table.c.kind.in_(kinds)
        with self.engine.begin() as conn:
            found = len(conn.execute(select(table.c.id).where(mine)).all())
            marked = conn.execute(
                update(table)
                .where(mine, table.c.status == OPEN)
                .values(status=HANDLED, handled_at=_as_utc(now), handled_by=by)
            ).rowcount
        log.info("protocol %s: %d requests marked handled", protocol, marked)
        return found, marked

    def purge_older_than(self, days: int, now: datetime | None = None) -> dict[str, int]:
        """Delete requests and protocols created more than `days` ago; return how many."""
        if days <= 0:
            raise ValueError("days must be greater than zero")
        cutoff = _as_utc(now or datetime.now(UTC)) - timedelta(days=days)
        with self.engine.begin() as conn:
            requests = conn.execute(
                delete(requests_table).where(requests_table.c.created_at < cutoff)
            ).rowcount
            protocols = conn.execute(
                delete(protocols_table).where(protocols_table.c.created_at < cutoff)
            ).rowcount
            # Day-scoped counters: a few days of them is all the limits ever read.
            conn.execute(
                delete(identity_checks_table).where(
                    identity_checks_table.c.created_at
                    < _as_utc(now or datetime.now(UTC)) - timedelta(days=IDENTITY_CHECKS_KEPT_DAYS)
                )
            )
        log.info("retention: purged %d requests and %d protocols", requests, protocols)
        return {"requests": requests, "protocols": protocols}

    def forget_customer(self, phone: str, customer_id: str = "") -> dict[str, int]:
        """Delete everything kept about a phone (and a customer id): requests and protocols."""
        mine = requests_table.c.phone == phone
        if customer_id:
            mine = mine | (requests_table.c.details["customer"].as_string() == customer_id)
        with self.engine.begin() as conn:
            found = conn.execute(select(requests_table.c.protocol).where(mine)).scalars().all()
            requests = conn.execute(delete(requests_table).where(mine)).rowcount
            theirs = (protocols_table.c.phone == phone) | protocols_table.c.protocol.in_(found)
            protocols = conn.execute(delete(protocols_table).where(theirs)).rowcount
            conn.execute(
                delete(identity_checks_table).where(identity_checks_table.c.phone == phone)
            )
        log.info("forgot a customer: %d requests and %d protocols deleted", requests, protocols)
        return {"requests": requests, "protocols": protocols}

    def note_identity_check(self, phone: str, day: str, kind: str, subject: str) -> None:
        """Keep one document lookup or one failed second-factor answer of `phone` on `day`."""
        values = {"phone": phone, "day": day, "kind": kind, "subject": subject}
        with writing(self.engine) as conn:
            conn.execute(
                insert(identity_checks_table).values(**values, created_at=datetime.now(UTC))
            )

    def identity_checks(self, phone: str, day: str, kind: str) -> list[str]:
        """The subjects noted for `phone` on `day` of this kind, oldest first (repeats kept)."""
        table = identity_checks_table
        query = (
            select(table.c.subject)
            .where(table.c.phone == phone, table.c.day == day, table.c.kind == kind)
            .order_by(table.c.id)
        )
        with reading(self.engine) as conn:
            return list(conn.execute(query).scalars())

    def ping(self) -> bool:
        """Tell whether the database answers a trivial query (for /health)."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("database ping failed: %s", type(exc).__name__)
            return False
        return True

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def _fetch(self, query: Any) -> list[RecordedRequest]:
        """Run a select on the requests table and build the dataclasses."""
        with reading(self.engine) as conn:
            rows = conn.execute(query).mappings().all()
        return [_to_request(row) for row in rows]


def _to_request(row: RowMapping) -> RecordedRequest:
    """Build a RecordedRequest from one requests-table row."""
    return RecordedRequest(
        id=row["id"],
        kind=row["kind"],
        protocol=row["protocol"],
        phone=row["phone"],
        details=row["details"],
        created_at=row["created_at"],
        status=row["status"],
        handled_at=row["handled_at"],
        handled_by=row["handled_by"],
    )
