"""Per-phone rate limit: one "slow down" answer, the excess ignored, the conversation kept."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
import redis
from flask import Flask
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

import content
import rate_limits
from app import create_app
from config import load_config
from conftest import CUSTOMER_PHONE, WEBHOOK_PATH, Chat, load_fixture, says

REDIS_URL = "redis://127.0.0.1:6379/0"
NOTICE = content.text("geral.muitas_mensagens")


def limited_app(config, clock, **changes):
    app = create_app(replace(config, **changes), clock=clock)
    app.config.update(TESTING=True)
    return app


def post(client, phone: str, number: int, text: str = "oi") -> dict:
    body = load_fixture("text_message") | {
        "phone": phone,
        "messageId": f"LIMIT-{phone}-{number}",
        "text": {"message": text},
    }
    response = client.post(WEBHOOK_PATH, json=body)
    assert response.status_code == 200
    return response.get_json()


def test_the_notice_is_in_ptbr_with_at_most_one_emoji():
    assert content.has("geral.muitas_mensagens") and NOTICE.strip()  # the pt-BR content file
    assert sum(1 for ch in NOTICE if ord(ch) > 0x2600) <= 1


def test_past_the_limit_one_notice_then_silence_and_200(config, clock, zapi):
    # Sends are capped per phone too: lift that cap here to see every reply of the burst.
    client = limited_app(
        config, clock, rate_limit_per_minute=20, sends_per_phone_per_minute=100
    ).test_client()

    statuses = [post(client, CUSTOMER_PHONE, n, "menu")["status"] for n in range(25)]
    texts = zapi.take()

    assert statuses[:20] == ["queued"] * 20
    assert statuses[20:] == ["rate_limited"] * 5
    assert texts.count(NOTICE) == 1
    assert texts[-1] == NOTICE
    assert len(texts) == 21


def test_no_notice_while_a_person_attends_the_customer(config, clock, zapi):
    app = limited_app(config, clock, rate_limit_per_minute=3)
    chat = Chat(app.test_client(), zapi)
    chat.say("oi")
    chat.say("6")
    assert chat.state() == "human"

    answers = [chat.say(f"mensagem {n} para o atendente") for n in range(4)]

    assert answers == ["", "", "", ""]
    assert chat.state() == "human"


def test_the_limit_is_per_phone(config, clock, zapi):
    client = limited_app(config, clock, rate_limit_per_minute=2).test_client()
    for number in range(3):
        post(client, CUSTOMER_PHONE, number)

    assert post(client, "5511955550009", 1)["status"] == "queued"


def test_the_conversation_is_untouched_and_goes_on_after_the_window(config, clock, zapi):
    app = limited_app(config, clock, rate_limit_per_minute=3)
    chat = Chat(app.test_client(), zapi)
    chat.say("oi")
    chat.say("1")
    assert chat.state() == "boleto_document"
    protocol = chat.protocol()
    chat.say("vou procurar o documento")  # third message: still handled (invalid document)

    assert chat.say("529.982.247-25") == NOTICE
    assert chat.say("529.982.247-25") == ""
    assert chat.state() == "boleto_document"
    assert chat.protocol() == protocol

    app.extensions["theo_phone_limiter"].reset(CUSTOMER_PHONE)  # the minute went by

    assert says(chat.say("529.982.247-25"), "boleto.varias_faturas", total=2)
    assert chat.protocol() == protocol


def test_an_attendant_typing_is_never_limited(config, clock, zapi):
    client = limited_app(config, clock, rate_limit_per_minute=1).test_client()
    post(client, CUSTOMER_PHONE, 0)
    attendant = load_fixture("from_me_attendant")

    statuses = [
        client.post(WEBHOOK_PATH, json=attendant | {"messageId": f"ATT-{n}"}).get_json()["status"]
        for n in range(3)
    ]

    assert statuses == ["silent"] * 3


def test_duplicates_do_not_count(config, clock, zapi):
    client = limited_app(config, clock, rate_limit_per_minute=2).test_client()
    for _ in range(5):
        post(client, CUSTOMER_PHONE, 0)

    assert post(client, CUSTOMER_PHONE, 1, "menu")["status"] == "queued"


def test_without_redis_url_counters_live_in_memory(app):
    limiter = app.extensions["theo_phone_limiter"].limiter

    assert isinstance(limiter.storage, MemoryStorage)


# --- Redis, the real one on loopback -------------------------------------------------------
@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    client.ping()
    yield client
    client.close()


@pytest.fixture
def redis_limiter(redis_client):
    """A PhoneLimiter on Redis under a key prefix of its own, cleaned afterwards."""
    prefix = f"theo-test-{uuid.uuid4().hex[:12]}"
    app = Flask(__name__)
    config = load_config(environ={}, redis_url=REDIS_URL)
    limiter = rate_limits.build_limiter(app, config, prefix=prefix)
    yield rate_limits.PhoneLimiter(limiter, 3, prefix=prefix)
    for key in redis_client.scan_iter(match=f"*{prefix}*"):
        redis_client.delete(key)


def test_redis_counts_per_phone_and_notifies_once(redis_limiter, redis_client):
    verdicts = [redis_limiter.check(CUSTOMER_PHONE) for _ in range(6)]

    assert verdicts == ["allow"] * 3 + ["notify", "drop", "drop"]
    assert redis_limiter.check("5511955550009") == "allow"
    keys = [key.decode() for key in redis_client.scan_iter(match=f"*{redis_limiter.prefix}*")]
    assert keys
    assert not any(CUSTOMER_PHONE in key for key in keys)
    assert all(0 < redis_client.ttl(key) <= 60 for key in keys)


def test_redis_reset_lets_the_phone_write_again(redis_limiter):
    for _ in range(4):
        redis_limiter.check(CUSTOMER_PHONE)

    redis_limiter.reset(CUSTOMER_PHONE)

    assert redis_limiter.check(CUSTOMER_PHONE) == "allow"


def test_redis_url_puts_the_app_counters_in_redis(config, clock, zapi, redis_client):
    app = limited_app(config, clock, redis_url=REDIS_URL, rate_limit_per_minute=2)
    phone = f"55119{uuid.uuid4().int % 10**8:08d}"
    client = app.test_client()
    try:
        statuses = [post(client, phone, n)["status"] for n in range(4)]
    finally:
        app.extensions["theo_phone_limiter"].reset(phone)

    assert isinstance(app.extensions["theo_phone_limiter"].limiter.storage, RedisStorage)
    assert statuses == ["queued", "queued", "rate_limited", "rate_limited"]
    assert zapi.texts().count(NOTICE) == 1


def test_redis_down_asks_zapi_to_deliver_again_and_never_500(config, clock, zapi, caplog):
    """Conversations live in Redis then: without it nothing is stored, so 503 (Z-API retries)."""
    app = limited_app(config, clock, redis_url="redis://127.0.0.1:1/0", rate_limit_per_minute=1)
    client = app.test_client()
    body = load_fixture("text_message")

    responses = [client.post(WEBHOOK_PATH, json=body) for _ in range(2)]

    assert [r.status_code for r in responses] == [503, 503]
    assert responses[0].get_json()["error"] == "storage_unavailable"
    assert zapi.texts() == []


def test_the_in_memory_counts_are_swept_once_a_second_not_every_10_ms():
    # The stock storage walks every key 10 ms after any hit: a third of a core with a
    # thousand customers writing. Counting stays exact between sweeps.
    storage = rate_limits.SweptMemoryStorage("theo-memory://")
    item = rate_limits.RateLimitItemPerMinute(2)
    limiter = MovingWindowRateLimiter(storage)

    assert limiter.hit(item, "phone")
    assert limiter.hit(item, "phone")
    assert not limiter.hit(item, "phone")
    assert storage.timer.interval == rate_limits.SweptMemoryStorage.SWEEP_SECONDS >= 1
