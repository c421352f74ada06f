"""The simulator's page, its JSON API, when it is served, and where its replies go."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

import content
import rate_limits
import simulator
from app import create_app
from config import load_config
from conftest import CUSTOMER_PHONE, WEBHOOK_PATH, load_fixture, says
from replies import Reply
from z_api_client import ConsoleSender

SIM_PHONE = "5500999990001"
OTHER_SIM_PHONE = "5500999990002"
MARIA_CPF = "529.982.247-25"


class _Attributes(HTMLParser):
    """Collects the attributes of every tag, to read what the page was rendered with."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def page_attributes(client) -> dict[str, str | None]:
    """The data-* attributes of the simulator's root element."""
    response = client.get("/simulator")
    assert response.status_code == 200
    parser = _Attributes()
    parser.feed(response.get_data(as_text=True))
    return next(attrs for _, attrs in parser.tags if attrs.get("id") == "simulator")


class SimulatedCustomer:
    """Posts Z-API callbacks to the webhook URL the page was rendered with, like the page does."""

    def __init__(self, client, phone: str = SIM_PHONE) -> None:
        self.client = client
        self.phone = phone
        self.webhook = page_attributes(client)["data-webhook-url"]
        self.count = 0

    def post(self, **content: object) -> dict:
        self.count += 1
        body = {
            "type": "ReceivedCallback",
            "messageId": f"SIM-{self.phone}-{self.count}",
            "phone": self.phone,
            "fromMe": False,
            "momment": 1763996400000,
            **content,
        }
        response = self.client.post(self.webhook, json=body)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def say(self, text: str) -> dict:
        return self.post(text={"message": text})

    def history(self, after: str = "") -> dict:
        query = f"?after={after}" if after else ""
        response = self.client.get(f"/simulator/api/phones/{self.phone}/history{query}")
        assert response.status_code == 200
        return response.get_json()

    def texts(self) -> list[str]:
        return [entry["text"] for entry in self.history()["replies"]]

    def session(self, protocol: str = "") -> dict:
        query = f"?protocol={protocol}" if protocol else ""
        response = self.client.get(f"/simulator/api/phones/{self.phone}/session{query}")
        assert response.status_code == 200
        return response.get_json()


@pytest.fixture
def console_app(tmp_path, clock):
    config = load_config(
        environ={}, sqlite_path=str(tmp_path / "console.sqlite3"), sender_mode="inline"
    )
    app = create_app(config, clock=clock)
    app.config.update(TESTING=True)
    yield app
    app.extensions["theo"].records.dispose()


@pytest.fixture
def console_client(console_app):
    return console_app.test_client()


@pytest.fixture
def customer(console_client) -> SimulatedCustomer:
    return SimulatedCustomer(console_client)


# --- The page -------------------------------------------------------------------
def test_page_is_served_in_console_mode_with_its_urls_rendered(console_client):
    response = console_client.get("/simulator")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert '<html lang="pt-BR">' in html
    attributes = page_attributes(console_client)
    assert attributes["data-webhook-url"] == "/webhook"
    assert attributes["data-api-base"] == "/simulator/api"
    assert attributes["data-phone-prefix"] == simulator.SIMULATOR_PREFIX
    assert "<script>" not in html and "style=" not in html  # CSP-friendly: no inline code


def test_page_assets_are_served(console_client):
    script = console_client.get("/simulator/static/simulator.js")
    style = console_client.get("/simulator/static/simulator.css")

    assert script.status_code == 200 and "ReceivedCallback" in script.get_data(as_text=True)
    assert style.status_code == 200 and style.mimetype == "text/css"


def test_page_never_learns_a_secret_webhook_path(console_app):
    console_app.config["THEO_WEBHOOK_PATH"] = "/webhook/um-segredo-bem-comprido"
    client = console_app.test_client()

    attributes = page_attributes(client)

    assert attributes["data-webhook-url"] == "/simulator/api/webhook"
    assert "um-segredo-bem-comprido" not in client.get("/simulator").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/simulator",
        f"/simulator/api/phones/{SIM_PHONE}/history",
        f"/simulator/api/phones/{SIM_PHONE}/session",
        "/simulator/static/simulator.js",
    ],
)
def test_simulator_is_not_reachable_with_zapi_and_the_flag_off(client, path):
    assert client.get(path).status_code == 404
    assert client.post(f"/simulator/api/phones/{SIM_PHONE}/reset").status_code == 404
    relayed = {"type": "ReceivedCallback", "messageId": "X", "phone": SIM_PHONE, "text": {}}
    assert client.post("/simulator/api/webhook", json=relayed).status_code == 404


