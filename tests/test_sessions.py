"""The in-memory session store: expiry, bounds, copies, per-phone locks."""

from __future__ import annotations

import threading

import pytest

from dedup import SeenMessages
from sessions import InMemorySessionStore, PhoneLocks, Session


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_saved_session_is_returned_as_a_copy():
    store = InMemorySessionStore(60, clock=Clock())
    store.save("5511", Session("main_menu", {"protocol": "1"}))

    session = store.get("5511")
    session.data["protocol"] = "changed"

    assert store.get("5511").data == {"protocol": "1"}


def test_session_expires_after_ttl_and_is_evicted():
    clock = Clock()
    store = InMemorySessionStore(60, clock=clock)
    store.save("5511", Session("main_menu"))

    clock.now += 59
    assert store.get("5511") is not None
    clock.now += 60
    assert store.get("5511") is None
    assert len(store) == 0


def test_expired_sessions_are_swept_on_write_so_memory_stays_bounded():
    clock = Clock()
    store = InMemorySessionStore(60, clock=clock)
    for number in range(100):
        store.save(f"phone-{number}", Session("main_menu"))
    clock.now += 61

    store.save("new", Session("main_menu"))

    assert len(store) == 1


def test_least_recently_active_sessions_go_first_past_the_bound():
    store = InMemorySessionStore(60, max_sessions=3, clock=Clock())
    for phone in ("a", "b", "c"):
        store.save(phone, Session("main_menu"))
    store.save("a", Session("boleto_document"))

    store.save("d", Session("main_menu"))

    assert store.get("b") is None
    assert store.get("a").state == "boleto_document"
    assert len(store) == 3


def test_drop_forgets_the_conversation():
    store = InMemorySessionStore(60, clock=Clock())
    store.save("5511", Session("main_menu"))

    store.drop("5511")

    assert store.get("5511") is None


def test_ttl_must_be_positive():
    with pytest.raises(ValueError):
        InMemorySessionStore(0)


def test_phone_locks_serialise_one_phone_and_clean_up():
    locks = PhoneLocks()
    order = []
    entered = threading.Event()
    release = threading.Event()

    def first():
        with locks.hold("5511"):
            entered.set()
            release.wait(5)
            order.append("first")

    def second():
        entered.wait(5)
        with locks.hold("5511"):
            order.append("second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    entered.wait(5)
    with locks.hold("other-phone"):  # another customer is not blocked
        order.append("other")
    release.set()
    for thread in threads:
        thread.join(5)

    assert order == ["other", "first", "second"]
    assert len(locks) == 0


def test_seen_messages_first_time_only_and_bounded():
    clock = Clock()
    seen = SeenMessages(ttl_seconds=60, max_ids=3, clock=clock)

    assert seen.first_time("a") is True
    assert seen.first_time("a") is False
    for message_id in ("b", "c", "d"):
        seen.first_time(message_id)
    assert seen.first_time("a") is True  # evicted by the bound

    clock.now += 61
    assert seen.first_time("d") is True  # forgotten after the ttl


def test_seen_messages_forget_allows_a_retry():
    seen = SeenMessages()
    seen.first_time("x")

    seen.forget("x")

    assert seen.first_time("x") is True
