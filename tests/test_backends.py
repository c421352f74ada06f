"""Theo's flows answering from each backend, and what happens when the backend fails.

The IXC tests run the whole app (webhook → flows → adapter) against a real HTTP
fake of the IXC webservice on loopback (tests/ixc_fake.py).
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from app import create_app
from business_data import BackendUnavailable, Customer, Invoice, load_business_data
from config import ConfigError, load_config
from conftest import CUSTOMER_PHONE, MARIA_PHONE, SAO_PAULO, Chat, says, shows_menu, zapi_config
from csv_import import import_csv
from ixc_fake import TOKEN, FakeIxcServer, contract_id

MARIA_CPF = "529.982.247-25"
JOSE_CPF = "186.091.390-34"
JOSE_PHONE = "5511912340002"
PAULISTA_CPF = "628.194.821-12"
PAULISTA_PHONE = "5511912340003"
TODAY = date(2026, 11, 24)  # conftest's clock


# --- Configuration --------------------------------------------------------------------
def test_an_unknown_backend_is_refused_by_name():
    with pytest.raises(ConfigError, match="BUSINESS_BACKEND"):
        load_config(environ={"BUSINESS_BACKEND": "sap"})


@pytest.mark.parametrize(
    "environ, variable",
    [
        ({}, "IXC_BASE_URL"),
        ({"IXC_BASE_URL": "https://erp.x.com.br"}, "IXC_TOKEN"),
        ({"IXC_BASE_URL": "https://erp.x.com.br", "IXC_TOKEN": "abc"}, "IXC_TOKEN"),
        ({"IXC_BASE_URL": "https://erp.x.com.br", "IXC_TOKEN": TOKEN}, "IXC_VISIT_SUBJECT_ID"),
    ],
)
def test_ixc_without_what_it_needs_stops_the_start(environ, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config(environ={"BUSINESS_BACKEND": "ixc", **environ})


# --- A backend out of reach -------------------------------------------------------------
class Failing:
    """The demo data, with chosen methods failing like an ERP outage."""

    def __init__(self, *failing: str) -> None:
        self.data = load_business_data()
        self.failing = set(failing)

    def __getattr__(self, name: str):
        if name in self.failing:

            def fail(*args: object, **kwargs: object) -> None:
                raise BackendUnavailable("ERP timed out")

            return fail
        return getattr(self.data, name)


def chat_with(business, tmp_path, clock, zapi, phone: str = MARIA_PHONE) -> Chat:
    app = create_app(zapi_config(tmp_path / "theo.sqlite3"), business=business, clock=clock)
    return Chat(app.test_client(), zapi, phone)


def test_an_erp_outage_is_said_recorded_and_offers_the_attendant(tmp_path, clock, zapi):
    chat = chat_with(Failing("find_customer"), tmp_path, clock, zapi)
    chat.say("oi")
    chat.say("segunda via")

    answer = chat.say(MARIA_CPF)

    assert says(answer, "sistema.indisponivel", protocolo=chat.protocol())
    assert shows_menu(answer, "sistema_fora", question=False)  # again, attendant or menu
    [record] = chat.records()
    assert record.kind == "system_unavailable"
    assert record.details["state"] == "boleto_document"
    assert "529.982.247-25" not in str(record.details)  # scrubbed
    assert chat.state() == "backend_down"


def test_after_an_outage_trying_again_asks_the_question_again(tmp_path, clock, zapi):
    business = Failing("find_customer")
    chat = chat_with(business, tmp_path, clock, zapi)
    chat.say("oi")
    chat.say("segunda via")
    chat.say(MARIA_CPF)
    business.failing.clear()  # the ERP is back

    assert says(chat.say("vou tentar de novo"), "documento.pedir_boleto")
    assert says(chat.say(MARIA_CPF), "boleto.varias_faturas")


def test_after_an_outage_the_attendant_can_be_chosen(tmp_path, clock, zapi):
    chat = chat_with(Failing("find_customer"), tmp_path, clock, zapi)
    chat.say("oi")
    chat.say("segunda via")
    chat.say(MARIA_CPF)

    chat.say("2")

    assert chat.state() == "human"
    assert [r.kind for r in chat.records()] == ["system_unavailable", "handoff"]


def test_an_erp_outage_on_the_first_message_still_answers(tmp_path, clock, zapi):
    chat = chat_with(Failing("find_customer"), tmp_path, clock, zapi)

    answer = chat.say(f"quero a segunda via do boleto, cpf {MARIA_CPF}")

    assert says(answer, "sistema.indisponivel", protocolo=chat.protocol())


def test_a_service_order_the_erp_misses_is_kept_in_theos_records(tmp_path, clock, zapi):
    chat = chat_with(Failing("open_service_order"), tmp_path, clock, zapi)
    chat.say("oi")
    chat.say("meu modem não liga")
    chat.say("não ligou")
    chat.say(MARIA_CPF)

    answer = chat.say("manhã")

    assert says(answer, "visita.confirmada", periodo="manhã")
    [visit] = chat.records()
    assert visit.kind == "visit" and visit.details["erp_order"] == ""


# --- Payment codes and the PDF ------------------------------------------------------------
class Altered:
    """The demo data with Maria's invoices changed by `change`."""

    def __init__(self, change) -> None:
        self.data = load_business_data()
        self.change = change

    def __getattr__(self, name: str):
        return getattr(self.data, name)

    def open_invoices(self, customer: Customer) -> list[Invoice]:
        return [self.change(invoice) for invoice in self.data.open_invoices(customer)]