# --- The API over the real pipeline ---------------------------------------------------
def test_history_returns_theo_replies_in_order(customer):
    assert customer.say("oi") == {"status": "queued"}
    customer.say("1")

    replies = customer.history()["replies"]

    assert says(replies[0]["text"], "geral.saudacao")
    assert says(replies[-1]["text"], "documento.pedir_boleto")
    assert [entry["phone"] for entry in replies] == [SIM_PHONE] * len(replies)
    menu = replies[0]
    assert menu["style"] == "list"
    assert menu["options"][1] == {"id": "2", "title": "Suporte técnico", "description": ""}


def test_history_after_a_reply_id_returns_only_newer_replies(customer):
    customer.say("oi")
    first = customer.history()["replies"][-1]["id"]
    customer.say("1")

    newer = customer.history(after=first)
    unknown = customer.history(after="console-forgotten")

    assert newer["after_found"] is True
    assert [entry["text"] for entry in newer["replies"]] == customer.texts()[1:]
    assert unknown["after_found"] is False
    assert len(unknown["replies"]) == len(customer.texts())


def test_list_and_button_replies_drive_the_flow(customer):
    customer.say("oi")
    customer.post(
        listResponseMessage={"message": "", "title": "Suporte técnico", "selectedRowId": "2"}
    )
    customer.post(
        listResponseMessage={"message": "", "title": "Sem internet", "selectedRowId": "1"}
    )
    customer.say("628.194.821-12")

    question = customer.history()["replies"][-1]
    assert question["style"] == "buttons"
    assert [o["title"] for o in question["options"]] == [
        content.text("geral.sim"),
        content.text("geral.nao"),
    ]
    customer.post(buttonsResponseMessage={"buttonId": "2", "message": "Não"})
    assert customer.session()["state"] == "modem_restart"


def test_media_gets_the_text_only_answer(customer):
    customer.say("oi")
    customer.post(audio={"ptt": True, "seconds": 4, "audioUrl": "https://simulador.invalid/a.ogg"})

    assert says(customer.texts()[-1], "geral.so_texto")


def test_session_shows_state_and_protocol_without_the_full_document(customer):
    customer.say("oi")
    customer.say("1")
    customer.say(MARIA_CPF)

    session = customer.session()

    assert session["state"] == "anything_else"
    assert re.fullmatch(r"20261124\d{6}", session["protocol"])
    assert session["data"]["document_masked"].startswith("529.")
    assert "customer" not in session["data"]
    assert "52998224725" not in str(session)


def test_requests_stay_visible_by_protocol_after_the_session_ends(customer, console_client):
    for text in ["oi", "3", "69900-000", "sim"]:
        customer.say(text)
    protocol = customer.session()["protocol"]
    customer.say("sair")

    ended = customer.session(protocol=protocol)
    stranger = SimulatedCustomer(console_client, OTHER_SIM_PHONE).session(protocol=protocol)

    assert ended["state"] is None
    assert [(r["kind"], r["details"]) for r in ended["requests"]] == [
        ("coverage_interest", {"cep": "69900000"})
    ]
    assert stranger["requests"] == []


def test_reset_drops_the_session_and_the_history(customer, console_client):
    customer.say("oi")
    old_protocol = customer.session()["protocol"]

    response = console_client.post(f"/simulator/api/phones/{SIM_PHONE}/reset")

    assert response.get_json() == {"status": "reset", "phone": SIM_PHONE}
    assert customer.history()["replies"] == []
    assert customer.session()["state"] is None
    customer.say("1")
    assert says(customer.texts()[0], "geral.saudacao")  # a new conversation, with a greeting
    assert customer.session()["protocol"] != old_protocol


@pytest.mark.parametrize("phone", [CUSTOMER_PHONE, "550099999000", "55009999900011", "abc"])
def test_api_refuses_phones_outside_the_reserved_range(console_client, phone):
    for url in (f"/simulator/api/phones/{phone}/history", f"/simulator/api/phones/{phone}/session"):
        response = console_client.get(url)
        assert response.status_code == 400
        assert "5500" in response.get_json()["detail"]
    assert console_client.post(f"/simulator/api/phones/{phone}/reset").status_code == 400


# --- Next to a real Z-API instance ----------------------------------------------------------
ADMIN_TOKEN = "admin-token-for-the-simulator-0001"


