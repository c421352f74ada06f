"""The ops API: requests (filters, CSV, handled, paging), outages and handoffs."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from app import create_app
from conftest import MARIA_PHONE, Chat, says, shows_menu

ADMIN_TOKEN = "ops-token-0123456789abcdef"
MARIA_CPF = "529.982.247-25"  # CEP 01310-100
ANA_CPF = "628.194.821-12"  # CEP 01415-000
ANA_PHONE = "5511912340003"
PAULISTA_OUTAGE = {
    "cep_prefixes": ["01310"],
    "message": "Rompimento de fibra na Av. Paulista.",
    "expected_end": "2026-11-24T16:00:00-03:00",
}
# Every documented route with a harmless call: (method, path, JSON body).
ROUTES = [
    ("GET", "/admin/requests", None),
    ("GET", "/admin/requests.csv", None),
    ("POST", "/admin/requests/20261124000001/handled", None),
    ("POST", "/admin/outages", PAULISTA_OUTAGE),
    ("GET", "/admin/outages", None),
    ("DELETE", "/admin/outages/1", None),
    ("GET", "/admin/handoffs", None),
    ("POST", f"/admin/handoffs/{MARIA_PHONE}/release", None),
]


def bearer(token: str = ADMIN_TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def config(config):
    """The usual test configuration (conftest's `app` builds on it), with the ops token."""
    return replace(config, admin_token=ADMIN_TOKEN)


@pytest.fixture
def ops(client):
    """The ops API as the team calls it, with the token."""

    def call(method: str, path: str, **kwargs):
        return client.open(path, method=method, headers=bearer(), **kwargs)

    return call


def lead(chat: Chat, name: str = "Maria Aparecida Souza") -> str:
    """Record a lead through the conversation; its protocol."""
    chat.say("oi")
    chat.say("3")
    chat.say("01310-100")
    chat.say("2")
    chat.say(name)
    return chat.protocol()


# --- Authentication -------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_ops_route_wants_the_token(client, method, path, body):
    for headers in ({}, bearer("wrong-token"), {"Authorization": ADMIN_TOKEN}):
        response = client.open(path, method=method, json=body, headers=headers)
        assert response.status_code == 401, (path, headers)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_ops_route_answers_the_right_token(client, method, path, body):
    response = client.open(path, method=method, json=body, headers=bearer())

    assert response.status_code in (200, 201, 404, 409)  # 404/409: nothing of that id yet
    assert response.is_json or response.mimetype == "text/csv"


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_ops_route_is_off_without_a_token_configured(config, clock, zapi, method, path, body):
    app = create_app(replace(config, admin_token=""), clock=clock)  # ADMIN_TOKEN unset
    response = app.test_client().open(path, method=method, json=body, headers=bearer())
    assert response.status_code == 404


# --- Recorded requests ------------------------------------------------------------------------
def test_requests_show_the_contact_data_the_team_calls(client, zapi, ops):
    chat = Chat(client, zapi)
    protocol = lead(chat)

    [listed] = ops("GET", "/admin/requests").get_json()["requests"]

    assert listed["type"] == "lead" and listed["protocol"] == protocol
    assert listed["phone"] == chat.phone
    assert listed["details"]["name"] == "Maria Aparecida Souza"
    assert listed["details"]["cep"] == "01310100"
    assert listed["status"] == "open" and listed["handled_at"] is None


def test_requests_filter_by_type_status_and_since(client, zapi, ops, app):
    records = app.extensions["theo"].records
    records.record("visit", "20261124000001", "5511900000001", {"period": "manhã"})
    records.record("ticket", "20261124000002", "5511900000002", {"description": "senha"})
    records.record("handoff", "20261124000003", "5511900000003", {"reason": "menu"})
    ops("POST", "/admin/requests/20261124000002/handled")

    def types(query: str) -> list[str]:
        response = ops("GET", f"/admin/requests?{query}")
        assert response.status_code == 200, response.get_json()
        return [item["type"] for item in response.get_json()["requests"]]

    assert types("type=visit") == ["visit"]
    assert types("type=visit,handoff") == ["handoff", "visit"]
    assert types("type=visit&type=ticket") == ["ticket", "visit"]
    assert types("status=handled") == ["ticket"]
    assert types("status=open") == ["handoff", "visit"]
    assert types("since=2020-01-01") == ["handoff", "ticket", "visit"]
    assert types("since=2999-01-01T00:00:00-03:00") == []


@pytest.mark.parametrize(
    "query",
    [
        "kind=visit",  # an unknown parameter is not ignored
        "type=visita",
        "type=visit,",
        "status=aberto",
        "since=ontem",
        "since=2026-13-01",
        "limit=0",
        "limit=201",
        "limit=dez",
        "cursor=abc",
        "cursor=-1",
    ],
)
def test_bad_filters_are_a_400_saying_what_is_wrong(ops, query):
    response = ops("GET", f"/admin/requests?{query}")
    csv_response = ops("GET", f"/admin/requests.csv?{query}")

    if query == "type=visit,":
        assert response.status_code == 200  # a trailing comma names no kind: all of "visit"
        return
    assert response.status_code == 400
    assert csv_response.status_code == (200 if query == "limit=201" else 400)  # CSV: up to 10000
    body = response.get_json()
    assert body["error"] == "bad_request"
    assert query.split("=")[1].rstrip(",") in body["detail"] or "kind" in body["detail"]


def test_a_kind_added_by_another_feature_is_accepted(ops, monkeypatch):
    import records

    monkeypatch.setattr(records, "REQUEST_KINDS", (*records.REQUEST_KINDS, "billing"))

    assert ops("GET", "/admin/requests?type=billing").status_code == 200


def test_requests_are_paged_with_a_cursor(ops, app):
    records = app.extensions["theo"].records
    for number in range(5):
        records.record("ticket", f"2026112400000{number}", "5511900000001", {"n": number})

    first = ops("GET", "/admin/requests?limit=2").get_json()
    second = ops("GET", f"/admin/requests?limit=2&cursor={first['next_cursor']}").get_json()
    third = ops("GET", f"/admin/requests?limit=2&cursor={second['next_cursor']}").get_json()

    pages = [[item["details"]["n"] for item in page["requests"]] for page in (first, second, third)]
    assert pages == [[4, 3], [2, 1], [0]]
    assert third["next_cursor"] is None


def test_requests_as_csv(client, zapi, ops, app):
    chat = Chat(client, zapi)
    protocol = lead(chat)
    app.extensions["theo"].records.record(
        "ticket", "20261124000009", "5511900000001", {"description": "=HYPERLINK(1)"}
    )

    response = ops("GET", "/admin/requests.csv?type=lead,ticket")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["type"] for row in rows] == ["ticket", "lead"]
    assert rows[1]["protocol"] == protocol and rows[1]["phone"] == chat.phone
    assert "Maria Aparecida Souza" in rows[1]["details"]
    assert rows[0]["details"].startswith("{")  # JSON, never read as a formula


