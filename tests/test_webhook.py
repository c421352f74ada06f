"""The webhook's contract: what is answered, ignored, deduplicated or refused."""

from __future__ import annotations

import threading

import pytest

import content
from app import create_app
from config import load_config
from conftest import (
    CLIENT_TOKEN,
    CUSTOMER_PHONE,
    TOKEN,
    WEBHOOK_PATH,
    ZAPI_PREFIX,
    load_fixture,
    says,
    shows_menu,
)

RECEIVED = b'{"type": "ReceivedCallback", "phone": "5511", "messageId": "X", '


def test_text_message_is_answered_through_zapi_with_headers(client, zapi):
    response = client.post(WEBHOOK_PATH, json=load_fixture("text_message"))

    assert response.status_code == 200
    assert response.get_json() == {"status": "queued"}
    [sent] = zapi.sent
    assert sent.url == ZAPI_PREFIX + "send-text"
    assert sent.headers["Client-Token"] == CLIENT_TOKEN
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body["phone"] == CUSTOMER_PHONE
    assert says(sent.body["message"], "geral.saudacao")


def test_same_message_id_twice_is_answered_once(client, zapi):
    payload = load_fixture("text_message")

    first = client.post(WEBHOOK_PATH, json=payload)
    second = client.post(WEBHOOK_PATH, json=payload)

    assert first.get_json() == {"status": "queued"}
    assert second.status_code == 200
    assert second.get_json() == {"status": "duplicate"}
    assert len(zapi.sent) == 1


@pytest.mark.parametrize(
    "fixture",
    ["group_message", "reaction", "delivery_callback", "status_callback"],
)
def test_callbacks_theo_must_not_answer_are_acknowledged_silently(client, zapi, fixture):
    response = client.post(WEBHOOK_PATH, json=load_fixture(fixture))

    assert response.status_code == 200
    assert response.get_json() == {"status": "ignored"}
    assert zapi.sent == []


@pytest.mark.parametrize(
    "change",
    [
        {"fromMe": True, "fromApi": True},
        {"isNewsletter": True, "phone": "120363166555745933@newsletter"},
        {"broadcast": True},
        {"isStatusReply": True},
        {"waitingMessage": True},
        {"isEdit": True},
        {"notification": "CALL_MISSED_VOICE"},
        {"type": "ReceivedCallBack", "isGroup": True},
        {"type": "PresenceChatCallback"},
        {"type": "ConnectedCallback"},
    ],
)
def test_flags_that_mean_ignore(client, zapi, change):
    payload = load_fixture("text_message") | change

    response = client.post(WEBHOOK_PATH, json=payload)

    assert response.status_code == 200
    assert response.get_json()["status"] in ("ignored", "silent")
    assert zapi.sent == []


def test_callback_type_is_matched_case_insensitively(client, zapi):
    payload = load_fixture("text_message") | {"type": "ReceivedCallBack"}

    assert client.post(WEBHOOK_PATH, json=payload).get_json() == {"status": "queued"}
    assert len(zapi.sent) == 1


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"null", "application/json"),
        (b'{"type": "ReceivedCallback"}', "application/json"),
        (b'{"type": 42}', "application/json"),
        (b'{"no_type": true}', "application/json"),
        (
            b'{"type": "ReceivedCallback", "phone": "551199", "messageId": "X", "text": "x"}',
            "application/json",
        ),
        (b'{"type": "ReceivedCallback", "phone": ["5511"], "messageId": "X"}', "application/json"),
        (RECEIVED + b'"text": {"message": 5.5e400}}', "text/plain"),
        (RECEIVED + b'"listResponseMessage": 3}', "application/json"),
        (RECEIVED + b'"buttonsResponseMessage": {"buttonId": null}}', "application/json"),
    ],
)
def test_malformed_bodies_get_a_json_4xx_and_send_nothing(client, zapi, body, content_type):
    response = client.post(WEBHOOK_PATH, data=body, content_type=content_type)

    assert 400 <= response.status_code < 500
    assert "error" in response.get_json()
    assert zapi.sent == []