def boleto_for_maria(chat: Chat) -> str:
    chat.say("oi")
    chat.say("segunda via")
    return chat.say(MARIA_CPF)


def broken_digit(line: str) -> str:
    return line[:-1] + str((int(line[-1]) + 1) % 10)


def test_a_linha_digitavel_with_wrong_check_digits_is_never_shown(tmp_path, clock, zapi, caplog):
    def damaged(invoice: Invoice) -> Invoice:
        return dataclasses.replace(invoice, barcode_line=broken_digit(invoice.barcode_line))

    chat = chat_with(Altered(damaged), tmp_path, clock, zapi)
    answer = boleto_for_maria(chat)

    originals = [i.barcode_line for i in load_business_data().find_customer(MARIA_CPF).invoices]
    for line in originals:
        assert line not in answer and broken_digit(line) not in answer
    assert "00020126" in answer  # the PIX code passed its check and is shown
    assert says(answer, "boleto.so_pix")
    assert "refused" in caplog.text
    assert broken_digit(originals[0]) not in caplog.text  # logged masked


def test_no_valid_code_and_no_pdf_offers_the_attendant(tmp_path, clock, zapi):
    def damaged(invoice: Invoice) -> Invoice:
        return dataclasses.replace(
            invoice, barcode_line="1" * 47, pix_code=invoice.pix_code[:-4] + "0000", pdf_url=""
        )

    chat = chat_with(Altered(damaged), tmp_path, clock, zapi)
    answer = boleto_for_maria(chat)

    assert says(answer, "boleto.sem_codigos")  # the attendant sends the boleto instead
    assert "1" * 47 not in answer


def test_a_pdf_from_the_backend_is_sent_as_a_whatsapp_document(tmp_path, clock, zapi):
    pdf = "data:application/pdf;base64," + base64.b64encode(b"%PDF-1.4 boleto").decode()

    def with_pdf(invoice: Invoice) -> Invoice:
        return dataclasses.replace(invoice, pdf_url=pdf)

    chat = chat_with(Altered(with_pdf), tmp_path, clock, zapi)
    boleto_for_maria(chat)

    documents = [m for m in zapi.history if m.endpoint == "send-document/pdf"]
    assert [d.body["fileName"] for d in documents] == ["boleto-2026-10", "boleto-2026-12"]
    assert documents[0].body["document"] == pdf
    texts = [m.body.get("message", "") for m in zapi.history]
    assert not any("base64" in text for text in texts)  # never pasted into the chat


