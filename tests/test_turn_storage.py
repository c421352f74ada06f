"""A turn's writes are stored whole or not at all, with one commit (SQLite and Postgres);
SQLite writers in one process take turns on a lock instead of SQLite's busy wait."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

import records
from conftest import WEBHOOK_PATH
from outbox import PENDING, Outbox
from records import RecordsStore
from replies import Reply
from timers import EXPIRY, Timer, TimerStore
from transactions import one_commit

NOW = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
ANA = "5511987650001"


def test_writes_of_one_turn_are_read_back_inside_it_and_kept_together(store):
    outbox, timers = Outbox(store.engine), TimerStore(store.engine)
    with one_commit(store.engine):
        request = store.record("visit", "P-1", ANA, {"periodo": "manhã"}, NOW)
        outbox.enqueue(ANA, "M-1", [Reply("Visita pedida")], NOW)
        timers.replace(ANA, [Timer(EXPIRY, NOW, "P-1", "1.0")])
        # Reads inside the turn see what it wrote, before the commit.
        assert [r.id for r in store.requests_for_protocol("P-1")] == [request.id]

    assert [r.kind for r in store.requests_for_protocol("P-1")] == ["visit"]
    assert outbox.counts()[PENDING] == 1
    assert [t.kind for t in timers.pending(ANA)] == [EXPIRY]


def test_a_turn_that_fails_keeps_none_of_its_writes(store):
    outbox, timers = Outbox(store.engine), TimerStore(store.engine)
    with pytest.raises(RuntimeError), one_commit(store.engine):
        store.record("visit", "P-1", ANA, {}, NOW)
        outbox.enqueue(ANA, "M-1", [Reply("Visita pedida")], NOW)
        timers.replace(ANA, [Timer(EXPIRY, NOW, "P-1", "1.0")])
        raise RuntimeError("the turn broke half-way")

    assert store.requests_for_protocol("P-1") == []
    assert outbox.counts()[PENDING] == 0
    assert timers.pending(ANA) == []


def test_replies_queued_already_do_not_spoil_the_rest_of_the_turn(store):
    # On Postgres a failed INSERT would abort the whole transaction; ON CONFLICT skips it.
    outbox = Outbox(store.engine)
    outbox.enqueue(ANA, "M-1", [Reply("a")], NOW)
    with one_commit(store.engine):
        assert not outbox.enqueue(ANA, "M-1", [Reply("a")], NOW)
        store.record("ticket", "P-2", ANA, {}, NOW)

    assert [r.kind for r in store.requests_for_protocol("P-2")] == ["ticket"]
    assert outbox.counts()[PENDING] == 1


def test_a_turn_that_cannot_be_stored_is_answered_503_and_redone_whole(chat, app, monkeypatch):
    chat.say("oi")
    chat.say("2")  # the support menu
    before = chat.state()
    theo = app.extensions["theo"]
    queued = theo.outbox.counts()

    def broken(*args, **kwargs):
        raise OperationalError("INSERT INTO timers", {}, Exception("disk I/O error"))

    with monkeypatch.context() as patch:
        patch.setattr(TimerStore, "replace", broken)
        body = chat.payload("1")  # no internet
        response = chat.client.post(WEBHOOK_PATH, json=body)
        assert response.status_code == 503
        assert response.get_json()["error"] == "storage_unavailable"

    assert chat.state() == before  # the conversation did not move on
    assert theo.outbox.counts() == queued  # and no reply of that turn was kept
    assert chat.zapi.take() == []

    # Z-API delivers the same message again: now it is handled, once.
    assert chat.post(body)
    assert chat.state() != before


def test_sqlite_writers_in_one_process_never_meet_sqlites_busy_wait(tmp_path: Path, monkeypatch):
    # With SQLite's patience at zero, two connections writing at once fail with "database
    # is locked" unless the process makes its writers take turns.
    monkeypatch.setattr(records, "SQLITE_BUSY_TIMEOUT_MS", 0)
    store = RecordsStore(None, default_sqlite_path=tmp_path / "theo.sqlite3")
    outbox = Outbox(store.engine)
    failures: list[Exception] = []

    def write(worker: int) -> None:
        try:
            for index in range(60):
                with one_commit(store.engine):
                    store.record("ticket", f"P-{worker}", ANA, {"n": index}, NOW)
                    outbox.enqueue(ANA, f"M-{worker}-{index}", [Reply("ok")], NOW)
        except Exception as error:  # reported below, with the others
            failures.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert failures == []
    assert outbox.counts()[PENDING] == 240
    assert all(len(store.requests_for_protocol(f"P-{w}")) == 60 for w in range(4))
    store.dispose()
