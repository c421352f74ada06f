"""LGPD commands: the retention purge and the deletion of one customer's data."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import manage
from outbox import Outbox
from records import RecordsStore
from replies import Reply

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
MARIA = "5511987650001"
ANA = "5511955550005"


def fill(store: RecordsStore) -> dict[str, str]:
    """Two customers, old and recent requests; returns their protocols."""
    old = store.new_protocol(MARIA, NOW - timedelta(days=200))
    store.record("lead", old, MARIA, {"name": "Maria", "cep": "01310100"}, now=NOW - timedelta(200))
    recent = store.new_protocol(MARIA, NOW - timedelta(days=2))
    store.record("visit", recent, MARIA, {"customer": "CLI-000123"}, now=NOW - timedelta(days=2))
    other = store.new_protocol(ANA, NOW - timedelta(days=1))
    store.record("handoff", other, ANA, {"within_hours": True}, now=NOW - timedelta(days=1))
    return {"old": old, "recent": recent, "other": other}


def test_purge_deletes_only_what_is_older_than_the_retention(store):
    protocols = fill(store)

    deleted = store.purge_older_than(180, now=NOW)

    assert deleted == {"requests": 1, "protocols": 1}
    assert store.requests_for_protocol(protocols["old"]) == []
    assert len(store.requests_for_protocol(protocols["recent"])) == 1
    assert len(store.requests_for_protocol(protocols["other"])) == 1


def test_purge_refuses_a_non_positive_retention(store):
    with pytest.raises(ValueError):
        store.purge_older_than(0)


def test_forget_deletes_every_request_and_protocol_of_a_phone(store):
    protocols = fill(store)

    deleted = store.forget_customer(MARIA)

    assert deleted == {"requests": 2, "protocols": 2}
    assert store.requests_for_protocol(protocols["recent"]) == []
    assert [r.phone for r in store.recent_requests()] == [ANA]


def test_forget_by_customer_id_reaches_requests_made_from_another_phone(store):
    fill(store)
    elsewhere = store.new_protocol(ANA, NOW)
    store.record("cancellation", elsewhere, ANA, {"customer": "CLI-000123", "reason": ""}, now=NOW)

    deleted = store.forget_customer(MARIA, "CLI-000123")

    assert deleted == {"requests": 3, "protocols": 3}
    assert [r.kind for r in store.recent_requests()] == ["handoff"]


# --- The command line -----------------------------------------------------------------
@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    """manage.py's settings: console mode, SQLite in a temp folder, no .env from the repo."""
    for name in ("ZAPI_INSTANCE_ID", "ZAPI_TOKEN", "DATABASE_URL", "RECORDS_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(manage, "load_dotenv", lambda: None)
    path = tmp_path / "theo.sqlite3"
    monkeypatch.setenv("SQLITE_PATH", str(path))
    return path


def test_purge_records_command_uses_the_retention_setting(cli_env, monkeypatch, capsys):
    store = RecordsStore(default_sqlite_path=cli_env)
    fill(store)
    store.dispose()
    monkeypatch.setenv("RECORDS_RETENTION_DAYS", "30")

    assert manage.main(["purge-records"]) == 0

    out = capsys.readouterr().out
    assert "Retenção de 30 dias" in out
    assert "1 solicitação(ões), 1 protocolo(s) e 0 resposta(s) enviada(s) removidos" in out


def test_forget_customer_command_accepts_a_formatted_phone_and_a_document(cli_env, capsys):
    store = RecordsStore(default_sqlite_path=cli_env)
    fill(store)

    code = manage.main(
        ["forget-customer", "--phone", "+55 (11) 98765-0001", "--document", "529.982.247-25"]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "5511*****0001" in out and MARIA not in out
    assert "2 solicitação(ões), 2 protocolo(s) e 0 resposta(s)" in out
    assert [r.phone for r in store.recent_requests()] == [ANA]
    store.dispose()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["purge-records", "--days", "0"], "--days deve ser maior que zero"),
        (["forget-customer", "--phone", " () "], "--phone não pode ficar vazio"),
    ],
)
def test_bad_arguments_are_refused_in_ptbr(cli_env, capsys, argv, message):
    assert manage.main(argv) == 2
    assert message in capsys.readouterr().err


def test_an_invalid_document_stops_the_command(cli_env, capsys):
    assert manage.main(["forget-customer", "--phone", MARIA, "--document", "123"]) == 2
    assert "Documento inválido" in capsys.readouterr().err


def test_an_unknown_document_is_reported(cli_env, capsys):
    manage.main(["forget-customer", "--phone", MARIA, "--document", "123.456.789-09"])

    assert "não é de nenhum cliente" in capsys.readouterr().out


def test_a_bad_configuration_is_reported_not_raised(cli_env, monkeypatch, capsys):
    monkeypatch.setenv("ZAPI_INSTANCE_ID", "INST")
    monkeypatch.setenv("ZAPI_TOKEN", "TOKEN")
    monkeypatch.setenv("WEBHOOK_SECRET", "")

    assert manage.main(["purge-records"]) == 2
    assert "WEBHOOK_SECRET" in capsys.readouterr().err


def test_the_script_runs_as_a_command(cli_env):
    env = {**os.environ, "SQLITE_PATH": str(cli_env)}

    done = subprocess.run(
        [sys.executable, "manage.py", "purge-records"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert "Retenção de 180 dias" in done.stdout


def test_failed_replies_are_listed_and_queued_again(tmp_path, capsys, monkeypatch):
    """`manage.py failed` lists what Z-API refused (phone masked); `resend-failed` requeues it."""
    monkeypatch.setenv("SQLITE_PATH", str(tmp_path / "theo.sqlite3"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = RecordsStore(None, default_sqlite_path=tmp_path / "theo.sqlite3")
    outbox = Outbox(store.engine)
    now = datetime.now(UTC)
    outbox.enqueue("5511987650001", "M-1", [Reply("Olá!")], now)
    (row,) = outbox.claim(now)
    outbox.mark_failed(row.id, "Z-API send-text: HTTP 400: phone not found")
    store.dispose()

    assert manage.main(["failed"]) == 0
    listed = capsys.readouterr().out
    assert "1 resposta(s) com falha" in listed and "phone not found" in listed
    assert "5511987650001" not in listed
    assert manage.main(["resend-failed"]) == 0
    assert "1 resposta(s) de volta na fila" in capsys.readouterr().out
    assert manage.main(["failed"]) == 0
    assert "Nenhuma resposta com falha" in capsys.readouterr().out