# --- IXC Provedor, end to end ------------------------------------------------------------
@pytest.fixture
def ixc() -> Iterator[FakeIxcServer]:
    with FakeIxcServer(today=TODAY) as server:
        yield server


@pytest.fixture
def ixc_app(ixc, tmp_path, clock, zapi):
    config = zapi_config(
        tmp_path / "theo.sqlite3",
        business_backend="ixc",
        ixc_base_url=ixc.base_url,
        ixc_token=TOKEN,
        ixc_visit_subject_id="17",
        ixc_ticket_subject_id="18",
        ixc_sector_id="4",
        ixc_timeout_seconds=2.0,
    )
    app = create_app(config, clock=clock)
    yield app
    app.extensions["theo"].records.dispose()


def test_ixc_boleto_with_pix_and_pdf(ixc_app, zapi, ixc):
    chat = Chat(ixc_app.test_client(), zapi, MARIA_PHONE)
    chat.say("oi")
    chat.say("2 via")

    answer = chat.say("52998224725")

    assert says(answer, "boleto.varias_faturas", total=2)
    assert "99991000021230020261600000012302115950000009990" in answer
    assert "br.gov.bcb.pix" in answer
    assert [m.endpoint for m in zapi.history].count("send-document/pdf") == 2
    assert ixc.calls("get_pix") and ixc.calls("get_boleto")


def test_ixc_customer_not_found(ixc_app, zapi):
    chat = Chat(ixc_app.test_client(), zapi, MARIA_PHONE)
    chat.say("oi")
    chat.say("segunda via")

    answer = chat.say("123.456.789-09")

    assert says(answer, "documento.nao_cadastrado", documento="123.***.***-09")


def test_ixc_blocked_contract_gets_the_trust_unlock(ixc_app, zapi, ixc):
    chat = Chat(ixc_app.test_client(), zapi, JOSE_PHONE)
    chat.say("oi")
    chat.say("to sem internet")
    offer = chat.say(JOSE_CPF)

    answer = chat.say("sim")

    assert says(offer, "suporte.suspenso", documento="186.***.***-34")
    assert says(answer, "desbloqueio.feito")
    [unlock] = ixc.calls("desbloqueio_confianca")
    assert unlock["body"]["id"] == contract_id("CLI-000207")
    assert chat.records()[-1].details["outcome"] == "unlocked"


def test_ixc_refused_trust_unlock_is_explained(ixc_app, zapi, ixc):
    ixc.refuse_unlock(contract_id("CLI-000207"), "Limite de desbloqueios atingido")
    chat = Chat(ixc_app.test_client(), zapi, JOSE_PHONE)
    chat.say("oi")
    chat.say("sem internet")
    chat.say(JOSE_CPF)

    answer = chat.say("sim")

    assert says(answer, "desbloqueio.nao_permitido")
    assert chat.records()[-1].details["outcome"] in ("refused", "already")


def test_ixc_online_connection_points_inside_the_home(ixc_app, zapi):
    chat = Chat(ixc_app.test_client(), zapi, MARIA_PHONE)
    chat.say("oi")
    chat.say("sem internet")

    answer = chat.say(MARIA_CPF)

    assert says(answer, "suporte.conexao_online")
    assert chat.state() == "modem_restart"


def test_ixc_visit_opens_a_service_order_with_the_protocol(ixc_app, zapi, ixc):
    chat = Chat(ixc_app.test_client(), zapi, PAULISTA_PHONE)
    chat.say("oi")
    chat.say("meu modem não liga")
    chat.say("nao")
    chat.say(PAULISTA_CPF)

    chat.say("tarde")

    [order] = ixc.orders
    assert order["id_assunto"] == "17"
    assert chat.protocol() in order["mensagem"]
    assert "tarde" in order["mensagem"]
    [visit] = chat.records()
    assert visit.details["erp_order"] == order["id"]