def test_a_request_is_marked_handled_once(ops, app):
    app.extensions["theo"].records.record("visit", "20261124000001", "5511900000001", {})

    marked = ops("POST", "/admin/requests/20261124000001/handled", json={"by": "Ana"})
    again = ops("POST", "/admin/requests/20261124000001/handled")
    unknown = ops("POST", "/admin/requests/20991231999999/handled")

    assert marked.status_code == 200 and marked.get_json()["marked"] == 1
    assert again.status_code == 409
    assert unknown.status_code == 404
    [item] = ops("GET", "/admin/requests").get_json()["requests"]
    assert item["status"] == "handled" and item["handled_by"] == "Ana" and item["handled_at"]


@pytest.mark.parametrize("body", ['{"by": 3}', '{"by": ""}', "[1]", "not json"])
def test_handled_with_a_bad_body_is_a_400(ops, app, body):
    app.extensions["theo"].records.record("visit", "20261124000001", "5511900000001", {})

    response = ops(
        "POST",
        "/admin/requests/20261124000001/handled",
        data=body,
        content_type="application/json",
    )

    assert response.status_code == 400 and response.get_json()["detail"]


# --- Outages ----------------------------------------------------------------------------------
def test_an_outage_is_registered_listed_and_ended(ops):
    started = ops("POST", "/admin/outages", json=PAULISTA_OUTAGE)

    assert started.status_code == 201
    outage = started.get_json()
    assert outage["id"] and outage["active"] and outage["cep_prefixes"] == ["01310"]
    [listed] = ops("GET", "/admin/outages?active=true").get_json()["outages"]
    assert listed["id"] == outage["id"] and listed["customers_told"] == 0

    ended = ops("DELETE", f"/admin/outages/{outage['id']}")

    assert ended.status_code == 200 and ended.get_json()["active"] is False
    assert ops("GET", "/admin/outages?active=true").get_json()["outages"] == []
    [kept, _demo_example] = ops("GET", "/admin/outages").get_json()["outages"]
    assert kept["id"] == outage["id"] and kept["ended_at"]  # the record stays


