"""Team alerts: each recorded request reaches TEAM_PHONE and the CRM webhook via the outbox."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import responses

from app import create_app
from config import ConfigError, load_config
from conftest import (
    MARIA_PHONE,
    WEBHOOK_PATH,
    ZAPI_PREFIX,
    Chat,
    FakeZApi,
    load_fixture,
    says,
    zapi_config,
)
from privacy import mask_name, mask_phone
from team_alerts import SIGNATURE_HEADER, kind_label, summary_lines

TEAM = "5511955550000"
GROUP = "120363019502650977-group"
CRM = "https://crm.example.com.br/hooks/theo"
CRM_SECRET = "crm-signing-secret-0123456789"


@pytest.fixture
def http():
    """Z-API (recorded) and the CRM endpoint, on one mock of `requests`."""
    fake = FakeZApi()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, re.compile(re.escape(ZAPI_PREFIX) + ".*"), fake.callback)
        yield fake, mock


def build(tmp_path, clock, **settings):
    app = create_app(zapi_config(tmp_path / "theo.sqlite3", **settings), clock=clock)
    app.config.update(TESTING=True)
    return app


def sent_to(zapi: FakeZApi, phone: str) -> list[str]:
    return [m.text for m in zapi.history if m.body.get("phone") == phone]


def hand_over(chat: Chat) -> None:
    chat.say("oi")
    chat.say("qro falar c/ um atendente pfv")
    assert chat.state() == "human"


# --- WhatsApp to TEAM_PHONE ------------------------------------------------------------
def test_a_handoff_alerts_the_team_phone_with_the_protocol_and_a_masked_phone(
    tmp_path, clock, http
):
    zapi, _ = http
    app = build(tmp_path, clock, team_phone="+55 (11) 95555-0000")
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)

    hand_over(chat)

    alerts = sent_to(zapi, TEAM)
    assert len(alerts) == 1
    alert = alerts[0]
    assert says(alert, "alerta.whatsapp", tipo=kind_label("handoff"), protocolo=chat.protocol())
    assert mask_phone(MARIA_PHONE) in alert and MARIA_PHONE not in alert
    # The customer got the handoff answer as usual; the alert went to nobody else.
    assert all(m.body["phone"] in (TEAM, MARIA_PHONE) for m in zapi.history)


def test_every_kind_alerts_without_code_of_its_own_and_masks_names(tmp_path, clock, http):
    zapi, _ = http
    app = build(tmp_path, clock, team_phone=TEAM)
    theo = app.extensions["theo"]
    details = {
        "name": "Maria da Silva",
        "cep": "01310100",
        "plan": "fibra-500",
        "note": "ligar dps das 18h",
    }

    theo.records.record("lead", "20261124000042", MARIA_PHONE, details)
    theo.deliverer.drain()

    [alert] = sent_to(zapi, TEAM)
    assert says(alert, "alerta.whatsapp", tipo=kind_label("lead"), protocolo="20261124000042")
    assert "Maria da Silva" not in alert and mask_name("Maria da Silva") in alert
    assert "fibra-500" in alert


def test_a_summary_masks_documents_and_scrubs_free_text():
    lines = "\n".join(
        summary_lines(
            {
                "document": "52998224725",
                "description": "meu cpf é 529.982.247-25 e o fone 11987650001",
                "diagnosis": [{"question": "luz vermelha?", "answer": "não"}],
                "unknown_new_field": "valor",
                "empty": "",
            }
        )
    )
    assert "52998224725" not in lines and "529.982.247-25" not in lines
    assert "11987650001" not in lines
    assert "luz vermelha? não" in lines
    assert "unknown_new_field" in lines  # a field no label names is still shown


def test_a_group_id_is_accepted_and_sent_to_as_typed(tmp_path, clock, http):
    zapi, _ = http
    app = build(tmp_path, clock, team_phone=GROUP)
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)

    hand_over(chat)

    assert len(sent_to(zapi, GROUP)) == 1
    assert next(m for m in zapi.history if m.body["phone"] == GROUP).endpoint == "send-text"


def test_no_team_phone_no_alert(chat, zapi):
    hand_over(chat)

    assert {m.body["phone"] for m in zapi.history} == {MARIA_PHONE}


# --- Echoes of Theo's own sends and the team's chat --------------------------------------
def echo(body_phone: str, message_id: str, text: str, **flags) -> dict:
    body = copy.deepcopy(load_fixture("from_me_attendant"))
    body.update(phone=body_phone, messageId=message_id, text={"message": text}, **flags)
    return body


@pytest.mark.parametrize("from_api", [True, None])
def test_echoes_of_alerts_in_the_team_chat_are_no_takeover(tmp_path, clock, http, from_api):
    zapi, _ = http
    app = build(tmp_path, clock, team_phone=TEAM)
    client = app.test_client()
    chat = Chat(client, zapi, MARIA_PHONE)
    chat.say("oi")
    chat.say("quero cancelar meu plano, falar com atendente")
    theo = app.extensions["theo"]
    alert = next(m for m in zapi.history if m.body["phone"] == TEAM)
    flags = {"fromApi": True} if from_api else {}

    response = client.post(WEBHOOK_PATH, json=echo(TEAM, "D241-echo-1", alert.text, **flags))

    assert response.status_code == 200
    assert theo.sessions.get(TEAM) is None  # no conversation, no takeover, no greeting
    assert sent_to(zapi, TEAM) == [alert.text]


def test_the_team_writing_from_its_phone_gets_no_greeting(tmp_path, clock, http):
    zapi, _ = http
    app = build(tmp_path, clock, team_phone=TEAM)
    team = Chat(app.test_client(), zapi, TEAM)

    assert team.say("vou pegar esse, pessoal") == ""
    assert app.extensions["theo"].sessions.get(TEAM) is None


def test_theos_own_reply_echoed_without_fromapi_is_not_an_attendant(chat, client, zapi):
    chat.say("oi")
    own_id = "D241" + "0" * 15 + "1"  # the id the fake Z-API gave Theo's greeting

    client.post(WEBHOOK_PATH, json=echo(chat.phone, own_id, "Olá! Eu sou o Theo"))

    assert chat.state() == "main_menu"
    assert chat.say("1") and chat.state() == "boleto_document"


def test_a_person_typing_on_the_company_phone_still_takes_over(chat, client, zapi):
    chat.say("oi")

    client.post(WEBHOOK_PATH, json=echo(chat.phone, "3EB0-joana-1", "Oi Maria, é a Joana"))

    assert chat.state() == "human"
    assert chat.say("oi joana, td bem?") == ""


# --- The CRM webhook ------------------------------------------------------------------
def test_the_webhook_gets_the_request_as_json_signed(tmp_path, clock, http):
    zapi, mock = http
    mock.add(responses.POST, CRM, status=200)
    app = build(tmp_path, clock, team_webhook_url=CRM, team_webhook_secret=CRM_SECRET)
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)

    hand_over(chat)

    [call] = [c for c in mock.calls if c.request.url == CRM]
    body = json.loads(call.request.body)
    assert body["protocol"] == chat.protocol()
    assert body["type"] == "handoff" and body["phone"] == MARIA_PHONE
    assert datetime.fromisoformat(body["created_at"])
    expected = hmac.new(CRM_SECRET.encode(), call.request.body, hashlib.sha256).hexdigest()
    assert call.request.headers[SIGNATURE_HEADER] == f"sha256={expected}"
    assert call.request.headers["Idempotency-Key"]
    assert app.extensions["theo"].outbox.counts()["sent"] >= 2  # the reply and the alert


def test_a_crm_that_is_down_is_retried_until_it_answers(tmp_path, clock, http):
    zapi, mock = http
    down = mock.add(responses.POST, CRM, status=503)
    app = build(tmp_path, clock, team_webhook_url=CRM)
    theo = app.extensions["theo"]
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)

    hand_over(chat)

    assert chat.said("atendente.transferindo")  # the customer is not held up by the CRM
    assert theo.outbox.counts()["pending"] == 1
    mock.remove(down)
    mock.add(responses.POST, CRM, status=201)
    theo.deliverer.clock = lambda: datetime.now(UTC) + timedelta(minutes=10)
    assert theo.deliverer.drain() == 1
    assert theo.outbox.counts()["pending"] == 0
    assert len([c for c in mock.calls if c.request.url == CRM]) == 2


def test_a_crm_that_refuses_the_alert_marks_it_failed_for_ops(tmp_path, clock, http):
    zapi, mock = http
    mock.add(responses.POST, CRM, status=422, json={"error": "campo faltando"})
    app = build(tmp_path, clock, team_webhook_url=CRM, admin_token="admin-token-0123456789")
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)

    hand_over(chat)

    listed = app.test_client().get(
        "/admin/outbox", headers={"Authorization": "Bearer admin-token-0123456789"}
    )
    failed = listed.get_json()["failed"]
    assert len(failed) == 1 and "422" in failed[0]["error"]
    assert MARIA_PHONE not in json.dumps(listed.get_json())


def test_a_crm_that_cannot_be_reached_is_retried(tmp_path, clock, http):
    zapi, mock = http
    mock.add(responses.POST, CRM, body=ConnectionError("recusada"))
    app = build(tmp_path, clock, team_webhook_url=CRM, team_phone=TEAM)
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)

    hand_over(chat)

    counts = app.extensions["theo"].outbox.counts()
    assert counts["pending"] == 1 and counts["failed"] == 0
    assert len(sent_to(zapi, TEAM)) == 1  # WhatsApp alert independent of the CRM


# --- Settings ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TEAM_PHONE", "equipe"),
        ("TEAM_PHONE", "123"),
        ("TEAM_WEBHOOK_URL", "http://crm.example.com/theo"),
        ("TEAM_WEBHOOK_URL", "crm.example.com"),
        ("TEAM_WEBHOOK_SECRET", "curto"),
    ],
)
def test_bad_team_settings_stop_the_start(name, value):
    with pytest.raises(ConfigError) as refused:
        load_config({name: value})
    assert any(line.startswith(name) for line in refused.value.problems)


@pytest.mark.parametrize("value", [TEAM, "+55 11 95555-0000", GROUP])
def test_team_phone_takes_a_number_or_a_group(value):
    assert load_config({"TEAM_PHONE": value}).team_phone == value


def test_the_simulators_pretend_customers_alert_nobody(tmp_path, clock, http):
    zapi, _ = http
    app = build(tmp_path, clock, team_phone=TEAM)
    theo = app.extensions["theo"]

    theo.records.record("lead", "20261124000077", "5500912345678", {"name": "Teste"})
    theo.deliverer.drain()

    assert sent_to(zapi, TEAM) == []
