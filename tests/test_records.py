"""Tests for records.py against SQLite (a temp file) and the real Postgres."""

from __future__ import annotations

import logging
import os
import re
import stat
import subprocess
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import StatementError

import records
from records import (
    REQUEST_KINDS,
    RecordsStore,
    normalize_database_url,
    protocols_table,
    requests_table,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=timezone(timedelta(hours=-3)))
PROTOCOL_RE = re.compile(r"^20261124\d{6,}$")


def _many_protocols(store: RecordsStore, count: int) -> list[str]:
    return [store.new_protocol(f"55119{n:08d}", NOW) for n in range(count)]


def test_protocol_has_date_and_six_digit_sequence(store: RecordsStore) -> None:
    first = store.new_protocol("5511999990000", NOW)
    second = store.new_protocol("5511999990000", NOW)

    assert re.fullmatch(r"20261124\d{6}", first)
    assert int(second[8:]) > int(first[8:])


def test_protocol_date_follows_now(store: RecordsStore) -> None:
    assert store.new_protocol("5511999990000", datetime(2027, 1, 2, 9, 0, tzinfo=UTC)).startswith(
        "20270102"
    )


def test_protocols_unique_across_threads(store: RecordsStore) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(lambda _: _many_protocols(store, 50), range(8)))

    protocols = [p for batch in batches for p in batch]
    assert len(protocols) == 400
    assert len(set(protocols)) == 400
    assert all(PROTOCOL_RE.fullmatch(p) for p in protocols)


def test_protocols_unique_across_two_stores(database_url: str) -> None:
    first, second = RecordsStore(database_url), RecordsStore(database_url)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(_many_protocols, s, 50) for s in (first, second) * 4]
            protocols = [p for f in futures for p in f.result()]
    finally:
        first.dispose()
        second.dispose()

    assert len(protocols) == 400
    assert len(set(protocols)) == 400


CHILD_SCRIPT = """
import sys
from datetime import datetime, timezone
from records import RecordsStore
store = RecordsStore(sys.argv[1])
now = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)
print("\\n".join(store.new_protocol("5511999990000", now) for _ in range(50)))
store.dispose()
"""


def test_protocols_unique_across_real_processes(database_url: str) -> None:
    RecordsStore(database_url).dispose()  # tables exist before the children race
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD_SCRIPT, database_url],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [child.communicate(timeout=60) for child in children]

    assert [child.returncode for child in children] == [0, 0, 0], [err for _, err in outputs]
    protocols = [line for out, _ in outputs for line in out.split()]
    assert len(protocols) == 150
    assert len(set(protocols)) == 150


def test_sqlite_file_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "theo.sqlite3"
    before = RecordsStore(None, default_sqlite_path=path)
    protocol = before.new_protocol("5511999990000", NOW)
    before.record("lead", protocol, "5511999990000", {"cep": "01001000"}, now=NOW)
    before.dispose()

    after = RecordsStore("", default_sqlite_path=path)
    try:
        assert path.exists()
        assert [r.details for r in after.requests_for_protocol(protocol)] == [{"cep": "01001000"}]
        assert int(after.new_protocol("5511999990000", NOW)[8:]) > int(protocol[8:])
    finally:
        after.dispose()


def test_record_and_read_back_unicode(store: RecordsStore) -> None:
    protocol = store.new_protocol("5511988887777", NOW)
    details = {
        "nome": "João Conceição",
        "problema": "sem internet desde às 14h — luz LOS vermelha 🔴",
        "passos": ["modem reiniciado", "cabo óptico conferido"],
        "periodo": "manhã",
    }

    recorded = store.record("visit", protocol, "5511988887777", details, now=NOW)
    [read] = store.requests_for_protocol(protocol)

    assert read == recorded
    assert read.kind == "visit"
    assert read.phone == "5511988887777"
    assert read.details == details
    assert read.created_at == NOW
    assert read.created_at.tzinfo is not None


def test_requests_for_protocol_keeps_order_and_separates_protocols(store: RecordsStore) -> None:
    mine = store.new_protocol("5511911112222", NOW)
    other = store.new_protocol("5511933334444", NOW)
    store.record("ticket", mine, "5511911112222", {"texto": "primeiro"})
    store.record("lead", other, "5511933334444", {"texto": "outro"})
    store.record("handoff", mine, "5511911112222", {"texto": "segundo"})

    assert [r.kind for r in store.requests_for_protocol(mine)] == ["ticket", "handoff"]
    assert store.requests_for_protocol("20000101000000") == []


def test_recent_requests_newest_first_with_limit(store: RecordsStore) -> None:
    protocol = store.new_protocol("5511911112222", NOW)
    for n in range(5):
        store.record("coverage_interest", protocol, "5511911112222", {"n": n})

    recent = store.recent_requests(limit=3)

    assert [r.details["n"] for r in recent] == [4, 3, 2]


