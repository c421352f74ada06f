"""The outbox on SQLite and on a real Postgres: order per customer, one claim per row."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from outbox import FAILED, PENDING, SENT, Outbox, outbox_table
from records import RecordsStore
from replies import Option, Reply

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
ANA, BETO = "5511987650001", "5511987650002"


@pytest.fixture
def outbox(database_url):
    store = RecordsStore(database_url)
    yield Outbox(store.engine, sends_per_minute=3)
    store.dispose()


def texts(claimed) -> list[str]:
    return [item.reply.text for item in claimed]


def test_replies_round_trip_with_their_options(outbox):
    reply = Reply("Escolha:", options=(Option("1", "Sim", "d"),), style="buttons", alone=True)
    outbox.enqueue(ANA, "M-1", [reply], NOW)

    (claimed,) = outbox.claim(NOW)

    assert claimed.reply == reply and claimed.phone == ANA


def test_one_message_is_queued_once_even_if_handled_twice(outbox):
    assert outbox.enqueue(ANA, "M-1", [Reply("a"), Reply("b")], NOW)
    assert not outbox.enqueue(ANA, "M-1", [Reply("a"), Reply("b")], NOW)

    assert outbox.counts()[PENDING] == 2


def test_a_customer_gets_one_reply_at_a_time_in_order(outbox):
    outbox.enqueue(ANA, "M-1", [Reply("a1"), Reply("a2")], NOW)
    outbox.enqueue(BETO, "M-2", [Reply("b1")], NOW)

    first = outbox.claim(NOW, limit=10)
    assert sorted(texts(first)) == ["a1", "b1"]  # the heads of both lines, in parallel
    assert outbox.claim(NOW, limit=10) == []  # a2 waits for a1
    outbox.mark_sent(first[0].id, ["Z1"], NOW)
    outbox.mark_sent(first[1].id, ["Z2"], NOW)

    assert texts(outbox.claim(NOW, limit=10)) == ["a2"]


def test_sends_are_marked_sent_together_and_each_keeps_its_ids(outbox):
    outbox.enqueue(ANA, "M-1", [Reply("a1"), Reply("a2")], NOW)
    outbox.enqueue(BETO, "M-2", [Reply("b1")], NOW)
    first = outbox.claim(NOW, limit=10)

    outbox.mark_sent_many([(item.id, [f"Z-{item.phone}"]) for item in first], NOW)

    with outbox.engine.connect() as conn:
        rows = conn.execute(select(outbox_table.c.phone, outbox_table.c.sent_ids)).all()
    assert sorted(ids for _, ids in rows if ids) == [[f"Z-{ANA}"], [f"Z-{BETO}"]]
    assert outbox.counts()[SENT] == 2
    assert texts(outbox.claim(NOW, limit=10)) == ["a2"]  # Ana's line moved on


def test_a_reply_to_retry_keeps_its_place_at_the_head_of_the_line(outbox):
    outbox.enqueue(ANA, "M-1", [Reply("a1"), Reply("a2")], NOW)
    (first,) = outbox.claim(NOW)
    later = NOW + timedelta(seconds=30)

    outbox.retry_later(first.id, "HTTP 503", later)

    assert outbox.claim(NOW) == []  # not a2: a1 is still first, and not due yet
    (again,) = outbox.claim(later)
    assert again.reply.text == "a1" and again.attempts == 1


def test_a_failed_reply_lets_the_line_move_on_and_can_be_resent(outbox):
    outbox.enqueue(ANA, "M-1", [Reply("a1"), Reply("a2")], NOW)
    (first,) = outbox.claim(NOW)

    outbox.mark_failed(first.id, "HTTP 400: bad phone")

    assert texts(outbox.claim(NOW)) == ["a2"]
    assert [row.text for row in outbox.failed()] == ["a1"]
    assert outbox.resend_failed(NOW) == 1
    assert outbox.counts()[FAILED] == 0


def test_a_dead_senders_lease_expires_and_the_reply_is_claimed_again(outbox):
    outbox.enqueue(ANA, "M-1", [Reply("a1")], NOW)
    outbox.claim(NOW, lease_seconds=60)

    assert outbox.claim(NOW + timedelta(seconds=30)) == []
    assert texts(outbox.claim(NOW + timedelta(seconds=61))) == ["a1"]


def test_sends_per_phone_per_minute_are_bounded_and_wait(outbox):
    outbox.enqueue(ANA, "M-1", [Reply(f"a{n}") for n in range(5)], NOW)
    for _ in range(3):
        (item,) = outbox.claim(NOW)
        outbox.mark_sent(item.id, [], NOW)

    assert outbox.claim(NOW + timedelta(seconds=10)) == []  # 3 sent this minute: wait
    assert texts(outbox.claim(NOW + timedelta(seconds=61))) == ["a3"]


def test_concurrent_senders_never_claim_the_same_reply(outbox):
    for number in range(40):
        outbox.enqueue(f"55119876{number:05d}", f"M-{number}", [Reply(f"r{number}")], NOW)
    claimed: list[int] = []
    guard = threading.Lock()

    def sender() -> None:
        while batch := outbox.claim(NOW, limit=3):
            with guard:
                claimed.extend(item.id for item in batch)

    workers = [threading.Thread(target=sender) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)

    assert len(claimed) == 40 and len(set(claimed)) == 40


def test_retention_and_forgetting_remove_kept_replies(outbox):
    outbox.enqueue(ANA, "M-1", [Reply("a1")], NOW - timedelta(days=40))
    outbox.enqueue(BETO, "M-2", [Reply("b1")], NOW)
    (old,) = outbox.claim(NOW)
    outbox.mark_sent(old.id, [], NOW)

    assert outbox.purge_sent_before(NOW - timedelta(days=30)) == 1
    assert outbox.forget(BETO) == 1
    assert outbox.counts() == {PENDING: 0, "sending": 0, SENT: 0, FAILED: 0}
