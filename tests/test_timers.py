"""Timers that fire by themselves: idle reminder, goodbye at expiry, hand-back after hours."""

from __future__ import annotations

import copy
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

import redis_store
from app import create_app
from conftest import MARIA_PHONE, WEBHOOK_PATH, Chat, load_fixture, says, zapi_config
from records import RecordsStore
from sessions import InMemorySessionStore
from timers import EXPIRY, Timer, TimerStore

MINUTE, HOUR = 60, 3600


def timers_fire(chat: Chat) -> str:
    """Run the timers due now, as the scheduler thread would; what Theo sent the customer."""
    chat.client.application.extensions["theo"].scheduler.run_due()
    return "\n---\n".join(m.text for m in chat.zapi.sent if m.body.get("phone") == chat.phone)


def attendant_types(chat: Chat, text: str, number: int) -> None:
    body = copy.deepcopy(load_fixture("from_me_attendant"))
    body.update(phone=chat.phone, messageId=f"ATT-{number}", text={"message": text})
    assert chat.client.post(WEBHOOK_PATH, json=body).status_code == 200


# --- Reminder and expiry ------------------------------------------------------------------
def test_mid_flow_silence_gets_one_reminder_then_the_goodbye(chat, clock, zapi):
    chat.say("oi")
    chat.say("2 via do boleto")
    protocol = chat.protocol()
    zapi.take()

    clock.advance(10 * MINUTE)
    sent = timers_fire(chat)
    assert says(sent, "inatividade.ainda_ai")
    assert chat.state() == "boleto_document"  # the question still waits
    zapi.take()
    clock.advance(5 * MINUTE)
    assert timers_fire(chat) == ""  # one reminder only

    clock.advance(15 * MINUTE)
    sent = timers_fire(chat)
    assert says(sent, "inatividade.expirou", protocolo=protocol)
    assert chat.state() is None
    assert chat.say("oi") and chat.said("geral.saudacao") and chat.protocol() != protocol


def test_no_reminder_at_the_main_menu_but_the_goodbye_at_expiry(chat, clock, zapi):
    chat.say("oii")
    zapi.take()

    clock.advance(20 * MINUTE)
    assert timers_fire(chat) == ""
    clock.advance(10 * MINUTE)
    assert says(timers_fire(chat), "inatividade.expirou")


def test_an_answer_moves_the_timers(chat, clock, zapi):
    chat.say("oi")
    chat.say("to sem internet")
    clock.advance(8 * MINUTE)
    chat.say("n sei qual luz é")  # any message counts as the customer being there
    zapi.take()

    clock.advance(5 * MINUTE)
    assert timers_fire(chat) == ""
    clock.advance(5 * MINUTE)
    assert says(timers_fire(chat), "inatividade.ainda_ai")


@pytest.mark.parametrize("bye", ["sair", "tchau obg", "encerrar"])
def test_nothing_fires_after_the_goodbye(chat, clock, zapi, bye):
    chat.say("oi")
    chat.say("1")
    chat.say(bye)
    zapi.take()

    clock.advance(2 * HOUR)
    assert timers_fire(chat) == ""


def test_the_reminder_is_not_sent_when_the_customer_wrote_just_before(chat, clock, zapi):
    chat.say("oi")
    chat.say("1")
    clock.advance(10 * MINUTE)
    # The timer was claimed, but the customer's message got the lock first.
    theo = chat.client.application.extensions["theo"]
    [due] = [t for t in theo.bot.timers.pending(chat.phone) if t.kind == "reminder"]
    chat.say("pera q vou pegar o cpf")
    zapi.take()

    theo.fire_timer(due)

    assert zapi.take() == []


# --- The attendant's silence --------------------------------------------------------------
def hand_over(chat: Chat) -> None:
    chat.say("oi")
    chat.say("quero falar com um atendente")
    assert chat.state() == "human"


def test_no_reminder_nor_goodbye_while_a_person_attends(chat, clock, zapi):
    hand_over(chat)
    attendant_types(chat, "Oi Maria, aqui é a Joana", 1)
    zapi.take()

    clock.advance(2 * HOUR)
    assert timers_fire(chat) == ""
    assert chat.state() == "human"


def test_theo_takes_the_chat_back_after_the_attendants_silence(chat, clock, zapi):
    hand_over(chat)
    protocol = chat.protocol()
    clock.advance(11 * HOUR)
    attendant_types(chat, "ainda estou verificando, um momento", 1)  # keeps the silence alive
    zapi.take()

    clock.advance(11 * HOUR)
    assert timers_fire(chat) == ""
    assert chat.state() == "human"

    clock.advance(1 * HOUR + 1)
    sent = timers_fire(chat)
    assert says(sent, "inatividade.atendente_sumiu", protocolo=protocol)
    assert chat.state() is None
    assert chat.say("oi de novo") and chat.said("geral.saudacao")


def test_customer_messages_do_not_keep_theo_silent_forever(chat, clock, zapi):
    hand_over(chat)
    for _ in range(3):
        clock.advance(4 * HOUR - 1)
        assert chat.say("alguem ai??") == ""  # within the hand-back time: silent

    clock.advance(10)
    # Past HANDOFF_IDLE_HOURS with no word from the team: even before the timer runs,
    # the next message is Theo's again.
    assert chat.say("alô??") and chat.said("geral.saudacao")


def test_handoff_idle_hours_is_configurable(tmp_path, clock, zapi):
    app = create_app(zapi_config(tmp_path / "t.sqlite3", handoff_idle_hours=1), clock=clock)
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)
    hand_over(chat)
    zapi.take()

    clock.advance(HOUR)
    assert says(timers_fire(chat), "inatividade.atendente_sumiu")