def test_outage_without_prefixes_is_everywhere_and_a_local_time_is_accepted(ops):
    body = {"message": "Falha geral.", "expected_end": "2026-11-24T18:00:00"}

    outage = ops("POST", "/admin/outages", json=body).get_json()

    assert outage["cep_prefixes"] == []
    assert outage["expected_end"] == "2026-11-24T21:00:00+00:00"  # São Paulo time


@pytest.mark.parametrize(
    "change",
    [
        {"cep_prefixes": "01310"},
        {"cep_prefixes": ["01a10"]},
        {"cep_prefixes": ["013101000"]},
        {"cep_prefixes": [1310]},
        {"message": ""},
        {"message": None},
        {"message": "x" * 1001},
        {"expected_end": "amanhã"},
        {"expected_end": None},
        {"ceps": ["01310"]},
    ],
)
def test_a_bad_outage_is_a_400_saying_what_is_wrong(ops, change):
    body = {key: value for key, value in {**PAULISTA_OUTAGE, **change}.items() if value is not None}
    if "ceps" in change:
        body.pop("cep_prefixes")

    response = ops("POST", "/admin/outages", json=body)

    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request" and response.get_json()["detail"]
    assert ops("GET", "/admin/outages?active=true").get_json()["outages"] == []


def test_an_outage_body_that_is_not_an_object_is_a_400(ops):
    response = ops("POST", "/admin/outages", data="[]", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["active=sim", "limit=0", "cursor=x", "ativo=true"])
def test_bad_outage_list_filters_are_a_400(ops, query):
    assert ops("GET", f"/admin/outages?{query}").status_code == 400


def test_ending_an_unknown_outage_is_a_404(ops):
    assert ops("DELETE", "/admin/outages/999").status_code == 404
    assert ops("DELETE", "/admin/outages/abc").status_code == 404
    assert ops("DELETE", "/admin/outages/" + "9" * 40).status_code == 404


# --- Outages in the conversation --------------------------------------------------------------
def test_customers_in_the_area_are_told_counted_and_told_when_it_is_back(client, zapi, ops):
    outage = ops("POST", "/admin/outages", json=PAULISTA_OUTAGE).get_json()
    maria = Chat(client, zapi, MARIA_PHONE)
    ana = Chat(client, zapi, ANA_PHONE)  # writes too, from outside the area

    maria.say("oi")
    maria.say("to sem internet")
    answer = maria.say(MARIA_CPF)
    ana.say("oi")
    ana.say("sem internet")
    ana.say(ANA_CPF)

    assert says(answer, "suporte.manutencao", mensagem=PAULISTA_OUTAGE["message"])
    assert maria.records() == []  # no ticket, no visit
    assert says(ana.answer, "suporte.luz_vermelha")  # outside the area: the diagnosis
    maria.say("menu")
    maria.say("sem internet")  # told again: counted once
    [listed] = ops("GET", "/admin/outages?active=true").get_json()["outages"]
    assert listed["customers_told"] == 1

    ended = ops("DELETE", f"/admin/outages/{outage['id']}").get_json()

    assert ended["customers_told"] == 1
    back = zapi.sent
    assert [message.body["phone"] for message in back] == [MARIA_PHONE]
    assert says(back[0].text, "massiva.voltou")
    zapi.take()
    assert ops("DELETE", f"/admin/outages/{outage['id']}").status_code == 409
    assert zapi.take() == []  # no second wave