def test_record_defaults_created_at_to_now(store: RecordsStore) -> None:
    before = datetime.now(UTC)
    recorded = store.record("cancellation", "20261124000001", "5511900000000", {})

    assert before - timedelta(seconds=1) <= recorded.created_at <= datetime.now(UTC)
    assert store.requests_for_protocol("20261124000001")[0].created_at == recorded.created_at


@pytest.mark.parametrize("kind", REQUEST_KINDS)
def test_every_known_kind_is_accepted(store: RecordsStore, kind: str) -> None:
    assert store.record(kind, "20261124000001", "5511900000000", {}).kind == kind


def test_unknown_kind_rejected(store: RecordsStore) -> None:
    with pytest.raises(ValueError, match="unknown request kind 'refund'"):
        store.record("refund", "20261124000001", "5511900000000", {})

    assert store.recent_requests() == []


def test_ping(store: RecordsStore) -> None:
    assert store.ping() is True


def test_ping_false_when_database_unreachable(tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    store = RecordsStore(None, default_sqlite_path=folder / "theo.sqlite3")
    store.dispose()
    (folder / "theo.sqlite3").unlink()
    folder.rmdir()  # SQLite cannot create a file in a missing folder

    assert store.ping() is False


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@host:5432/db", "postgresql+psycopg://u:p@host:5432/db"),
        (
            "postgresql://u:p@host/db?sslmode=require",
            "postgresql+psycopg://u:p@host/db?sslmode=require",
        ),
        ("postgresql+psycopg://u@host/db", "postgresql+psycopg://u@host/db"),
        ("sqlite:///instance/theo.sqlite3", "sqlite:///instance/theo.sqlite3"),
    ],
)
def test_normalize_database_url(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


def test_postgres_scheme_url_connects_with_psycopg(postgres_url: str) -> None:
    heroku_style = postgres_url.replace("postgresql+psycopg://", "postgres://", 1)
    store = RecordsStore(heroku_style)
    try:
        assert store.engine.url.drivername == "postgresql+psycopg"
        assert PROTOCOL_RE.fullmatch(store.new_protocol("5511999990000", NOW))
    finally:
        store.dispose()


# --- What a database error and a database file let out -------------------------------------
CPF = "52998224725"


def _duplicate_protocol(store: RecordsStore) -> None:
    """An IntegrityError whose parameters hold a CPF and a name."""
    protocol = store.new_protocol("5511999990000", NOW)
    with store.engine.begin() as conn:
        conn.execute(
            insert(protocols_table).values(
                protocol=protocol, phone=f"{CPF} Maria Aparecida", created_at=NOW
            )
        )


def _unsendable_value(store: RecordsStore) -> None:
    """A DataError/ProgrammingError (a value the database refuses) next to a CPF and a name."""
    private = f"{CPF} Maria Aparecida"
    # SQLite takes text of any length but no list; Postgres turns a list into an array.
    phone = [private] if store.engine.dialect.name == "sqlite" else private * 3
    with store.engine.begin() as conn:
        conn.execute(
            insert(requests_table).values(
                kind="ticket", protocol="20261124000001", phone=phone, details={}, created_at=NOW
            )
        )


@pytest.mark.parametrize("fail", [_duplicate_protocol, _unsendable_value])
def test_a_database_error_never_shows_its_parameters(
    store: RecordsStore, fail, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(StatementError) as caught:
        fail(store)
    logging.getLogger("theo.test_records").error("storing failed", exc_info=caught.value)

    shown = "".join(traceback.format_exception(caught.value)) + caplog.text
    assert "parameters hidden" in str(caught.value)
    assert CPF not in shown and "Maria Aparecida" not in shown


def test_a_new_sqlite_file_and_its_folder_are_private(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "theo.sqlite3"
    previous = os.umask(0o022)  # the usual umask, which would make the file 0644
    try:
        store = RecordsStore(None, default_sqlite_path=path)
        store.new_protocol("5511999990000", NOW)
    finally:
        os.umask(previous)

    try:
        files = [path, *path.parent.glob("theo.sqlite3-*")]  # the WAL and its index too
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == dict.fromkeys(
            (f.name for f in files), 0o600
        )
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    finally:
        store.dispose()


def test_a_sqlite_url_file_is_private_and_an_old_one_is_tightened(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    fresh, old = shared / "fresh.sqlite3", shared / "old.sqlite3"
    old.touch()
    old.chmod(0o644)

    for store in (RecordsStore(f"sqlite:///{fresh}"), RecordsStore(f"sqlite:///{old}")):
        store.dispose()

    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755  # a folder Theo did not make is left


def test_theo_s_own_instance_folder_is_tightened_even_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    instance.chmod(0o755)  # as older versions left it
    monkeypatch.setattr(records, "INSTANCE_FOLDER", instance.resolve())

    RecordsStore(None, default_sqlite_path=instance / "theo.sqlite3").dispose()

    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
