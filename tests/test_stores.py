"""One contract for the session and message-id stores, in memory and in Redis.

The same tests run against both implementations; the Redis ones use the real
server on loopback under a key prefix of their own, deleted afterwards.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass

import pytest
import redis

from dedup import SeenMessages
from redis_store import (
    RedisSeenMessages,
    RedisSessionStore,
    SessionLockTimeout,
    connect,
)
from sessions import InMemorySessionStore, Session

REDIS_URL = os.environ.get("THEO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no'
)
PHONE = "5511987650001"
OTHER_PHONE = "5511955550009"


class Clock:
    """Seconds moved by hand, for the in-memory stores."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Backend:
    """How to build a store of one kind, and how to let time pass for it."""

    kind: str
    sessions: Callable[..., RedisSessionStore | InMemorySessionStore]
    seen: Callable[..., RedisSeenMessages | SeenMessages]
    pass_time: Callable[[float], None]
    client: redis.Redis | None = None


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    try:
        client = connect(REDIS_URL)
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        if os.environ.get("THEO_SKIP_REDIS") == "1":
            pytest.skip(f"Redis unreachable and THEO_SKIP_REDIS=1: {exc}")
        pytest.fail(
            f"Redis unreachable at {REDIS_URL}: start it with `{START_REDIS}` "
            "(or set THEO_SKIP_REDIS=1 to skip)"
        )
    prefix = f"theo-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """The in-memory stores on a hand-moved clock, or the Redis ones on real time."""
    if request.param == "memory":
        clock = Clock()

        def advance(seconds: float) -> None:
            clock.now += seconds

        return Backend(
            "memory",
            sessions=lambda ttl=60, **kw: InMemorySessionStore(ttl, clock=clock, **kw),
            seen=lambda processing_ttl=120: SeenMessages(
                clock=clock, processing_ttl=processing_ttl
            ),
            pass_time=advance,
        )
    prefix = request.getfixturevalue("redis_prefix")
    client = connect(REDIS_URL)
    request.addfinalizer(client.close)
    return Backend(
        "redis",
        sessions=lambda ttl=60, **kw: RedisSessionStore(client, ttl, prefix=prefix, **kw),
        seen=lambda processing_ttl=120: RedisSeenMessages(
            client, prefix=f"{prefix}msg:", processing_ttl=processing_ttl
        ),
        pass_time=time.sleep,
        client=client,
    )


# --- Sessions -------------------------------------------------------------------------------
def test_saved_session_comes_back_whole(backend):
    store = backend.sessions()
    data = {"protocol": "1", "tries": 2, "seen": [1, "a"], "nome": "João", "nothing": None}
    session = Session("boleto_document", data, ttl=45.5, version="flows-3")

    store.save(PHONE, session)

    assert session.updated_at > 0
    assert store.get(PHONE) == session
    assert store.get(OTHER_PHONE) is None


def test_returned_sessions_are_copies(backend):
    store = backend.sessions()
    session = Session("main_menu", {"protocol": "1"})
    store.save(PHONE, session)

    session.data["protocol"] = "changed after save"
    returned = store.get(PHONE)
    returned.data["protocol"] = "changed after get"

    assert store.get(PHONE).data == {"protocol": "1"}


def test_drop_forgets_the_conversation(backend):
    store = backend.sessions()
    store.save(PHONE, Session("main_menu"))
    store.save(OTHER_PHONE, Session("main_menu"))

    store.drop(PHONE)
    store.drop("never-seen")

    assert store.get(PHONE) is None
    assert store.get(OTHER_PHONE) is not None


def test_session_expires_after_the_default_ttl(backend):
    store = backend.sessions(ttl=0.5)
    store.save(PHONE, Session("main_menu"))
    assert store.get(PHONE) is not None

    backend.pass_time(0.6)

    assert store.get(PHONE) is None


def test_a_session_own_ttl_overrides_the_default(backend):
    store = backend.sessions(ttl=60)
    store.save(PHONE, Session("human_handoff", ttl=0.5))
    short_default = backend.sessions(ttl=0.5)
    short_default.save(OTHER_PHONE, Session("main_menu", ttl=60))

    backend.pass_time(0.6)

    assert store.get(PHONE) is None
    assert short_default.get(OTHER_PHONE) is not None


def test_saving_again_renews_the_expiry(backend):
    store = backend.sessions(ttl=0.8)
    store.save(PHONE, Session("main_menu"))
    backend.pass_time(0.5)

    store.save(PHONE, store.get(PHONE))
    backend.pass_time(0.5)

    assert store.get(PHONE) is not None


def test_the_lock_serialises_one_phone_and_not_another(backend):
    store = backend.sessions()
    order: list[str] = []
    entered = threading.Event()
    release = threading.Event()

    def first() -> None:
        with store.lock(PHONE):
            entered.set()
            release.wait(5)
            order.append("first")

    def second() -> None:
        entered.wait(5)
        with store.lock(PHONE):
            order.append("second")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert entered.wait(5)
    with store.lock(OTHER_PHONE):  # another customer is not blocked
        order.append("other")
    release.set()
    for thread in threads:
        thread.join(5)

    assert order == ["other", "first", "second"]


# --- Sessions in Redis only ---------------------------------------------------------------
@pytest.fixture
def redis_client(redis_prefix: str) -> Iterator[redis.Redis]:
    client = connect(REDIS_URL)
    yield client
    client.close()


def test_redis_key_expiry_is_the_session_ttl(redis_client, redis_prefix):
    store = RedisSessionStore(redis_client, 1800, prefix=redis_prefix)
    store.save(PHONE, Session("main_menu"))
    store.save(OTHER_PHONE, Session("human_handoff", ttl=7200))

    keys = list(redis_client.scan_iter(match=f"{redis_prefix}session:*"))
    ttls = sorted(redis_client.pttl(key) for key in keys)

    assert len(keys) == 2
    assert not any(PHONE in key or OTHER_PHONE in key for key in keys)
    assert 1_795_000 < ttls[0] <= 1_800_000
    assert 7_195_000 < ttls[1] <= 7_200_000


@pytest.fixture
def two_workers(redis_prefix: str) -> Iterator[tuple[RedisSessionStore, RedisSessionStore]]:
    """Two stores on separate connections to the same Redis, like two gunicorn workers."""
    with closing(connect(REDIS_URL)) as first, closing(connect(REDIS_URL)) as second:
        yield (
            RedisSessionStore(first, 60, prefix=redis_prefix),
            RedisSessionStore(second, 60, prefix=redis_prefix, lock_wait=0.3),
        )


def test_two_redis_stores_share_sessions(two_workers):
    one, two = two_workers

    one.save(PHONE, Session("boleto_document", {"protocol": "7"}))
    assert two.get(PHONE).data == {"protocol": "7"}
    two.drop(PHONE)

    assert one.get(PHONE) is None


def test_two_redis_stores_share_locks(two_workers):
    one, two = two_workers

    with one.lock(PHONE):
        with pytest.raises(SessionLockTimeout, match="still locked by another worker") as caught:
            two.lock(PHONE).__enter__()
        with two.lock(OTHER_PHONE):  # another customer is not blocked
            pass
    with two.lock(PHONE):  # free again once released
        pass

    assert PHONE not in str(caught.value)


def test_a_lock_held_past_its_timeout_is_freed(redis_client, redis_prefix, caplog):
    """A worker that dies holding the lock blocks its customer for lock_timeout at most."""
    store = RedisSessionStore(redis_client, 60, prefix=redis_prefix, lock_timeout=0.3)

    with store.lock(PHONE):
        time.sleep(0.4)
        with store.lock(PHONE):  # expired: another worker may go on
            pass

    assert "expired before release" in caplog.text  # logged, not raised: the work is done


def test_stored_sessions_survive_new_and_removed_fields(redis_client, redis_prefix):
    """A session saved by an older or newer Theo still loads: unknown fields are ignored."""
    store = RedisSessionStore(redis_client, 60, prefix=redis_prefix)
    store.save(PHONE, Session("main_menu"))
    key = next(iter(redis_client.scan_iter(match=f"{redis_prefix}session:*")))
    newer = {"state": "main_menu", "data": {"a": 1}, "updated_at": time.time(), "mood": "x"}
    redis_client.set(key, json.dumps(newer), px=60_000)
    assert store.get(PHONE) == Session("main_menu", {"a": 1}, newer["updated_at"])

    older = {"state": "main_menu", "updated_at": time.time()}  # no data, ttl, version yet
    redis_client.set(key, json.dumps(older), px=60_000)
    assert store.get(PHONE) == Session("main_menu", {}, older["updated_at"], None)

    redis_client.set(key, "{not json", px=60_000)
    assert store.get(PHONE) is None


# --- Message ids ----------------------------------------------------------------------------
def test_a_claimed_message_cannot_be_claimed_again(backend):
    seen = backend.seen()

    assert seen.claim("m1") is True
    assert seen.claim("m1") is False
    assert "m1" in seen
    assert seen.claim("m2") is True


def test_a_released_claim_lets_the_redelivery_through(backend):
    seen = backend.seen()
    seen.claim("m1")

    seen.release("m1")

    assert "m1" not in seen
    assert seen.claim("m1") is True


def test_a_done_message_stays_done_even_if_released(backend):
    seen = backend.seen()
    seen.claim("m1")
    seen.done("m1")

    seen.release("m1")

    assert seen.claim("m1") is False
    assert seen.first_time("m1") is False


def test_an_abandoned_claim_expires(backend):
    seen = backend.seen(processing_ttl=1)
    seen.claim("crashed")
    seen.claim("finished")
    seen.done("finished")

    backend.pass_time(1.1)

    assert seen.claim("crashed") is True
    assert seen.claim("finished") is False


def test_first_time_add_and_forget(backend):
    seen = backend.seen()

    assert seen.first_time("m1") is True
    assert seen.first_time("m1") is False
    seen.add("sent-by-theo")
    assert "sent-by-theo" in seen
    assert seen.claim("sent-by-theo") is False
    seen.forget("m1")
    assert "m1" not in seen
    assert seen.first_time("m1") is True


def test_redis_marks_expire_by_their_own_ttl(redis_client, redis_prefix):
    seen = RedisSeenMessages(redis_client, prefix=redis_prefix, processing_ttl=120)
    seen.claim("m1")
    assert 110 < redis_client.ttl(f"{redis_prefix}m1") <= 120

    seen.done("m1")

    assert redis_client.get(f"{redis_prefix}m1") == "done"
    assert 3590 < redis_client.ttl(f"{redis_prefix}m1") <= 3600


# --- Conversations a person attends (the ops handoffs list) ----------------------------------
def test_attended_lists_the_human_sessions_with_their_phones(backend):
    store = backend.sessions(ttl=60)
    store.save("5511900000001", Session(state="human", data={"protocol": "P1"}))
    store.save("5511900000002", Session(state="main_menu"))
    store.save("5511900000003", Session(state="human", data={"protocol": "P3"}))

    listed = {phone: session.data["protocol"] for phone, session in store.attended()}

    assert listed == {"5511900000001": "P1", "5511900000003": "P3"}


def test_attended_forgets_sessions_handed_back_dropped_or_expired(backend):
    store = backend.sessions(ttl=60)
    store.save("5511900000001", Session(state="human"))
    store.save("5511900000002", Session(state="human"))
    store.save("5511900000003", Session(state="human", ttl=1))

    store.save("5511900000001", Session(state="main_menu"))  # handed back to Theo
    store.drop("5511900000002")
    backend.pass_time(1.2)

    assert store.attended() == []
    if backend.client is not None:  # the index is swept too, not only filtered
        assert backend.client.hlen(f"{store.prefix}attended") == 0