def test_huge_body_is_refused_with_413(client, zapi):
    payload = load_fixture("text_message")
    payload["text"]["message"] = "a" * 70_000

    response = client.post(WEBHOOK_PATH, json=payload)

    assert response.status_code == 413
    assert response.get_json()["error"]
    assert zapi.sent == []


def test_long_text_is_cut_and_still_answered(client, zapi):
    payload = load_fixture("text_message")
    payload["text"]["message"] = "sem internet " * 1000

    response = client.post(WEBHOOK_PATH, json=payload)

    assert response.status_code == 200
    assert zapi.sent


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_wrong_method_is_405_json(client, method):
    response = getattr(client, method)(WEBHOOK_PATH)

    assert response.status_code == 405
    assert response.get_json()["error"]


def test_unknown_route_is_404_json(client):
    response = client.get("/nada")

    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_health_reports_mode_and_database_without_secrets(client):
    response = client.get("/health")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["mode"] == "zapi" and body["database"] == "ok"
    assert body["sender"] == "inline"
    assert set(body["outbox"]) == {"pending", "sending", "sent", "failed"}
    assert TOKEN not in response.get_data(as_text=True)


def test_audio_gets_a_text_only_answer_and_the_question_again(stranger):
    chat = stranger  # the recorded fixtures come from CUSTOMER_PHONE
    chat.say("oi")

    answer = "\n".join(chat.post(load_fixture("audio_message") | {"messageId": "AUDIO-1"}))

    assert says(answer, "geral.so_texto")
    assert content.text("curta.main_menu") in answer  # the question again, briefly


def test_attendant_typing_on_the_phone_silences_theo(stranger, client):
    chat = stranger  # the recorded fixtures come from CUSTOMER_PHONE
    chat.say("oi")

    response = client.post(WEBHOOK_PATH, json=load_fixture("from_me_attendant"))

    assert response.get_json() == {"status": "silent"}
    assert chat.state() == "human"
    assert chat.say("obrigada, Joana") == ""
    assert chat.state() == "human"
    assert shows_menu(chat.say("menu"), "principal")
    assert chat.state() == "main_menu"


def test_a_bug_in_the_bot_still_answers_the_customer_and_returns_200(app, client, zapi):
    def broken(message):
        raise RuntimeError("boom")

    app.extensions["theo"].bot.handle = broken

    response = client.post(WEBHOOK_PATH, json=load_fixture("text_message"))

    assert response.status_code == 200
    assert says(zapi.texts()[0], "geral.erro_interno")


def test_unexpected_sender_bug_is_logged_and_answered_200(app, client, caplog):
    def broken_send(phone, replies):
        raise RuntimeError("sender bug")

    app.extensions["theo"].sender.send = broken_send

    response = client.post(WEBHOOK_PATH, json=load_fixture("text_message"))

    assert response.status_code == 200
    assert response.get_json() == {"status": "queued"}
    assert "sender bug" in caplog.text
    assert app.extensions["theo"].outbox.counts()["pending"] == 1  # kept, to be tried again


def test_zapi_failure_is_logged_and_answered_200(client, zapi, caplog):
    import responses as responses_lib

    with responses_lib.RequestsMock() as failing:
        failing.add(
            responses_lib.POST,
            ZAPI_PREFIX + "send-text",
            status=400,
            json={"error": "your client-token is not configured"},
        )
        response = client.post(WEBHOOK_PATH, json=load_fixture("text_message"))

    assert response.status_code == 200
    assert response.get_json() == {"status": "queued"}
    assert TOKEN not in caplog.text
    outbox = client.application.extensions["theo"].outbox
    assert outbox.counts()["failed"] == 1  # refused for good: kept as failed, re-sendable
    assert "client-token" in outbox.failed()[0].last_error
    health = client.get("/health").get_json()
    assert health["status"] == "degraded" and health["reason"] == "zapi: ZApiAuthError"