@pytest.fixture
def zapi_simulator_app(config, clock, zapi):
    app = create_app(replace(config, simulator_enabled=True, admin_token=ADMIN_TOKEN), clock=clock)
    app.config.update(TESTING=True)
    yield app
    app.extensions["theo"].records.dispose()


@pytest.fixture
def zapi_simulator_client(zapi_simulator_app):
    """A client that sends the admin token, as the page does once it was typed."""
    client = zapi_simulator_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {ADMIN_TOKEN}"
    return client


def test_with_zapi_and_the_flag_on_simulated_customers_never_reach_whatsapp(
    zapi_simulator_client, zapi
):
    simulated = SimulatedCustomer(zapi_simulator_client)

    assert simulated.webhook == "/simulator/api/webhook"  # the secret path stays on the server
    assert simulated.say("oi") == {"status": "queued"}
    assert zapi.sent == []
    assert says(simulated.texts()[0], "geral.saudacao")

    real = zapi_simulator_client.post(WEBHOOK_PATH, json=load_fixture("text_message"))
    assert real.get_json() == {"status": "queued"}
    assert [message.body["phone"] for message in zapi.sent] == [CUSTOMER_PHONE]
    history = zapi_simulator_client.get(f"/simulator/api/phones/{CUSTOMER_PHONE}/history")
    assert history.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        load_fixture("text_message"),
        {**load_fixture("text_message"), "phone": "5500999990001-group"},
        {"type": "ReceivedCallback", "messageId": "X"},
        ["not", "an", "object"],
    ],
)
def test_relay_refuses_anything_but_simulator_phones(zapi_simulator_client, zapi, body):
    response = zapi_simulator_client.post("/simulator/api/webhook", json=body)

    assert response.status_code == 400
    assert "5500" in response.get_json()["detail"]
    assert zapi.sent == []


@pytest.mark.parametrize("body", [b"[" * 30_000 + b"]" * 30_000, b"{oops", b"\xff\xfe"])
def test_relay_answers_400_to_bodies_that_are_not_json(zapi_simulator_client, zapi, body):
    response = zapi_simulator_client.post(
        "/simulator/api/webhook", data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert zapi.sent == []


def test_relay_runs_the_real_webhook_checks(zapi_simulator_client):
    simulated = SimulatedCustomer(zapi_simulator_client)
    callback = {
        "type": "ReceivedCallback",
        "messageId": "SIM-DUPLICATE",
        "phone": SIM_PHONE,
        "text": {"message": "oi"},
    }

    first = zapi_simulator_client.post(simulated.webhook, json=callback)
    again = zapi_simulator_client.post(simulated.webhook, json=callback)
    other_instance = zapi_simulator_client.post(
        simulated.webhook, json={**callback, "messageId": "SIM-2", "instanceId": "OTHER"}
    )

    assert first.get_json() == {"status": "queued"}
    assert again.get_json() == {"status": "duplicate"}
    assert other_instance.status_code == 403


SIMULATOR_API = [
    ("get", f"/simulator/api/phones/{SIM_PHONE}/history"),
    ("get", f"/simulator/api/phones/{SIM_PHONE}/session"),
    ("post", f"/simulator/api/phones/{SIM_PHONE}/reset"),
    ("post", "/simulator/api/webhook"),
]


def relayed_callback(number: int, phone: str = SIM_PHONE) -> dict:
    return {
        "type": "ReceivedCallback",
        "messageId": f"SIM-LIMIT-{number}",
        "phone": phone,
        "text": {"message": "52998224725"},
    }


@pytest.mark.parametrize(("method", "path"), SIMULATOR_API)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": ADMIN_TOKEN}],
    ids=["none", "wrong", "no-scheme"],
)
def test_with_zapi_the_simulator_api_needs_the_admin_token(
    zapi_simulator_app, zapi, method, path, headers
):
    client = zapi_simulator_app.test_client()

    response = getattr(client, method)(path, json=relayed_callback(1), headers=headers)

    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert zapi_simulator_app.extensions["theo"].sessions.get(SIM_PHONE) is None


def test_with_zapi_the_page_asks_for_the_token_and_the_api_answers_with_it(zapi_simulator_app):
    anonymous = zapi_simulator_app.test_client()

    attributes = page_attributes(anonymous)
    simulated = SimulatedCustomer(anonymous)
    anonymous.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {ADMIN_TOKEN}"

    assert attributes["data-token-required"] == "true"
    assert ADMIN_TOKEN not in anonymous.get("/simulator").get_data(as_text=True)
    assert simulated.say("oi") == {"status": "queued"}
    assert says(simulated.texts()[0], "geral.saudacao")