def test_the_greeting_of_a_customer_told_mentions_the_outage(client, zapi, ops, clock):
    ops("POST", "/admin/outages", json=PAULISTA_OUTAGE)
    maria = Chat(client, zapi, MARIA_PHONE)
    maria.say("oi")
    maria.say("sem internet")
    maria.say(MARIA_CPF)
    maria.say("sair")
    clock.advance(3600)  # a new conversation

    answer = maria.say("oi")

    assert says(answer, "massiva.saudacao", mensagem=PAULISTA_OUTAGE["message"])
    assert shows_menu(answer, "principal")
    assert not says(Chat(client, zapi, ANA_PHONE).say("oi"), "massiva.saudacao")


def test_a_phone_on_record_in_the_area_hears_of_the_outage_at_the_greeting(client, zapi, ops):
    outage = ops("POST", "/admin/outages", json=PAULISTA_OUTAGE).get_json()
    on_record = Chat(client, zapi, MARIA_PHONE)  # on record, CEP 01310-100
    elsewhere = Chat(client, zapi, ANA_PHONE)  # on record, CEP 01415-000

    answer = on_record.say("oi")

    assert says(answer, "massiva.saudacao_area", mensagem=PAULISTA_OUTAGE["message"])
    assert shows_menu(answer, "principal")
    assert not says(elsewhere.say("oi"), "massiva.saudacao_area")
    zapi.take()
    ended = ops("DELETE", f"/admin/outages/{outage['id']}").get_json()
    assert ended["customers_told"] == 1
    assert [message.body["phone"] for message in zapi.sent] == [MARIA_PHONE]


def test_an_ended_outage_is_not_mentioned_any_more(client, zapi, ops, clock):
    outage = ops("POST", "/admin/outages", json=PAULISTA_OUTAGE).get_json()
    maria = Chat(client, zapi, MARIA_PHONE)
    maria.say("oi")
    maria.say("sem internet")
    maria.say(MARIA_CPF)
    maria.say("sair")
    ops("DELETE", f"/admin/outages/{outage['id']}")
    clock.advance(3600)

    assert not says(maria.say("oi"), "massiva.saudacao")
    answer = maria.say("sem internet")
    assert not says(answer, "suporte.manutencao")


# --- Handoffs ---------------------------------------------------------------------------------
def test_conversations_with_a_person_are_listed_and_handed_back(client, zapi, ops):
    maria = Chat(client, zapi, MARIA_PHONE)
    maria.say("oi")
    maria.say("atendente")
    Chat(client, zapi, ANA_PHONE).say("oi")  # with Theo: not listed

    [handoff] = ops("GET", "/admin/handoffs").get_json()["handoffs"]

    assert handoff["phone"] == MARIA_PHONE and handoff["protocol"] == maria.protocol()
    released = ops("POST", f"/admin/handoffs/{MARIA_PHONE}/release")
    assert released.status_code == 200
    assert ops("GET", "/admin/handoffs").get_json()["handoffs"] == []
    assert ops("POST", f"/admin/handoffs/{MARIA_PHONE}/release").status_code == 404


def test_handoffs_are_paged(client, zapi, ops, clock):
    phones = [f"55119000000{n:02d}" for n in range(3)]
    for phone in phones:
        chat = Chat(client, zapi, phone)
        chat.say("oi")
        chat.say("atendente")
        clock.advance(1)

    first = ops("GET", "/admin/handoffs?limit=2").get_json()
    second = ops("GET", f"/admin/handoffs?limit=2&cursor={first['next_cursor']}").get_json()

    listed = [item["phone"] for page in (first, second) for item in page["handoffs"]]
    assert listed == phones and second["next_cursor"] is None
    assert ops("GET", "/admin/handoffs?status=x").status_code == 400
