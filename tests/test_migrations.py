"""The schema comes from Alembic migrations (migrations/), on SQLite and on Postgres."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Engine,
    Table,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError

from outbox import outbox_table
from records import (
    BASELINE_REVISION,
    RecordsStore,
    alembic_config,
    make_engine,
    metadata,
    migrate,
    protocols_table,
    requests_table,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC = Path(sys.executable).parent / "alembic"
NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
THEO_TABLES = {
    "outages",
    "outage_notices",
    "flow_runs",
    "protocols",
    "recorded_requests",
    "outbox",
    "identity_checks",
    "timers",
    "business_plans",
    "business_coverage_areas",
    "business_customers",
    "business_invoices",
}
# Columns revision 0004 added to a table that existed before.
ADDED_COLUMNS = {"recorded_requests": {"status", "handled_at", "handled_by"}}
# Indexes later revisions made on those tables (0009: the sender's due-reply index).
ADDED_INDEXES = {"outbox": {"ix_outbox_due"}}


def _create_as_made_before(engine: Engine, tables: list[Table]) -> None:
    """The tables as `metadata.create_all` made them before migrations (no later columns)."""
    metadata.create_all(engine, tables=tables)
    with engine.begin() as conn:
        for table in tables:
            for column in sorted(ADDED_COLUMNS.get(table.name, ())):
                conn.exec_driver_sql(f"ALTER TABLE {table.name} DROP COLUMN {column}")
            for index in sorted(ADDED_INDEXES.get(table.name, ())):
                conn.exec_driver_sql(f"DROP INDEX {index}")


# The tables `metadata.create_all` made before migrations existed.
BASELINE = [protocols_table, requests_table, outbox_table]
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database: nothing created yet."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _schema(engine: Engine) -> dict[str, Any]:
    """Everything the database says about Theo's tables, comparable with ==."""
    inspector = inspect(engine)
    schema = {}
    for table in sorted(THEO_TABLES & set(inspector.get_table_names())):
        columns = inspector.get_columns(table)
        schema[table] = {
            "columns": [{**column, "type": repr(column["type"])} for column in columns],
            "primary_key": inspector.get_pk_constraint(table),
            "unique": sorted(inspector.get_unique_constraints(table), key=repr),
            "indexes": sorted(inspector.get_indexes(table), key=lambda index: index["name"]),
            "foreign_keys": inspector.get_foreign_keys(table),
            "options": inspector.get_table_options(table),
        }
    return schema


def _outbox_row(**values: Any) -> dict[str, Any]:
    row = {
        "phone": "5511999990000",
        "source_id": "3EB0000000000001",
        "position": 0,
        "body": {"text": "Olá!"},
        "status": "pending",
        "next_attempt_at": NOW,
        "created_at": NOW,
    }
    return row | values


def test_fresh_database_ends_at_head_with_the_tables(engine: Engine) -> None:
    migrate(engine)

    assert _revision(engine) == HEAD
    assert _tables(engine) == THEO_TABLES | {"alembic_version"}
    with engine.begin() as conn:
        conn.execute(insert(outbox_table).values(**_outbox_row()))
        conn.execute(insert(outbox_table).values(**_outbox_row(position=1)))
    with pytest.raises(IntegrityError, match=r"(?i)unique"), engine.begin() as conn:
        conn.execute(insert(outbox_table).values(**_outbox_row()))


def test_records_store_migrates_its_database(database_url: str) -> None:
    store = RecordsStore(database_url)
    try:
        assert _revision(store.engine) == HEAD
        protocol = store.new_protocol("5511999990000", NOW)
        store.record("lead", protocol, "5511999990000", {"cep": "01001000"}, now=NOW)
        assert [r.details for r in store.requests_for_protocol(protocol)] == [{"cep": "01001000"}]
    finally:
        store.dispose()


