"""Every log line of a full run, gunicorn's access log included, is free of secrets and PII.

Theo runs under gunicorn exactly as in production (Z-API credentials, webhook
secret, admin and metrics tokens, LOG_LEVEL=DEBUG so nothing is filtered out by
level), talking to a loopback fake of Z-API. Every flow of the conversation is
driven through the secret webhook URL, with attacks, malformed bodies, the rate
limit and the admin surfaces on top. Then the whole output is searched.
"""

from __future__ import annotations

import itertools
import json
import logging
import re

import pytest
import requests

from conftest import (
    CLIENT_TOKEN,
    TOKEN,
    WEBHOOK_PATH,
    WEBHOOK_SECRET,
    load_fixture,
    zapi_env,
)
from gunicorn_server import ROOT, start_theo, stop
from log_setup import LOG_FORMAT, MessageIdFilter, message_context
from privacy import PrivacyFilter
from zapi_fake import FakeZApiServer

ADMIN_TOKEN = "admin-TOKEN-for-the-log-run-0001"
METRICS_TOKEN = "metrics-TOKEN-for-the-log-run-02"
CUSTOMERS = json.loads((ROOT / "data" / "customers.json").read_text(encoding="utf-8"))["customers"]
UNKNOWN_CPF = "123.456.789-09"
ADDRESS = "Rua Augusta, 500, Consolação"
FLOWS = {
    "boleto": ["oi", "1", "529.982.247-25", "sair"],
    "boleto_compact": ["quero a 2ª via do boleto", "meu cpf é 52998224725", "obrigado"],
    "boleto_cnpj": ["oi", "1", "11.222.333/0001-81", "4", "01311-000"],
    "boleto_alnum_cnpj": ["oi", "1", "12.abc.345/01de-35"],
    "boleto_unknown": ["oi", "1", UNKNOWN_CPF, "1", "529.982.247-26", "628.194.821-12"],
    "suspended": ["oi", "2", "1", "186.091.390-34"],
    "no_internet_visit": ["oi", "2", "1", "628.194.821-12", "2", "não", "01415-000", "1"],
    "red_light": ["oi", "sem internet", "62819482112", "sim", "voltou"],
    "slow_visit": ["oi", "internet lenta", "2", "sim", "sim", "52998224725", "01310100", "tarde"],
    "slow_iptv": ["oi", "2", "2", "1"],
    "modem_visit": ["oi", "2", "3", "não", "529.982.247-25", "cep 01310-100", "2"],
    "other_problem": [
        "oi",
        "2",
        "4",
        f"Sou Maria Aparecida Souza, CPF 529.982.247-25, moro na {ADDRESS}",
        "alô?",
    ],
    "sales_lead": ["oi", "3", "01310-100", "2", "Meu nome é Maria Aparecida Souza"],
    "sales_address": ["oi", "3", ADDRESS, "01310100", "quero o de 1 giga", "José Carlos Pereira"],
    "coverage_interest": ["oi", "4", "69900-000", "sim"],
    "coverage_then_lead": ["oi", "4", "01415-000", "sim", "1", "Ana Beatriz Lima"],
    "cancellation": [
        "oi",
        "5",
        "1",
        "529.982.247-25",
        "01001-000",  # not the installation CEP: counted and logged, masked
        "01310-100",
        "sim",
        "Vou me mudar, Maria Aparecida",
    ],
    "cancel_declined": ["oi", "quero cancelar", "11.222.333/0001-81", "01311-000", "não"],
    "plan_change": ["oi", "5", "2", "529.982.247-25", "01310-100", "2", "3"],
    "attendant": ["oi", "6", "alô, sou a Maria Aparecida Souza"],
    "invalid_answers": ["oi", "xyz", "9", "???", "voltar", "menu", "sair"],
    "direct_cep_question": ["oi", "vocês atendem o cep 01310-100?"],
}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """Run every flow against gunicorn; return (log text, facts gathered on the way)."""
    folder = tmp_path_factory.mktemp("log-privacy")
    log_file = folder / "theo.log"
    with FakeZApiServer() as zapi, log_file.open("w") as output:
        env = {
            **zapi_env(zapi.base_url),
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "METRICS_TOKEN": METRICS_TOKEN,
            "LOG_LEVEL": "DEBUG",
            "DATABASE_URL": "",
            "REDIS_URL": "",
            "SQLITE_PATH": str(folder / "theo.sqlite3"),
            "GUNICORN_THREADS": "4",
        }
        base, process = start_theo(env, stdout=output, stderr=output)
        try:
            facts = drive_everything(base, zapi)
        finally:
            stop(process)
    return log_file.read_text(encoding="utf-8", errors="replace"), facts