def test_the_old_human_ttl_setting_still_works():
    from config import load_config

    assert load_config({"HUMAN_SESSION_TTL_SECONDS": "600"}).handoff_idle_seconds == 600
    assert load_config({}).handoff_idle_seconds == 12 * HOUR
    assert load_config({"HANDOFF_IDLE_HOURS": "2"}).handoff_idle_seconds == 2 * HOUR


def test_a_session_shorter_than_the_reminder_gets_only_the_goodbye(tmp_path, clock, zapi):
    app = create_app(zapi_config(tmp_path / "t.sqlite3", session_ttl_seconds=600), clock=clock)
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)
    chat.say("oi")
    chat.say("quero cancelar")
    zapi.take()

    clock.advance(10 * MINUTE)
    sent = timers_fire(chat)
    assert says(sent, "inatividade.expirou") and not says(sent, "inatividade.ainda_ai")


# --- Stored: restarts, both databases, several instances -----------------------------------
def test_a_timer_survives_a_restart(database_url, tmp_path, clock, zapi):
    sessions = InMemorySessionStore(1800, clock=clock)  # shared, as Redis would be
    config = zapi_config(tmp_path / "t.sqlite3", database_url=database_url)
    first = create_app(config, clock=clock, sessions=sessions)
    chat = Chat(first.test_client(), zapi, MARIA_PHONE)
    chat.say("oi")
    chat.say("quero a segunda via")
    first.extensions["theo"].records.dispose()  # the process is gone
    zapi.take()

    clock.advance(10 * MINUTE)
    second = create_app(config, clock=clock, sessions=sessions)
    second.extensions["theo"].scheduler.run_due()

    assert says("\n".join(zapi.take()), "inatividade.ainda_ai")
    assert second.extensions["theo"].scheduler.run_due() == 0
    second.extensions["theo"].records.dispose()


def test_two_instances_racing_fire_a_timer_once(postgres_url):
    stores = [RecordsStore(postgres_url) for _ in range(2)]
    now = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    timers = [TimerStore(store.engine) for store in stores]
    for number in range(20):
        timers[0].replace(f"55119000{number:05d}", [Timer(EXPIRY, now - timedelta(seconds=1))])
    claimed: list[list[Timer]] = [[], []]
    start = threading.Barrier(2)

    def claim(index: int) -> None:
        start.wait()
        claimed[index] = timers[index].claim_due(now)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ids = [timer.id for found in claimed for timer in found]
    assert len(ids) == 20 and len(set(ids)) == 20
    assert timers[1].claim_due(now + timedelta(seconds=30)) == []  # held by its claim
    for store in stores:
        store.dispose()


def test_a_claim_whose_process_died_is_taken_again(database_url):
    store = RecordsStore(database_url)
    timers = TimerStore(store.engine)
    now = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    timers.replace("5511900000001", [Timer(EXPIRY, now)])

    [taken] = timers.claim_due(now)  # and the process dies before firing it

    [again] = timers.claim_due(now + timedelta(minutes=5))
    assert again.id == taken.id
    timers.mark_fired(again.id, now)
    assert timers.claim_due(now + timedelta(hours=1)) == []
    store.dispose()


def test_timers_with_redis_sessions_and_postgres(postgres_url, tmp_path, clock, zapi):
    """The shared deployment: conversations in Redis (its lock), timers in Postgres."""
    client = redis_store.connect("redis://127.0.0.1:6379/0")
    prefix = f"theo-test-{uuid.uuid4().hex[:12]}:"
    sessions = redis_store.RedisSessionStore(client, 1800, prefix=prefix, clock=clock)
    config = zapi_config(tmp_path / "t.sqlite3", database_url=postgres_url)
    app = create_app(config, clock=clock, sessions=sessions)
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)
    try:
        chat.say("oi")
        chat.say("internet lenta")
        zapi.take()
        clock.advance(10 * MINUTE)
        assert says(timers_fire(chat), "inatividade.ainda_ai")
        zapi.take()
        clock.advance(20 * MINUTE)
        assert says(timers_fire(chat), "inatividade.expirou")
        assert sessions.get(chat.phone) is None
    finally:
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        app.extensions["theo"].records.dispose()


def test_the_scheduler_thread_fires_by_itself(tmp_path, clock, zapi):
    config = replace(
        zapi_config(tmp_path / "t.sqlite3", timers_poll_seconds=0.05), sender_mode="off"
    )
    app = create_app(config, clock=clock)  # the web process runs the scheduler thread
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)
    chat.say("oi")
    chat.say("1")
    outbox = app.extensions["theo"].outbox
    waiting = len(outbox.texts_for(chat.phone))

    clock.advance(10 * MINUTE)
    deadline = time.monotonic() + 5
    while len(outbox.texts_for(chat.phone)) == waiting and time.monotonic() < deadline:
        time.sleep(0.05)

    assert says(outbox.texts_for(chat.phone)[-1], "inatividade.ainda_ai")


def test_ops_releasing_a_conversation_cancels_the_hand_back_notice(tmp_path, clock, zapi):
    token = "admin-token-0123456789"
    app = create_app(zapi_config(tmp_path / "t.sqlite3", admin_token=token), clock=clock)
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)
    hand_over(chat)
    released = chat.client.post(
        f"/admin/conversations/{chat.phone}/release", headers={"Authorization": f"Bearer {token}"}
    )
    assert released.status_code == 200
    zapi.take()

    clock.advance(13 * HOUR)
    assert timers_fire(chat) == ""