def test_messages_of_one_phone_are_handled_one_at_a_time(app, client, zapi):
    """Two webhooks of the same customer racing must not interleave."""
    theo = app.extensions["theo"]
    original = theo.bot.handle
    inside = threading.Semaphore(0)
    overlap = []
    active = [0]
    guard = threading.Lock()

    def slow_handle(message, **kwargs):
        with guard:
            active[0] += 1
            overlap.append(active[0])
        inside.release()
        try:
            threading.Event().wait(0.05)
            return original(message, **kwargs)
        finally:
            with guard:
                active[0] -= 1

    theo.bot.handle = slow_handle
    payloads = []
    for number in range(6):
        body = load_fixture("text_message")
        body["messageId"] = f"RACE-{number}"
        body["text"] = {"message": "oi" if number == 0 else "menu"}
        payloads.append(body)
    threads = [
        threading.Thread(target=client.post, args=(WEBHOOK_PATH,), kwargs={"json": body})
        for body in payloads
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert max(overlap) == 1
    assert len(zapi.sent) == 6


def test_console_mode_prints_masked_replies_without_zapi(tmp_path, capsys):
    config = load_config(environ={}, sqlite_path=str(tmp_path / "db.sqlite3"), sender_mode="inline")
    app = create_app(config)

    response = app.test_client().post("/webhook", json=load_fixture("text_message"))

    assert config.console_mode
    assert response.get_json() == {"status": "queued"}
    printed = capsys.readouterr().out
    assert says(printed, "geral.saudacao")
    assert CUSTOMER_PHONE not in printed
    assert app.test_client().get("/health").get_json()["mode"] == "console"


def test_interactive_mode_sends_option_lists_and_buttons(config, clock, zapi):
    app = create_app(config.__class__(**{**config.__dict__, "zapi_interactive": True}), clock=clock)
    from conftest import Chat

    chat = Chat(app.test_client(), zapi)

    chat.say("oi")
    chat.say("2")
    chat.say("1")
    chat.say("628.194.821-12")
    menu = zapi.history[0]

    assert menu.endpoint == "send-option-list"
    assert shows_menu(menu.body["message"], "principal")
    options = menu.body["optionList"]["options"]
    assert [option["id"] for option in options] == ["1", "2", "3", "4", "5", "6"]
    assert tuple(option["title"] for option in options) == content.menu("principal").options
    question = zapi.history[-1]
    assert question.endpoint == "send-button-list"
    labels = [b["label"] for b in question.body["buttonList"]["buttons"]]
    assert labels == [content.text("geral.sim"), content.text("geral.nao")]


def test_our_own_send_echoed_without_from_api_is_not_a_takeover(chat, client, zapi):
    """Tell Theo's sends from an attendant's by the ids Z-API returned for them."""
    chat.say("oi")
    first_id_the_fake_returned = f"D241{1:016d}"
    echo = load_fixture("from_me_attendant") | {"messageId": first_id_the_fake_returned}

    response = client.post(WEBHOOK_PATH, json=echo)

    assert response.get_json() == {"status": "ignored"}
    assert chat.state() == "main_menu"


def test_failed_delivery_is_logged_for_ops_with_the_phone_masked(client, zapi, caplog):
    response = client.post(WEBHOOK_PATH, json=load_fixture("delivery_callback"))

    assert response.get_json() == {"status": "ignored"}
    assert "Phone number does not exist" in caplog.text
    assert "5511*****0001" in caplog.text
    assert CUSTOMER_PHONE not in caplog.text
    assert zapi.sent == []


def test_an_ignored_phone_gets_no_answer_and_no_record(tmp_path, clock, zapi):
    from app import create_app
    from conftest import Chat, zapi_config

    config = zapi_config(tmp_path / "t.sqlite3", ignored_phones="5511900000001, 5511912340001")
    app = create_app(config, clock=clock)
    staff = Chat(app.test_client(), zapi, "5511912340001")
    body = staff.payload("oi, quero a segunda via")

    response = staff.client.post(WEBHOOK_PATH, json=body)

    assert response.get_json() == {"status": "ignored"}
    assert zapi.take() == []
    assert app.extensions["theo"].sessions.get(staff.phone) is None
    assert app.extensions["theo"].records.recent_requests() == []
    customer = Chat(app.test_client(), zapi, "5511912340002")
    assert says(customer.say("oi"), "geral.saudacao")  # everyone else is answered as usual