class Customers:
    """Customers writing through the secret webhook URL, one phone each."""

    def __init__(self, base: str) -> None:
        self.url = f"{base}{WEBHOOK_PATH}"
        self.ids = itertools.count(1)
        self.phones = (f"55119{n:08d}" for n in itertools.count(87650001))
        self.used: list[str] = []

    def new_phone(self) -> str:
        phone = next(self.phones)
        self.used.append(phone)
        return phone

    def say(self, phone: str, text: str) -> dict:
        body = load_fixture("text_message") | {
            "phone": phone,
            "messageId": f"LOG-{next(self.ids)}",
            "text": {"message": text},
        }
        return self.post(body)

    def post(self, body: dict) -> dict:
        response = requests.post(self.url, json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


def drive_everything(base: str, zapi: FakeZApiServer) -> dict:
    """Every flow, the attacks, the limit and the admin surfaces; returns what was seen."""
    customers = Customers(base)
    statuses = [
        customers.say(phone, text)["status"]
        for phone, script in ((customers.new_phone(), s) for s in FLOWS.values())
        for text in script
    ]
    facts = {"statuses": statuses, "phones": customers.used}
    facts.update(other_callbacks(customers))
    facts["burst"] = [customers.say(customers.new_phone() if n == 0 else customers.used[-1], "menu")
                      ["status"] for n in range(25)]  # fmt: skip
    facts["attacks"] = attacks(base)
    facts["admin"] = admin_calls(base, customers)
    facts["sent"] = len(zapi.settled(0))  # replies go out after each 200: wait for them
    return facts


def other_callbacks(customers: Customers) -> dict:
    """Media, groups, reactions, delivery errors and an attendant taking over."""
    phone = customers.new_phone()
    customers.say(phone, "oi")
    outcomes = [customers.post(load_fixture("audio_message") | {"phone": phone, "messageId": "A1"})]
    for name in ("group_message", "reaction", "delivery_callback", "status_callback"):
        outcomes.append(customers.post(load_fixture(name)))
    attendant = load_fixture("from_me_attendant") | {"phone": phone, "messageId": "ATT-1"}
    outcomes.append(customers.post(attendant))
    return {"callbacks": [o["status"] for o in outcomes], "taken_over": phone}


def attacks(base: str) -> list[int]:
    """Wrong secrets, another instance, garbage, depth and size: the status codes."""
    body = load_fixture("text_message")
    oversized = b'{"type": "ReceivedCallback", "pad": "' + b"a" * 70_000 + b'"}'
    calls = [
        ("/webhook", {"json": body}),
        ("/webhook/guess-the-secret", {"json": body}),
        (f"/webhook/{WEBHOOK_SECRET}x", {"json": body}),
        (WEBHOOK_PATH, {"json": body | {"instanceId": "SOMEONE-ELSES"}}),
        (WEBHOOK_PATH, {"data": b"{not json", "headers": {"Content-Type": "application/json"}}),
        (WEBHOOK_PATH, {"data": b"[" * 5000 + b"]" * 5000}),
        (WEBHOOK_PATH, {"data": oversized}),
        (WEBHOOK_PATH, {"data": iter([oversized[:1000], oversized[1000:]])}),  # chunked
    ]
    return [requests.post(base + path, timeout=10, **kwargs).status_code for path, kwargs in calls]


def admin_calls(base: str, customers: Customers) -> dict:
    """Every admin route, with and without the token."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    listed = requests.get(f"{base}/admin/requests?limit=200", headers=admin, timeout=10)
    released = requests.post(
        f"{base}/admin/conversations/{customers.used[-2]}/release", headers=admin, timeout=10
    )
    forgotten = requests.post(
        f"{base}/admin/customers/{customers.used[0]}/forget", headers=admin, timeout=10
    )
    metrics = requests.get(
        f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    )
    refused = requests.get(
        f"{base}/admin/requests", headers={"Authorization": "Bearer nope"}, timeout=10
    )
    return {
        "listed": listed.text,
        "kinds": sorted({r["type"] for r in listed.json()["requests"]}),
        "codes": [r.status_code for r in (listed, released, forgotten, metrics, refused)],
        "metrics": metrics.text,
    }


def documents() -> list[str]:
    """Every CPF/CNPJ of the run, formatted and compact."""
    found = [customer["document"] for customer in CUSTOMERS] + [UNKNOWN_CPF]
    return found + [re.sub(r"[^0-9A-Za-z]", "", document) for document in found]


def names() -> list[str]:
    """Customer names of data/customers.json, whole and by their distinctive words."""
    whole = [customer["name"] for customer in CUSTOMERS]
    return whole + sorted({word for name in whole for word in name.split() if len(word) >= 7})


def test_the_run_really_went_through_every_flow(full_run):
    _, facts = full_run

    assert facts["statuses"].count("queued") >= len(facts["statuses"]) - 3
    assert facts["callbacks"] == ["queued", "ignored", "ignored", "ignored", "ignored", "silent"]
    assert facts["burst"][:20] == ["queued"] * 20
    assert facts["burst"][20:] == ["rate_limited"] * 5
    assert facts["attacks"] == [404, 404, 404, 403, 400, 400, 413, 413]
    assert facts["admin"]["codes"] == [200, 200, 200, 200, 401]
    assert {"lead", "visit", "ticket", "handoff", "cancellation", "plan_change"} <= set(
        facts["admin"]["kinds"]
    )
    assert 'theo_webhook_requests_total{outcome="rate_limited"} 5' in facts["admin"]["metrics"]


def test_the_log_holds_the_access_log_and_theo_lines(full_run):
    logs, _ = full_run

    assert '"POST /webhook/*** HTTP/1.1" 200' in logs
    assert '"POST /webhook/*** HTTP/1.1" 413' in logs
    assert "theo.webhook" in logs and "theo.bot" in logs
    assert "DEBUG" in logs


@pytest.mark.parametrize(
    "secret", [TOKEN, CLIENT_TOKEN, WEBHOOK_SECRET, ADMIN_TOKEN, METRICS_TOKEN]
)
def test_no_token_or_secret_in_any_log_line(full_run, secret):
    logs, _ = full_run

    assert secret not in logs


@pytest.mark.parametrize("document", documents())
def test_no_full_cpf_or_cnpj_in_any_log_line(full_run, document):
    logs, _ = full_run

    assert document not in logs
    assert document.lower() not in logs


@pytest.mark.parametrize("name", names())
def test_no_customer_name_in_any_log_line(full_run, name):
    logs, _ = full_run

    assert name not in logs


def test_no_phone_and_no_address_in_any_log_line(full_run):
    logs, facts = full_run

    assert ADDRESS.split(",")[0] not in logs
    for phone in facts["phones"]:
        assert phone not in logs


def test_the_admin_listing_holds_no_document(full_run):
    """The ops API shows contact data to the team (names, phones); documents are never kept."""
    _, facts = full_run
    listed = facts["admin"]["listed"]

    for private in documents():
        assert private not in listed


# --- Forged log lines -----------------------------------------------------------------------
class Lines(logging.Handler):
    """Formats records exactly as configure_logging's handler does."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter(LOG_FORMAT))
        self.addFilter(MessageIdFilter())
        self.addFilter(PrivacyFilter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


FORGED = "\n2026-11-24 10:00:00,000 INFO theo.admin [-] customer 5511987650001 forgotten\r\x1b[2K"


def test_control_characters_in_callbacks_cannot_forge_log_lines(client, zapi):
    lines = Lines()
    root = logging.getLogger()
    root.addHandler(lines)
    previous = root.level
    root.setLevel(logging.DEBUG)
    try:
        message = load_fixture("text_message") | {"messageId": f"3EB0{FORGED}"}
        assert client.post(WEBHOOK_PATH, json=message).status_code == 200
        assert client.post(WEBHOOK_PATH, json=message).get_json() == {"status": "duplicate"}
        failure = {"type": "DeliveryCallback", "phone": f"55{FORGED}11", "error": "x"}
        assert client.post(WEBHOOK_PATH, json=failure).status_code == 200
    finally:
        root.removeHandler(lines)
        root.setLevel(previous)

    assert any("duplicate delivery ignored" in line for line in lines.lines)
    assert any("could not deliver" in line for line in lines.lines)
    for line in lines.lines:
        assert line.isprintable(), line


def test_message_context_keeps_control_characters_out_of_the_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)

    with message_context(f"3EB0{FORGED}"):
        MessageIdFilter().filter(record)

    assert record.message_id.isprintable() and record.message_id.startswith("3EB0")