def test_ixc_down_gives_the_unavailable_answer_quickly(ixc_app, zapi, ixc):
    chat = Chat(ixc_app.test_client(), zapi, MARIA_PHONE)
    chat.say("oi")
    chat.say("segunda via")
    ixc.down()

    answer = chat.say(MARIA_CPF)

    assert says(answer, "sistema.indisponivel", protocolo=chat.protocol())
    ixc.up()
    chat.say("tentar de novo")
    assert says(chat.say(MARIA_CPF), "boleto.varias_faturas")


def test_ixc_html_page_instead_of_json_is_an_outage_not_a_crash(ixc_app, zapi, ixc):
    ixc.html()
    chat = Chat(ixc_app.test_client(), zapi, CUSTOMER_PHONE)
    chat.say("oi")
    chat.say("segunda via")

    assert says(chat.say(MARIA_CPF), "sistema.indisponivel")


def test_ixc_a_passing_500_is_retried_without_the_customer_noticing(ixc_app, zapi, ixc):
    chat = Chat(ixc_app.test_client(), zapi, MARIA_PHONE)
    chat.say("oi")
    chat.say("segunda via")
    ixc.fail_with(500, times=1)

    assert says(chat.say(MARIA_CPF), "boleto.varias_faturas")


# --- IXC: the WhatsApp number, open visits, loyalty ---------------------------------------
@pytest.mark.parametrize("request_text", ["tenho fidelidade?", "qto é a multa pra cancelar"])
def test_ixc_loyalty_for_the_account_found_by_the_number(ixc_app, zapi, request_text):
    ana = Chat(ixc_app.test_client(), zapi, PAULISTA_PHONE)

    answer = ana.say(request_text)
    assert says(answer, "identidade_numero.um") and "Ana Beatriz" not in answer
    answer = ana.say("1")

    assert says(answer, "conta.resumo", plano="300 MEGA", valor="R$ 89,90")
    # IXC keeps the loyalty end, not the fee: the fee is never invented.
    assert says(answer, "conta.fidelidade_multa_desconhecida", data="30/06/2027")


def test_ixc_loyalty_over_and_no_loyalty_data(ixc_app, zapi, ixc):
    maria = Chat(ixc_app.test_client(), zapi, MARIA_PHONE)
    maria.say("quanto eu pago?? e a fidelidade")
    assert says(maria.say("sim"), "conta.fidelidade_encerrada", data="10/03/2026")

    contract = ixc.record("cliente_contrato", contract_id("CLI-000245"))
    contract.update(fidelidade="0", data_expiracao="0000-00-00")
    bakery = Chat(ixc_app.test_client(), zapi, "5511912340004")
    bakery.say("tem fidelidade no meu contrato?")
    assert says(bakery.say("1"), "conta.fidelidade_desconhecida")


@pytest.mark.parametrize(
    "request_text", ["o técnico vem que horas?", "a visita ta marcada pra qnd?", "cade o tecnico"]
)
def test_ixc_open_visit_of_the_erp(ixc_app, zapi, ixc, request_text):
    ana = Chat(ixc_app.test_client(), zapi, PAULISTA_PHONE)
    ana.say(request_text)

    answer = ana.say("1")

    assert says(answer, "visitas.situacao") and "26/11/2026" in answer
    assert ixc.calls("su_oss_chamado")


def test_ixc_no_open_visit(ixc_app, zapi):
    maria = Chat(ixc_app.test_client(), zapi, MARIA_PHONE)
    maria.say("o tecnico nao veio")

    assert says(maria.say("1"), "visitas.nenhuma_aberta")


def test_ixc_phone_not_on_record_asks_the_document(ixc_app, zapi, ixc):
    stranger = Chat(ixc_app.test_client(), zapi, CUSTOMER_PHONE)

    answer = stranger.say("tenho fidelidade?")

    assert not says(answer, "identidade_numero.um")
    assert says(answer, "conta.pedir_documento")
    assert ixc.calls("cliente")  # asked, and nobody had the number