def test_migrating_twice_changes_nothing(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(insert(outbox_table).values(**_outbox_row()))
    before = _schema(engine)

    migrate(engine)

    assert _revision(engine) == HEAD
    assert _schema(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(outbox_table)).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1


def test_database_made_by_create_all_is_adopted_with_its_rows(database_url: str) -> None:
    old = make_engine(database_url)
    _create_as_made_before(old, BASELINE)  # how Theo made its tables before migrations
    with old.begin() as conn:
        conn.execute(
            insert(protocols_table).values(protocol="20261124000001", phone="1", created_at=NOW)
        )
        conn.execute(
            insert(requests_table).values(
                kind="lead", protocol="20261124000001", phone="1", details={"a": 1}, created_at=NOW
            )
        )
        conn.execute(insert(outbox_table).values(**_outbox_row()))
    old.dispose()

    store = RecordsStore(database_url)
    try:
        assert _revision(store.engine) == HEAD
        assert [r.details for r in store.requests_for_protocol("20261124000001")] == [{"a": 1}]
        with store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(outbox_table)).scalar() == 1
        assert store.new_protocol("5511999990000", NOW).endswith("000002")
    finally:
        store.dispose()


def test_adoption_stamps_the_baseline_without_touching_the_tables(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    _create_as_made_before(engine, BASELINE)
    before = _schema(engine)
    caplog.set_level(logging.INFO)

    migrate(engine)

    assert f"stamping it at {BASELINE_REVISION}" in caplog.text
    assert "Running stamp_revision  -> 0001" in caplog.text
    assert _revision(engine) == HEAD
    after = _schema(engine)
    for table, made in before.items():  # later revisions only add
        added = ADDED_COLUMNS.get(table, set())
        kept = [c for c in after[table]["columns"] if c["name"] not in added]
        new_indexes = ADDED_INDEXES.get(table, set())
        indexes = [i for i in after[table]["indexes"] if i["name"] not in new_indexes]
        assert {**after[table], "columns": kept, "indexes": indexes} == made


def test_database_from_before_the_outbox_gets_the_outbox(engine: Engine) -> None:
    _create_as_made_before(engine, [protocols_table, requests_table])
    with engine.begin() as conn:
        conn.execute(
            insert(protocols_table).values(protocol="20261124000001", phone="1", created_at=NOW)
        )

    migrate(engine)

    assert _revision(engine) == HEAD
    assert _tables(engine) == THEO_TABLES | {"alembic_version"}
    with engine.connect() as conn:
        assert conn.execute(select(protocols_table.c.protocol)).scalars().all() == [
            "20261124000001"
        ]


def test_migrations_match_the_models(engine: Engine) -> None:
    migrate(engine)

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrations_make_the_schema_create_all_made(engine: Engine) -> None:
    """Same columns, types, keys, constraint and index names as before migrations."""
    metadata.create_all(engine)
    made_by_create_all = _schema(engine)
    metadata.drop_all(engine)

    migrate(engine)

    assert _schema(engine) == made_by_create_all
    if engine.dialect.name == "sqlite":  # ids never reused: AUTOINCREMENT on every table
        with engine.connect() as conn:
            ddl = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
            autoincrement = {name for name, sql in ddl if "AUTOINCREMENT" in sql}
        assert autoincrement == THEO_TABLES


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert _tables(engine) <= {"alembic_version"}

    migrate(engine)
    assert _revision(engine) == HEAD
    assert _tables(engine) == THEO_TABLES | {"alembic_version"}


CHILD_SCRIPT = """
import sys, time
from records import make_engine, migrate
engine = make_engine(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
migrate(engine)
engine.dispose()
"""


def test_processes_migrating_at_once_do_not_collide(database_url: str, tmp_path: Path) -> None:
    start = time.time() + 2  # all of them past their imports, then migrating together
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD_SCRIPT, database_url, str(start)],
            cwd=tmp_path,  # not the repo: the migrations are found from records.py
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [child.communicate(timeout=60) for child in children]

    assert [child.returncode for child in children] == [0] * 4, [err for _, err in outputs]
    engine = make_engine(database_url)
    try:
        assert _revision(engine) == HEAD
        assert _tables(engine) == THEO_TABLES | {"alembic_version"}
    finally:
        engine.dispose()


def test_alembic_command_line_uses_database_url(database_url: str, tmp_path: Path) -> None:
    def alembic(*args: str) -> str:
        done = subprocess.run(
            [str(ALEMBIC), "-c", str(REPO_ROOT / "alembic.ini"), *args],
            cwd=tmp_path,
            env={"PATH": os.environ.get("PATH", ""), "DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    alembic("upgrade", "head")

    assert f"{HEAD} (head)" in alembic("current")
    engine = make_engine(database_url)
    try:
        assert _tables(engine) == THEO_TABLES | {"alembic_version"}
    finally:
        engine.dispose()