def test_console_mode_needs_no_token(console_client, customer):
    assert page_attributes(console_client)["data-token-required"] == "false"
    assert customer.say("oi") == {"status": "queued"}


def test_the_page_script_sends_the_token_kept_for_the_tab(console_client):
    script = console_client.get("/simulator/static/simulator.js").get_data(as_text=True)

    assert "sessionStorage" in script and "Authorization" in script


@pytest.mark.parametrize("path", ["/simulator", f"/simulator/api/phones/{SIM_PHONE}/history"])
def test_with_zapi_and_no_admin_token_the_simulator_is_refused(config, clock, zapi, path):
    app = create_app(replace(config, simulator_enabled=True), clock=clock)
    client = app.test_client()

    assert client.get(path).status_code == 404
    assert client.post("/simulator/api/webhook", json=relayed_callback(1)).status_code == 404
    assert app.extensions["theo"].sessions.get(SIM_PHONE) is None
    app.extensions["theo"].records.dispose()


def test_the_relay_is_rate_limited_per_client_address(zapi_simulator_client):
    allowed = rate_limits.SIMULATOR_RELAY_PER_MINUTE
    phones = (f"5500{n:09d}" for n in itertools.count(1))  # a new customer for every lookup

    codes = [
        zapi_simulator_client.post(
            "/simulator/api/webhook", json=relayed_callback(n, next(phones))
        ).status_code
        for n in range(allowed + 5)
    ]
    elsewhere = zapi_simulator_client.post(
        "/simulator/api/webhook",
        json=relayed_callback(999, next(phones)),
        environ_overrides={"REMOTE_ADDR": "198.51.100.7"},
    )

    assert codes[:allowed] == [200] * allowed
    assert codes[allowed:] == [429] * 5
    assert elsewhere.status_code == 200


def test_wrong_tokens_on_the_simulator_api_are_rate_limited(zapi_simulator_app):
    client = zapi_simulator_app.test_client()
    wrong = {"Authorization": "Bearer wrong-token-0123456789"}
    path = f"/simulator/api/phones/{SIM_PHONE}/history"

    codes = [client.get(path, headers=wrong).status_code for _ in range(61)]

    assert codes[:60] == [401] * 60
    assert codes[60] == 429


# --- Pieces ---------------------------------------------------------------------------
class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Reply]]] = []

    def send(self, phone: str, replies) -> list[str]:
        self.sent.append((phone, list(replies)))
        return ["real-1"]


def test_router_sends_reserved_phones_to_the_console_and_others_to_the_real_sender():
    real = RecordingSender()
    router = simulator.route_simulated_phones(real)

    router.send(SIM_PHONE, [Reply("para o simulador")])
    ids = router.send(CUSTOMER_PHONE, [Reply("para o WhatsApp")])

    assert ids == ["real-1"]
    assert [phone for phone, _ in real.sent] == [CUSTOMER_PHONE]
    assert [entry["text"] for entry in router.console.history(SIM_PHONE)] == ["para o simulador"]
    assert simulator.console_of(router) is router.console


def test_console_of_finds_the_console_sender_only_where_there_is_one():
    console = ConsoleSender()

    assert simulator.console_of(console) is console
    assert simulator.console_of(RecordingSender()) is None


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("5500999990001", True),
        ("5500123456789", True),
        ("5511987650001", False),
        ("550099999000", False),
        ("81896604192873@lid", False),
        ("5500999990001-group", False),
        ("5500９９９９９０００１", False),  # full-width digits are not digits of a phone
        ("5500٩٩٩٩٩٠٠٠١", False),
    ],
)
def test_reserved_simulator_phones(phone, expected):
    assert simulator.is_simulator_phone(phone) is expected


def test_enabled_in_console_mode_or_by_the_flag_with_an_admin_token(config):
    console = load_config(environ={})

    assert simulator.is_enabled(console)
    assert not simulator.is_enabled(config)
    assert not simulator.is_enabled(replace(config, simulator_enabled=True))
    assert simulator.is_enabled(replace(config, simulator_enabled=True, admin_token=ADMIN_TOKEN))


def test_flag_is_read_from_the_environment():
    assert load_config(environ={"SIMULATOR_ENABLED": "true"}).simulator_enabled is True
    assert load_config(environ={}).simulator_enabled is False