def test_ixc_number_without_the_ninth_digit_and_stored_as_typed(ixc_app, zapi, ixc):
    client = ixc.record("cliente", "388")
    client.update(telefone_celular="", whatsapp="", fone="+55 (11) 1234-0003")
    ana = Chat(ixc_app.test_client(), zapi, "551112340003")  # an old WhatsApp id
    ana.say("qual meu plano")

    assert says(ana.say("sim"), "conta.resumo", plano="300 MEGA")


def test_ixc_greeting_asks_the_number_only_during_an_outage(ixc_app, zapi, ixc, clock):
    ana = Chat(ixc_app.test_client(), zapi, PAULISTA_PHONE)
    ana.say("oi")
    ana.say("sair")
    assert not ixc.calls("cliente")  # no outage: the greeting costs the ERP nothing

    now = datetime.fromtimestamp(clock(), tz=SAO_PAULO)
    ixc_app.extensions["theo"].bot.outages.start(
        ("01415",), "Rompimento de fibra no Jardim Paulista", now + timedelta(hours=3), now
    )
    answer = ana.say("oi")

    assert says(answer, "massiva.saudacao_area", mensagem="Rompimento de fibra no Jardim Paulista")


# --- Spreadsheets imported into the database ------------------------------------------------
CSV_FOLDER = Path(__file__).parent / "fixtures" / "csv"
CSV_FILES = [("plans", "planos"), ("coverage", "cobertura"), ("customers", "clientes")]


@pytest.fixture
def csv_app(tmp_path, clock):
    config = zapi_config(tmp_path / "theo.sqlite3", business_backend="csv")
    app = create_app(config, clock=clock)
    engine = app.extensions["theo"].records.engine
    for kind, name in [*CSV_FILES, ("invoices", "faturas")]:
        assert import_csv(engine, kind, CSV_FOLDER / f"{name}.csv").ok
    yield app
    app.extensions["theo"].records.dispose()


def test_csv_backend_answers_from_the_imported_spreadsheets(csv_app, zapi):
    app = csv_app
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)
    chat.say("oi")
    chat.say("segunda via")

    answer = chat.say(MARIA_CPF)

    assert says(answer, "boleto.varias_faturas", total=2)
    assert "99991000021230020261600000012302115950000009990" in answer
    chat.say("sim")
    plans = chat.say("quero mudar de plano")  # her phone is on the imported record
    assert "1 Giga" in plans
    assert chat.state() == "change_choice"


@pytest.mark.parametrize("request_text", ["tenho fidelidade?", "qto é a multa pra cancelar"])
def test_csv_loyalty_for_the_account_found_by_the_number(csv_app, zapi, request_text):
    ana = Chat(csv_app.test_client(), zapi, PAULISTA_PHONE)

    assert says(ana.say(request_text), "identidade_numero.um")
    answer = ana.say("1")

    assert says(answer, "conta.fidelidade_com_multa", data="30/06/2027", multa="R$ 240,00")


def test_csv_without_loyalty_columns_and_an_unknown_number(csv_app, zapi, tmp_path):
    lines = (CSV_FOLDER / "clientes.csv").read_text(encoding="utf-8").splitlines()
    old = tmp_path / "clientes.csv"
    old.write_text("\n".join(";".join(line.split(";")[:8]) for line in lines), encoding="utf-8")
    assert import_csv(csv_app.extensions["theo"].records.engine, "customers", old).ok

    ana = Chat(csv_app.test_client(), zapi, PAULISTA_PHONE)
    ana.say("tenho fidelidade?")
    assert says(ana.say("1"), "conta.fidelidade_desconhecida")
    stranger = Chat(csv_app.test_client(), zapi, CUSTOMER_PHONE)
    assert not says(stranger.say("tenho fidelidade?"), "identidade_numero.um")


def test_csv_visits_are_theos_own(csv_app, zapi):
    ana = Chat(csv_app.test_client(), zapi, PAULISTA_PHONE)
    ana.say("o tecnico vem que horas?")

    assert says(ana.say("1"), "visitas.nenhuma_aberta")  # the spreadsheets carry no orders
