"""Never lose a reply: gateway faults against a real HTTP fake of Z-API on loopback.

Theo runs with its sender threads (SENDER_MODE=thread): the webhook answers
200 as soon as the replies are stored, and the sender delivers them.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app import create_app
from conftest import WEBHOOK_PATH, load_fixture, says, zapi_config
from zapi_fake import FakeZApiServer

PHONES = [f"55119555600{n:02d}" for n in range(3)]


@pytest.fixture
def zapi_server():
    with FakeZApiServer() as server:
        yield server


@pytest.fixture
def threaded_app(tmp_path, zapi_server):
    """Theo with real sender threads, quick retries, pointed at the loopback fake."""
    config = zapi_config(tmp_path / "theo.sqlite3")
    config = replace(
        config,
        zapi_base_url=zapi_server.base_url,
        zapi_read_timeout=1.0,
        sender_mode="thread",
        sender_concurrency=4,
        send_retry_first_seconds=0.2,
        send_retry_max_seconds=1.0,
    )
    app = create_app(config)
    yield app
    app.extensions["theo"].deliverer.stop()
    app.extensions["theo"].records.dispose()


def post(client, phone: str, number: int, text: str) -> dict:
    body = load_fixture("text_message") | {
        "phone": phone,
        "messageId": f"F-{phone[-2:]}-{number}",
        "text": {"message": text},
    }
    started = time.monotonic()
    response = client.post(WEBHOOK_PATH, json=body)
    assert response.status_code == 200
    assert time.monotonic() - started < 1.0  # answered without waiting for the gateway
    return response.get_json()


def converse(client) -> None:
    """Three customers, three messages each, all answered 200 at once."""
    for phone in PHONES:
        for number, text in enumerate(["oi", "1", "529.982.247-25"]):
            assert post(client, phone, number, text)["status"] == "queued"


def delivered_in_order(zapi: FakeZApiServer, client, phone: str) -> None:
    """The phone got every queued reply exactly once, in the order they were queued."""
    queued = client.application.extensions["theo"].outbox.texts_for(phone)
    assert zapi.texts(phone) == queued


def wait_all_sent(app, timeout: float = 30.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = app.extensions["theo"].outbox.counts()
        if counts["pending"] == counts["sending"] == 0:
            return counts
        time.sleep(0.05)
    return app.extensions["theo"].outbox.counts()


def test_gateway_down_then_back_delivers_every_reply_once_in_order(threaded_app, zapi_server):
    client = threaded_app.test_client()
    zapi_server.down()

    converse(client)
    time.sleep(1.5)  # several failed tries while the gateway is away
    assert zapi_server.requests == []
    zapi_server.up()

    counts = wait_all_sent(threaded_app)
    assert counts["failed"] == 0 and counts["sent"] > 0
    for phone in PHONES:
        delivered_in_order(zapi_server, client, phone)


def test_bursts_of_503_and_429_are_retried_until_delivered(threaded_app, zapi_server):
    client = threaded_app.test_client()
    zapi_server.fail(503, times=6)
    zapi_server.fail(429, times=3, retry_after=1)

    converse(client)

    counts = wait_all_sent(threaded_app)
    assert counts["failed"] == 0
    assert len(zapi_server.refused) == 9
    for phone in PHONES:
        delivered_in_order(zapi_server, client, phone)


def test_hanging_gateway_times_out_and_the_reply_is_sent_when_it_answers(threaded_app, zapi_server):
    client = threaded_app.test_client()
    zapi_server.hang_seconds = 1.5  # longer than the read timeout

    assert post(client, PHONES[0], 0, "oi")["status"] == "queued"
    time.sleep(2.5)
    zapi_server.hang_seconds = 0

    counts = wait_all_sent(threaded_app)
    assert counts["failed"] == 0
    assert any(says(text, "geral.saudacao") for text in zapi_server.texts(PHONES[0]))


def test_unauthorized_fails_at_once_shows_degraded_and_can_be_resent(threaded_app, zapi_server):
    client = threaded_app.test_client()
    zapi_server.fail(401, times=1)

    post(client, PHONES[0], 0, "oi")
    counts = wait_all_sent(threaded_app)

    assert counts["failed"] == 1 and zapi_server.requests == []
    health = client.get("/health").get_json()
    assert health["status"] == "degraded" and "ZApiAuthError" in health["reason"]
    outbox = threaded_app.extensions["theo"].outbox
    assert outbox.resend_failed(datetime.now(UTC)) == 1
    threaded_app.extensions["theo"].deliverer.notify()
    assert wait_all_sent(threaded_app)["failed"] == 0
    assert zapi_server.wait_for(1)
    assert client.get("/health").get_json()["status"] == "ok"


def test_a_bad_phone_is_failed_for_good_and_the_next_reply_still_goes(threaded_app, zapi_server):
    client = threaded_app.test_client()
    zapi_server.fail(400, times=1)

    post(client, PHONES[0], 0, "oi")
    wait_all_sent(threaded_app)
    post(client, PHONES[0], 1, "1")
    counts = wait_all_sent(threaded_app)

    assert counts["failed"] == 1
    assert says(zapi_server.texts(PHONES[0])[-1], "documento.pedir_boleto")


def test_ops_see_failed_replies_masked_and_queue_them_again(tmp_path, zapi_server):
    """/admin/outbox lists what failed (no phone in clear); /admin/outbox/resend requeues it."""
    token = "admin-token-for-the-outbox-0001"
    config = replace(
        zapi_config(tmp_path / "theo.sqlite3"),
        zapi_base_url=zapi_server.base_url,
        admin_token=token,
        sender_mode="inline",
    )
    app = create_app(config)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    zapi_server.fail(400, times=1)
    post(client, PHONES[0], 0, "oi")

    listed = client.get("/admin/outbox", headers=auth).get_json()

    assert listed["counts"]["failed"] == 1
    assert PHONES[0] not in str(listed) and listed["failed"][0]["phone"].startswith("5511")
    assert client.get("/admin/outbox").status_code == 401
    assert client.post("/admin/outbox/resend", json={"ids": "x"}, headers=auth).status_code == 400
    resent = client.post("/admin/outbox/resend", headers=auth).get_json()
    assert resent == {"status": "queued", "count": 1}
    app.extensions["theo"].deliverer.drain()
    assert says(zapi_server.texts(PHONES[0])[0], "geral.saudacao")
    metrics = client.get("/metrics", headers=auth).get_data(as_text=True)
    assert "theo_outbox_sent 1" in metrics and "theo_gateway_up 1" in metrics
    app.extensions["theo"].records.dispose()
