"""Tests for ixc: IXC answers mapped to Theo's data, retries, breaker, cache and privacy.

Answer shapes and HTTP faults use `responses` (it replays urllib3's status retries);
connection refused, read timeouts and end-to-end behaviour use the loopback fake of
tests/ixc_fake.py, seeded with the demo customers of data/customers.json.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from responses import matchers

import ixc
import ixc_client
from business_data import BackendUnavailable, Customer, Invoice, load_business_data
from ixc import IxcBusinessData, IxcSettings
from ixc_fake import TOKEN as FAKE_TOKEN
from ixc_fake import VISIT_SUBJECT, FakeIxcServer, contract_id

BASE = "https://erp.startconecta.test"
API = f"{BASE}/webservice/v1/"
TOKEN = "42:9f8e7d6c5b4a39281706f5e4d3c2b1a0"
SECRET = TOKEN.split(":")[1]
TODAY = date(2026, 11, 24)
PROTOCOL = "20261124000042"
# Personal data of the demo customers: none of it may reach a log line unmasked.
PERSONAL = (
    "529.982.247-25",
    "52998224725",
    "186.091.390-34",
    "18609139034",
    "628.194.821-12",
    "62819482112",
    "11.222.333/0001-81",
    "11222333000181",
    "12.ABC.345/01DE-35",
    "12ABC34501DE35",
    "Maria Aparecida Souza",
    "José Carlos Pereira",
    "Ana Beatriz Lima",
    "Padaria Pão Dourado",
    "Estúdio Horizonte",
    "5511912340001",
    "91234-0001",
    SECRET,
    FAKE_TOKEN.split(":")[1],
)

CLIENT = {
    "id": "123",
    "razao": "Maria Aparecida Souza",
    "fantasia": "",
    "tipo_pessoa": "F",
    "cnpj_cpf": "529.982.247-25",
    "ie_identidade": "",
    "ativo": "S",
    "cep": "01310-100",
    "endereco": "Avenida Paulista",
    "numero": "1000",
    "bairro": "Bela Vista",
    "cidade": "3550",
    "uf": "25",
    "fone": "",
    "telefone_celular": "(11) 91234-0001",
    "whatsapp": "11912340001",
    "telefone_comercial": "",
    "email": "maria@example.com",
    "data_cadastro": "2024-03-02",
}
CONTRACT = {
    "id": "1123",
    "id_cliente": "123",
    "tipo": "I",
    "id_vd_contrato": "2",
    "contrato": "500 MEGA",
    "id_filial": "1",
    "status": "A",
    "status_internet": "A",
    "status_velocidade": "N",
    "endereco_padrao_cliente": "S",
    "cep": "",
    "data_ativacao": "2024-03-10",
    "desbloqueio_confianca": "S",
    "desbloqueio_confianca_ativo": "N",
}
RECEIVABLE = {
    "id": "145535",
    "id_cliente": "123",
    "id_contrato": "1123",
    "liberado": "S",
    "filial_id": "1",
    "status": "A",
    "data_emissao": "2026-10-01",
    "data_vencimento": "2026-10-10",
    "valor": "99.90",
    "valor_recebido": "0.00",
    "valor_aberto": "99.90",
    "documento": "72006",
    "tipo_recebimento": "Gateway",
    "linha_digitavel": "99991.00002 12300.202616 00000.012302 1 15950000009990",
    "gateway_link": "",
    "pix_txid": "",
}
RECEIVABLE_LINE = "99991000021230020261600000012302115950000009990"
PIX = "00020126580014br.gov.bcb.pix01367d4c2a1e520400005303986540599.905802BR5913START6304A416"


class Clock:
    """Monotonic seconds moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def listing(*rows: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    """A listing answer as IXC gives it (every value a string)."""
    return {"page": "1", "total": str(len(rows) if total is None else total), "registros": rows}


def sent(call: Any) -> dict[str, Any]:
    """The JSON body of a recorded `responses` call."""
    return json.loads(call.request.body)


def calls_to(mocked: responses.RequestsMock, table: str) -> list[Any]:
    """The recorded calls to one webservice table."""
    return [call for call in mocked.calls if call.request.url == API + table]


def mock_listing(
    mocked: responses.RequestsMock, table: str, field: str, query: str, answer: Any, **kwargs: Any
) -> None:
    """Answer the listing of `table` filtered by `field` = `query`."""
    match = matchers.json_params_matcher(
        {"qtype": f"{table}.{field}", "query": query}, strict_match=False
    )
    mocked.post(API + table, json=answer, match=[match], **kwargs)


def mock_maria(mocked: responses.RequestsMock, contract: dict[str, Any] | None = None) -> None:
    """The client found by its formatted CPF, with one contract."""
    mock_listing(mocked, "cliente", "cnpj_cpf", "529.982.247-25", listing(CLIENT))
    mock_listing(mocked, "cliente_contrato", "id_cliente", "123", listing(contract or CONTRACT))


def customer(**changes: Any) -> Customer:
    """Maria as IxcBusinessData builds her, with changes."""
    fields = {
        "id": "123",
        "document": "52998224725",
        "name": "Maria Aparecida Souza",
        "kind": "residential",
        "plan_id": "ixc:2",
        "cep": "01310100",
        "status": "active",
        "phones": ("5511912340001",),
        "contract_id": "1123",
    }
    return Customer(**{**fields, **changes})


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test: nothing logged (ours or urllib3's) carries a document, name or secret."""
    caplog.set_level(logging.DEBUG)
    yield
    # caplog.text would be the (empty) teardown phase here: read the phases that ran.
    records = [r for when in ("setup", "call") for r in caplog.get_records(when)]
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in records)
    for value in PERSONAL:
        assert value not in logged


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def catalog():
    return load_business_data()


def settings(**changes: Any) -> IxcSettings:
    """Test settings: no backoff sleeps, subjects and sectors configured."""
    base = {
        "base_url": BASE,
        "token": TOKEN,
        "visit_subject_id": "11",
        "ticket_subject_id": "12",
        "visit_sector_id": "3",
        "ticket_sector_id": "4",
        "retries": 2,
        "backoff_factor": 0,
        "breaker_threshold": 3,
        "breaker_open_seconds": 30,
        "cache_seconds": 45,
    }
    return IxcSettings(**{**base, **changes})


@pytest.fixture
def make(catalog, clock):
    """Build an IxcBusinessData with setting changes; closed at the end of the test."""
    made: list[IxcBusinessData] = []

    def build(**changes: Any) -> IxcBusinessData:
        backend = IxcBusinessData(settings(**changes), catalog, clock=clock)
        made.append(backend)
        return backend

    yield build
    for backend in made:
        backend.close()


@pytest.fixture
def backend(make) -> IxcBusinessData:
    return make()


# --- customers ---------------------------------------------------------------------------


def test_find_customer_maps_client_and_contract(mocked, backend):
    mock_maria(mocked)

    assert backend.find_customer("52998224725") == customer()


def test_listing_request_shape_auth_and_header(mocked, backend):
    mock_maria(mocked)

    backend.find_customer("529.982.247-25")

    request = mocked.calls[0].request
    assert request.method == "POST"
    assert request.url == API + "cliente"
    assert request.headers["ixcsoft"] == "listar"
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(TOKEN.encode()).decode()
    assert sent(mocked.calls[0]) == {
        "qtype": "cliente.cnpj_cpf",
        "query": "529.982.247-25",
        "oper": "=",
        "page": "1",
        "rp": "20",
        "sortname": "cliente.id",
        "sortorder": "desc",
    }
    assert sent(mocked.calls[1])["qtype"] == "cliente_contrato.id_cliente"


def test_customer_not_found_after_both_forms(mocked, backend):
    empty = {"page": "1", "total": "0", "registros": []}
    mock_listing(mocked, "cliente", "cnpj_cpf", "529.982.247-25", empty)
    mock_listing(mocked, "cliente", "cnpj_cpf", "52998224725", {"page": "1", "total": "0"})

    assert backend.find_customer("52998224725") is None
    assert [sent(call)["query"] for call in mocked.calls] == ["529.982.247-25", "52998224725"]


def test_digits_only_document_found_by_second_query(mocked, backend):
    mock_listing(mocked, "cliente", "cnpj_cpf", "529.982.247-25", listing(total=0))
    stored_digits = {**CLIENT, "cnpj_cpf": "52998224725"}
    mock_listing(mocked, "cliente", "cnpj_cpf", "52998224725", listing(stored_digits))
    mock_listing(mocked, "cliente_contrato", "id_cliente", "123", listing(CONTRACT))

    assert backend.find_customer("52998224725") == customer()


def test_cnpj_queried_formatted_and_business_kind(mocked, backend):
    company = {**CLIENT, "id": "311", "razao": "Estúdio Horizonte Design Ltda", "tipo_pessoa": "J"}
    company["cnpj_cpf"] = "12.ABC.345/01DE-35"
    mock_listing(mocked, "cliente", "cnpj_cpf", "12.ABC.345/01DE-35", listing(company))
    mock_listing(mocked, "cliente_contrato", "id_cliente", "311", listing(total=0))

    found = backend.find_customer("12ABC34501DE35")

    assert (found.kind, found.document, found.contract_id, found.plan_id) == (
        "business",
        "12ABC34501DE35",
        "",
        "",
    )


def test_invalid_document_is_nobody_without_asking(mocked, backend):
    assert backend.find_customer("123.456.789-00") is None
    assert len(mocked.calls) == 0


def test_record_with_other_document_is_ignored(mocked, backend):
    other = {**CLIENT, "cnpj_cpf": "186.091.390-34"}  # a server matching loosely
    mock_listing(mocked, "cliente", "cnpj_cpf", "529.982.247-25", listing(other))
    mock_listing(mocked, "cliente", "cnpj_cpf", "52998224725", listing(total=0))

    assert backend.find_customer("52998224725") is None


@pytest.mark.parametrize(
    ("status_internet", "suspended_statuses", "expected"),
    [
        ("CA", ("CA", "FA"), "suspended"),
        ("FA", ("CA", "FA"), "suspended"),
        ("A", ("CA", "FA"), "active"),
        ("CM", ("CA", "FA"), "active"),
        ("CM", ("CA", "FA", "CM"), "suspended"),
        ("cm", ("ca", "fa", "cm"), "suspended"),
    ],
)
def test_contract_status_mapping(mocked, make, status_internet, suspended_statuses, expected):
    mock_maria(mocked, {**CONTRACT, "status_internet": status_internet})

    found = make(suspended_statuses=suspended_statuses).find_customer("52998224725")

    assert found.status == expected


def test_contract_cep_preferred_and_phones_normalized(mocked, backend):
    client = {
        **CLIENT,
        "cep": "01001-000",
        "fone": "(11) 3333-0001",
        "telefone_celular": "(11) 91234-0001",
        "whatsapp": "+55 11 91234-0001",
        "telefone_comercial": "0",
    }
    mock_listing(mocked, "cliente", "cnpj_cpf", "529.982.247-25", listing(client))
    own_address = {**CONTRACT, "endereco_padrao_cliente": "N", "cep": "04538-133"}
    mock_listing(mocked, "cliente_contrato", "id_cliente", "123", listing(own_address))

    found = backend.find_customer("52998224725")

    assert found.cep == "04538133"
    assert found.phones == ("5511912340001", "551133330001")


def test_several_contracts_blocked_one_wins(mocked, backend):
    older_ok = {**CONTRACT, "id": "1100", "status_internet": "A"}
    blocked = {**CONTRACT, "id": "1050", "status_internet": "CA", "id_vd_contrato": "1"}
    cancelled = {**CONTRACT, "id": "1200", "status": "I", "status_internet": "D"}
    mock_listing(mocked, "cliente", "cnpj_cpf", "529.982.247-25", listing(CLIENT))
    contracts = listing(cancelled, older_ok, blocked)
    mock_listing(mocked, "cliente_contrato", "id_cliente", "123", contracts)

    found = backend.find_customer("52998224725")

    assert (found.contract_id, found.status, found.plan_id) == ("1050", "suspended", "ixc:1")


@pytest.mark.parametrize(
    ("contracts", "expected"),
    [
        ([{"id": "7", "status": "A"}, {"id": "9", "status": "A"}], "9"),
        ([{"id": "9", "status": "I"}, {"id": "7", "status": "A"}], "7"),
        ([{"id": "9", "status": "C"}, {"id": "8", "status": "N"}], "8"),
        ([{"id": "5", "status": "I"}], "5"),
    ],
)
def test_choose_contract_rule(contracts, expected):
    assert ixc.choose_contract(contracts, ("CA", "FA"))["id"] == expected


def test_duplicate_registration_active_one_chosen(mocked, backend):
    inactive_newer = {**CLIENT, "id": "900", "ativo": "N"}
    mock_listing(mocked, "cliente", "cnpj_cpf", "529.982.247-25", listing(inactive_newer, CLIENT))
    mock_listing(mocked, "cliente_contrato", "id_cliente", "123", listing(CONTRACT))

    assert backend.find_customer("52998224725").id == "123"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(11) 91234-0001", "5511912340001"),
        ("+55 (11) 91234-0001", "5511912340001"),
        ("011 91234-0001", "5511912340001"),
        ("(55) 9999-1234", "555599991234"),
        ("(11) 3333-0001", "551133330001"),
        ("(11) ９１２３４-０００１", "5511912340001"),  # full-width digits fold to ASCII
        ("(11) 81234-0001", None),
        ("0", None),
        ("", None),
        ("1234-5678", None),
    ],
)
def test_normalize_phone(raw, expected):
    assert ixc.normalize_phone(raw) == expected


# --- invoices ----------------------------------------------------------------------------


def test_no_open_invoice(mocked, backend):
    mock_listing(mocked, "fn_areceber", "id_cliente", "123", {"page": "1", "total": "0"})

    assert backend.open_invoices(customer()) == []


def test_invoices_oldest_first_with_amounts_dates_and_months(mocked, backend):
    later = {**RECEIVABLE, "id": "145600", "data_vencimento": "2026-12-10", "linha_digitavel": ""}
    partial = {**RECEIVABLE, "id": "145500", "data_vencimento": "2026-09-10", "valor": "99.90"}
    partial.update(valor_aberto="49.95", competencia="08/2026")
    paid = {**RECEIVABLE, "id": "145400", "status": "R"}
    hidden = {**RECEIVABLE, "id": "145300", "liberado": "N"}
    rows = listing(later, RECEIVABLE, paid, partial, hidden)
    mock_listing(mocked, "fn_areceber", "id_cliente", "123", rows)

    invoices = backend.open_invoices(customer())

    assert invoices == [
        Invoice("145500", "2026-08", date(2026, 9, 10), Decimal("49.95"), RECEIVABLE_LINE),
        Invoice("145535", "2026-10", date(2026, 10, 10), Decimal("99.90"), RECEIVABLE_LINE),
        Invoice("145600", "2026-12", date(2026, 12, 10), Decimal("99.90"), ""),
    ]
    grid = json.loads(sent(mocked.calls[0])["grid_param"])
    assert grid == [
        {"TB": "fn_areceber.status", "OP": "=", "P": "A"},
        {"TB": "fn_areceber.liberado", "OP": "=", "P": "S"},
    ]


def test_receivable_without_due_date_is_nonsense(mocked, backend):
    broken = {**RECEIVABLE, "data_vencimento": "0000-00-00"}
    mock_listing(mocked, "fn_areceber", "id_cliente", "123", listing(broken))

    with pytest.raises(BackendUnavailable, match="receivable"):
        backend.open_invoices(customer())


def test_payment_details_fetches_pix_and_pdf(mocked, backend):
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n%%EOF\n"
    pix_answer = {
        "type": "success",
        "gateway": "Gerencianet",
        "pix": {
            "dadosPix": {"pixCopiaECola": PIX, "status": "ATIVA", "txid": "T1"},
            "qrCode": {"qrcode": PIX, "imagemQrcode": "iVBORw0KGgo="},
        },
    }
    mocked.post(API + "get_pix", json=pix_answer)
    mocked.post(
        API + "get_boleto", body=base64.b64encode(pdf), content_type="text/html; charset=UTF-8"
    )
    invoice = Invoice("145535", "2026-10", date(2026, 10, 10), Decimal("99.90"), RECEIVABLE_LINE)

    detailed = backend.payment_details(invoice)

    assert detailed.pix_code == PIX
    assert detailed.pdf_url == "data:application/pdf;base64," + base64.b64encode(pdf).decode()
    assert sent(calls_to(mocked, "get_pix")[0]) == {"id_areceber": "145535"}
    assert sent(calls_to(mocked, "get_boleto")[0]) == {
        "boletos": "145535",
        "juro": "N",
        "multa": "N",
        "atualiza_boleto": "N",
        "tipo_boleto": "arquivo",
        "base64": "S",
    }
    assert "ixcsoft" not in calls_to(mocked, "get_pix")[0].request.headers


def test_payment_details_without_pix_or_pdf(mocked, backend):
    mocked.post(API + "get_pix", json={"type": "error", "message": "Boleto sem PIX"})
    mocked.post(API + "get_boleto", json={"type": "error", "message": "Boleto não encontrado!"})
    invoice = Invoice("145535", "2026-10", date(2026, 10, 10), Decimal("99.90"), "")

    assert backend.payment_details(invoice) == invoice


def test_boleto_that_is_not_a_pdf(mocked, backend):
    mocked.post(API + "get_pix", json={"type": "error", "message": "sem PIX"})
    mocked.post(API + "get_boleto", body=base64.b64encode(b"not a pdf at all"))
    invoice = Invoice("145535", "2026-10", date(2026, 10, 10), Decimal("99.90"), "")

    with pytest.raises(BackendUnavailable, match="not a PDF"):
        backend.payment_details(invoice)


# --- plans, coverage, outages ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "price", "speed"),
    [("500 MEGA", "99.90", 500), ("FIBRA 1 GIGA", "149.90", 1000), ("Plano Básico", "59.90", 0)],
)
def test_ixc_plan_from_vd_contratos(mocked, backend, name, price, speed):
    row = {"id": "2", "nome": name, "valor_contrato": price, "Ativo": "S"}
    mock_listing(mocked, "vd_contratos", "id", "2", listing(row))

    plan = backend.plan("ixc:2")

    assert (plan.id, plan.name, plan.speed_mbps, plan.monthly_price) == (
        "ixc:2",
        name,
        speed,
        Decimal(price),
    )


def test_unknown_ixc_plan(mocked, backend):
    mock_listing(mocked, "vd_contratos", "id", "77", listing(total=0))

    assert backend.plan("ixc:77") is None


def test_catalog_answers_plans_and_coverage(mocked, backend, catalog):
    assert backend.plan("500-mega") == catalog.plan("500-mega")
    assert backend.plans_for_cep("01310100") == catalog.plans_for_cep("01310100")
    assert backend.plans_for_cep("69900000") is None
    assert len(mocked.calls) == 0


# --- connection ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logins", "expected"),
    [
        ([{"id": "8", "login": "maria", "ativo": "S", "online": "S"}], True),
        ([{"id": "8", "login": "maria", "ativo": "S", "online": "N"}], False),
        ([], None),
        (
            [
                {"id": "9", "login": "maria2", "ativo": "S", "online": "N"},
                {"id": "8", "login": "old", "ativo": "N", "online": "S"},
            ],
            False,
        ),
    ],
)
def test_connection_online(mocked, backend, logins, expected):
    mock_listing(mocked, "radusuarios", "id_contrato", "1123", listing(*logins))

    assert backend.connection_online(customer()) is expected


def test_connection_of_client_without_contract(mocked, backend):
    mock_listing(mocked, "radusuarios", "id_cliente", "123", listing({"id": "8", "online": "S"}))

    assert backend.connection_online(customer(contract_id="")) is True


# --- service orders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "subject", "sector"), [("visit", "11", "3"), ("ticket", "12", "4")]
)
def test_service_order_created_with_protocol_and_subject(mocked, backend, kind, subject, sector):
    answer = {"type": "success", "message": "Registro inserido com sucesso!", "id": "88017"}
    mocked.post(API + "su_oss_chamado", json=answer)

    order = backend.open_service_order(customer(), kind, PROTOCOL, "Cliente sem sinal desde ontem")

    assert order == "88017"
    call = mocked.calls[0]
    assert "ixcsoft" not in call.request.headers
    assert sent(call) == {
        "tipo": "C",
        "id_cliente": "123",
        "id_assunto": subject,
        "id_filial": "1",
        "prioridade": "N",
        "origem_endereco": "CC",
        "status": "A",
        "mensagem": f"Protocolo Theo {PROTOCOL}: Cliente sem sinal desde ontem",
        "id_contrato_kit": "1123",
        "setor": sector,
    }


def test_service_order_message_already_carrying_protocol(mocked, backend):
    mocked.post(API + "su_oss_chamado", json={"type": "success", "id": "5"})
    message = f"Protocolo {PROTOCOL}\nVisita técnica"

    backend.open_service_order(customer(), "visit", PROTOCOL, message)

    assert sent(mocked.calls[0])["mensagem"] == message


def test_service_order_refused_by_ixc(mocked, backend):
    refusal = {"type": "error", "message": "O campo setor é obrigatório!<br />"}
    mocked.post(API + "su_oss_chamado", json=refusal)

    with pytest.raises(BackendUnavailable, match="setor é obrigatório"):
        backend.open_service_order(customer(), "ticket", PROTOCOL, "Mudança de plano")


def test_service_order_not_set_up_keeps_none(mocked, make):
    backend = make(visit_subject_id="")

    assert backend.open_service_order(customer(), "visit", PROTOCOL, "Sem internet") is None
    assert len(mocked.calls) == 0


def test_write_not_retried_on_server_error(mocked, backend):
    mocked.post(API + "su_oss_chamado", status=503, headers={"Retry-After": "0"})

    with pytest.raises(BackendUnavailable, match="HTTP 503"):
        backend.open_service_order(customer(), "visit", PROTOCOL, "Sem internet")
    assert len(mocked.calls) == 1


# --- trust unlock --------------------------------------------------------------------------


def test_trust_unlock_success_with_date(mocked, backend):
    text = "Desbloqueio de confiança realizado com sucesso! Liberado até 27/11/2026."
    mocked.post(API + "desbloqueio_confianca", json={"tipo": "sucesso", "mensagem": text})
    blocked = customer(status="suspended")

    result = backend.trust_unlock(blocked, PROTOCOL, TODAY)

    assert (result.outcome, result.until) == ("unlocked", date(2026, 11, 27))
    assert sent(mocked.calls[0]) == {"id": "1123"}


def test_trust_unlock_success_without_date_uses_provider_days(mocked, make):
    mocked.post(API + "desbloqueio_confianca", json={"tipo": "sucesso", "mensagem": "Feito"})

    result = make(trust_unlock_days=3).trust_unlock(customer(status="suspended"), PROTOCOL, TODAY)

    assert (result.outcome, result.until) == ("unlocked", date(2026, 11, 27))


@pytest.mark.parametrize(
    "answer",
    [
        {"tipo": "erro", "mensagem": "Desbloqueio já foi utilizado neste mês.", "codigo": "107"},
        {"tipo": "erro", "mensagem": "Contrato já encontra-se ativo!"},
        [{"type": "error", "message": "Cliente já possui desbloqueio de confiança ativo"}],
    ],
)
def test_trust_unlock_already(mocked, backend, answer):
    mocked.post(API + "desbloqueio_confianca", json=answer)

    result = backend.trust_unlock(customer(status="suspended"), PROTOCOL, TODAY)

    assert result.outcome == "already"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            {"tipo": "erro", "mensagem": "Limite de desbloqueios atingido.", "codigo": "109"},
            "Limite de desbloqueios atingido.",
        ),
        (
            {"tipo": "erro", "mensagem": "Contrato não pode ser desbloqueado<br />"},
            "Contrato não pode ser desbloqueado",
        ),
        ({"tipo": "erro", "mensagem": "Contrato não se encontra bloqueado."}, "não se encontra"),
        ({"tipo": "erro", "mensagem": "", "codigo": "106"}, "IXC code 106"),
    ],
)
def test_trust_unlock_refused(mocked, backend, answer, reason):
    mocked.post(API + "desbloqueio_confianca", json=answer)

    result = backend.trust_unlock(customer(status="suspended"), PROTOCOL, TODAY)

    assert result.outcome == "refused"
    assert reason in result.reason


def test_trust_unlock_refusal_words_are_scrubbed(mocked, backend):
    words = "Cliente 529.982.247-25 excedeu o limite"
    mocked.post(API + "desbloqueio_confianca", json={"tipo": "erro", "mensagem": words})

    result = backend.trust_unlock(customer(status="suspended"), PROTOCOL, TODAY)

    assert result.reason == "Cliente 529.***.***-25 excedeu o limite"


def test_trust_unlock_unreadable_answer(mocked, backend):
    mocked.post(API + "desbloqueio_confianca", json={"result": "?"})

    with pytest.raises(BackendUnavailable, match="trust unlock"):
        backend.trust_unlock(customer(status="suspended"), PROTOCOL, TODAY)


def test_trust_unlock_needs_a_suspended_contract(mocked, backend):
    assert backend.supports_trust_unlock(customer(status="suspended")) is True
    assert backend.supports_trust_unlock(customer(status="active")) is False
    no_contract = customer(status="suspended", contract_id="")
    assert backend.supports_trust_unlock(no_contract) is False
    assert backend.trust_unlock(no_contract, PROTOCOL, TODAY).outcome == "unsupported"
    assert len(mocked.calls) == 0


# --- errors, retries, breaker, cache -------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_token_refused_is_loud_and_secret_free(mocked, backend, caplog, status):
    mocked.post(API + "cliente", status=status, json={"type": "error", "message": "Sem acesso"})

    with pytest.raises(BackendUnavailable, match=f"API token \\(HTTP {status}\\)"):
        backend.find_customer("52998224725")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "token" in errors[0].getMessage()
    assert len(mocked.calls) == 1


def test_server_error_then_success_is_retried(mocked, backend):
    mocked.post(API + "cliente", status=500)
    mock_maria(mocked)

    assert backend.find_customer("52998224725") == customer()
    assert [call.response.status_code for call in calls_to(mocked, "cliente")] == [500, 200]


def test_server_error_every_time(mocked, backend):
    mocked.post(API + "cliente", status=502, body="<html><h1>502 Bad Gateway</h1></html>")

    with pytest.raises(BackendUnavailable, match="HTTP 502"):
        backend.find_customer("52998224725")
    assert len(mocked.calls) == 3  # the first try and 2 retries


@pytest.mark.parametrize(
    "error", [requests.exceptions.ConnectTimeout(), requests.exceptions.ReadTimeout()]
)
def test_timeouts(mocked, backend, error):
    mocked.post(API + "cliente", body=error)

    with pytest.raises(BackendUnavailable, match=type(error).__name__):
        backend.find_customer("52998224725")


def test_html_page_instead_of_json(mocked, backend):
    page = "<!DOCTYPE html><html><body><form action='/adm.php'>Login</form></body></html>"
    mocked.post(API + "cliente", body=page, content_type="text/html")

    with pytest.raises(BackendUnavailable, match="HTML"):
        backend.find_customer("52998224725")


def test_not_json_at_all(mocked, backend):
    mocked.post(API + "cliente", body="Fatal error: out of memory")

    with pytest.raises(BackendUnavailable, match="not JSON"):
        backend.find_customer("52998224725")


def test_error_type_with_http_200(mocked, backend):
    refusal = {"type": "error", "message": "Usuário sem permissão para cliente 529.982.247-25"}
    mocked.post(API + "cliente", json=refusal)

    with pytest.raises(BackendUnavailable, match="sem permissão") as raised:
        backend.find_customer("52998224725")
    assert "529.982.247-25" not in str(raised.value)


def test_breaker_opens_fails_fast_and_closes(mocked, make, clock):
    backend = make(retries=0, breaker_threshold=2, breaker_open_seconds=30)
    mocked.post(API + "cliente", status=503)

    for _ in range(2):
        with pytest.raises(BackendUnavailable, match="HTTP 503"):
            backend.find_customer("52998224725")
    with pytest.raises(BackendUnavailable, match="circuit open"):
        backend.find_customer("52998224725")
    assert len(mocked.calls) == 2  # failing fast: IXC not called

    clock.advance(29)
    with pytest.raises(BackendUnavailable, match="circuit open"):
        backend.find_customer("52998224725")
    clock.advance(2)
    mocked.replace(responses.POST, API + "cliente", json=listing(CLIENT))
    mock_listing(mocked, "cliente_contrato", "id_cliente", "123", listing(CONTRACT))

    mock_listing(mocked, "fn_areceber", "id_cliente", "123", listing(total=0))

    assert backend.find_customer("52998224725") == customer()
    assert backend.open_invoices(customer()) == []  # closed: calls go through again
    assert len(mocked.calls) == 5


def test_failed_probe_reopens_at_once(mocked, make, clock):
    backend = make(retries=0, breaker_threshold=2, breaker_open_seconds=30)
    mocked.post(API + "radusuarios", status=500)
    for _ in range(2):
        with pytest.raises(BackendUnavailable, match="HTTP 500"):
            backend.connection_online(customer())

    clock.advance(31)
    with pytest.raises(BackendUnavailable, match="HTTP 500"):
        backend.connection_online(customer())  # the probe
    with pytest.raises(BackendUnavailable, match="circuit open"):
        backend.connection_online(customer())
    assert len(mocked.calls) == 3


def test_breaker_lets_a_single_probe_through(clock):
    breaker = ixc_client.Breaker(threshold=1, open_seconds=10, clock=clock)
    breaker.failed("cliente")
    clock.advance(11)
    outcomes: list[str] = []

    def caller() -> None:
        try:
            breaker.admit("cliente")
            outcomes.append("probe")
        except BackendUnavailable:
            outcomes.append("fast")

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["fast"] * 7 + ["probe"]


def test_cache_avoids_second_call_until_it_expires(mocked, backend, clock):
    mock_maria(mocked)
    mock_listing(mocked, "fn_areceber", "id_cliente", "123", listing(RECEIVABLE))

    first = backend.find_customer("52998224725")
    assert backend.find_customer("529.982.247-25") == first
    backend.open_invoices(first)
    backend.open_invoices(first)
    assert [len(calls_to(mocked, t)) for t in ("cliente", "fn_areceber")] == [1, 1]

    clock.advance(46)
    backend.find_customer("52998224725")
    backend.open_invoices(first)
    assert [len(calls_to(mocked, t)) for t in ("cliente", "fn_areceber")] == [2, 2]


def test_unlock_forgets_the_cached_customer(mocked, backend):
    mock_maria(mocked, {**CONTRACT, "status_internet": "CA"})
    mocked.post(API + "desbloqueio_confianca", json={"tipo": "sucesso", "mensagem": "OK"})
    blocked = backend.find_customer("52998224725")

    backend.trust_unlock(blocked, PROTOCOL, TODAY)
    backend.find_customer("52998224725")

    assert len(calls_to(mocked, "cliente")) == 2


def test_settings_validation_never_quotes_the_token():
    with pytest.raises(ValueError, match="user id") as raised:
        IxcSettings(base_url=BASE, token="s3cr3t-without-user")
    assert "s3cr3t" not in str(raised.value)
    with pytest.raises(ValueError, match="base_url"):
        IxcSettings(base_url="erp.example.com", token=TOKEN)
    assert SECRET not in repr(IxcSettings(base_url=BASE, token=TOKEN))


def test_base_url_may_already_carry_the_api_path(mocked, make):
    mocked.post(API + "radusuarios", json=listing())

    make(base_url=f"{BASE}/webservice/v1/").connection_online(customer())

    assert mocked.calls[0].request.url == API + "radusuarios"


# --- against the loopback fake -------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeIxcServer]:
    with FakeIxcServer(today=TODAY) as server:
        yield server


@pytest.fixture
def live(fake, make) -> IxcBusinessData:
    """The adapter talking HTTP to the fake, with short timeouts."""
    return make(
        base_url=fake.base_url,
        token=FAKE_TOKEN,
        connect_timeout=0.5,
        read_timeout=1.0,
        breaker_threshold=3,
    )


def test_fake_suspended_customer_with_overdue_invoice(live, fake):
    found = live.find_customer("186.091.390-34")

    assert (found.id, found.status, found.cep, found.phones) == (
        "207",
        "suspended",
        "01311100",
        ("5511912340002",),
    )
    assert found.plan_id == "ixc:1"
    assert live.plan(found.plan_id).speed_mbps == 300
    assert live.connection_online(found) is False
    (invoice,) = live.open_invoices(found)
    assert invoice.is_overdue(TODAY)
    assert (invoice.amount, invoice.barcode_line) == (
        Decimal("89.90"),
        "99991000022070020260790000020702615650000008990",
    )
    detailed = live.payment_details(invoice)
    assert detailed.pix_code.startswith("00020126580014br.gov.bcb.pix")
    pdf = base64.b64decode(detailed.pdf_url.removeprefix("data:application/pdf;base64,"))
    assert pdf.startswith(b"%PDF")


def test_fake_received_receivables_are_the_paid_invoices(live):
    found = live.find_customer("186.091.390-34")

    (paid,) = live.paid_invoices(found)
    assert (paid.amount, paid.reference_month) == (Decimal("89.90"), "2026-10")
    assert paid.paid_on.isoformat() == "2026-11-21"
    assert [invoice.reference_month for invoice in live.open_invoices(found)] == ["2026-09"]
    assert live.paid_invoices(live.find_customer("628.194.821-12")) == []


def test_fake_demo_customers(live):
    maria = live.find_customer("52998224725")
    studio = live.find_customer("12ABC34501DE35")

    assert [i.due_date for i in live.open_invoices(maria)] == [
        date(2026, 10, 10),
        date(2026, 12, 10),
    ]
    assert (studio.kind, studio.cep, live.connection_online(studio)) == (
        "business",
        "04538133",
        None,
    )
    assert live.find_customer("12345678909") is None


def test_fake_trust_unlock_then_already(live, fake):
    blocked = live.find_customer("18609139034")

    first = live.trust_unlock(blocked, PROTOCOL, TODAY)
    second = live.trust_unlock(blocked, PROTOCOL, TODAY)

    assert (first.outcome, first.until, second.outcome) == (
        "unlocked",
        date(2026, 11, 27),
        "already",
    )
    assert live.find_customer("18609139034").status == "active"


def test_fake_unlock_refused_by_provider_rule(live, fake):
    fake.refuse_unlock(contract_id("CLI-000207"), "Limite de desbloqueios atingido.")

    result = live.trust_unlock(live.find_customer("18609139034"), PROTOCOL, TODAY)

    assert (result.outcome, result.reason) == ("refused", "Limite de desbloqueios atingido.")


def test_fake_service_order_kept_with_protocol(live, fake):
    ana = live.find_customer("62819482112")

    order = live.open_service_order(ana, "visit", PROTOCOL, "Luz LOS vermelha no modem")

    (created,) = fake.orders
    assert created["id"] == order
    assert (created["id_cliente"], created["id_assunto"], created["setor"]) == ("388", "11", "3")
    assert created["mensagem"] == f"Protocolo Theo {PROTOCOL}: Luz LOS vermelha no modem"
    (insert,) = fake.calls("su_oss_chamado")
    assert "ixcsoft" not in {name.lower() for name in insert["headers"]}


def test_fake_service_order_missing_required_sector(make, fake):
    backend = make(base_url=fake.base_url, token=FAKE_TOKEN, ticket_sector_id="")
    ana = backend.find_customer("62819482112")

    with pytest.raises(BackendUnavailable, match="setor"):
        backend.open_service_order(ana, "ticket", PROTOCOL, "Troca de plano")
    assert fake.orders == []


def test_fake_outage_fails_fast_thanks_to_the_breaker(live, fake, clock):
    fake.down("503")
    for _ in range(3):
        with pytest.raises(BackendUnavailable, match="HTTP 503"):
            live.find_customer("52998224725")
    seen = len(fake.calls())
    assert seen == 9  # 3 calls, each tried 3 times

    with pytest.raises(BackendUnavailable, match="circuit open"):
        live.find_customer("62819482112")
    assert len(fake.calls()) == seen

    fake.up()
    clock.advance(31)
    assert live.find_customer("62819482112").id == "388"


def test_fake_connection_refused_then_back(live, fake, clock):
    fake.down()
    with pytest.raises(BackendUnavailable, match="ConnectionError"):
        live.find_customer("52998224725")

    fake.up()
    assert live.find_customer("52998224725").id == "123"


def test_fake_one_server_error_is_retried(live, fake):
    fake.fail_with(502)

    assert live.find_customer("52998224725").id == "123"
    assert [call["status"] for call in fake.calls("cliente")] == [502, 200]


def test_fake_write_not_resent_after_server_error(live, fake):
    ana = live.find_customer("62819482112")
    fake.fail_with(503)

    with pytest.raises(BackendUnavailable, match="HTTP 503"):
        live.open_service_order(ana, "visit", PROTOCOL, "Sem internet")
    assert len(fake.calls("su_oss_chamado")) == 1
    assert fake.orders == []


def test_fake_login_page(live, fake):
    fake.html()

    with pytest.raises(BackendUnavailable, match="HTML"):
        live.find_customer("52998224725")


def test_fake_slow_answer_times_out_without_retry(make, fake):
    backend = make(base_url=fake.base_url, token=FAKE_TOKEN, read_timeout=0.1)
    fake.latency = 0.3

    with pytest.raises(BackendUnavailable, match="ReadTimeout"):
        backend.find_customer("52998224725")
    fake.latency = 0
    assert len(fake.calls("cliente")) == 1


def test_fake_wrong_token(make, fake):
    backend = make(base_url=fake.base_url, token="7:wrong")

    with pytest.raises(BackendUnavailable, match="API token"):
        backend.find_customer("52998224725")


def test_fake_listing_operators(fake):
    def listed(**query: str) -> list[str]:
        body = {"page": "1", "rp": "50", "sortname": "cliente.id", "sortorder": "asc", **query}
        answer = requests.post(
            fake.base_url + "/webservice/v1/cliente",
            json=body,
            headers={"ixcsoft": "listar"},
            auth=tuple(FAKE_TOKEN.split(":")),
            timeout=2,
        ).json()
        return [row["id"] for row in answer.get("registros", [])]

    assert listed(qtype="cliente.id", query="245", oper=">=") == ["245", "311", "388"]
    assert listed(qtype="cliente.id", query="245", oper="<") == ["123", "207"]
    assert listed(qtype="cliente.id", query="207", oper="!=") == ["123", "245", "311", "388"]
    assert listed(qtype="cliente.razao", query="%ltda", oper="like") == ["245", "311"]
    assert listed(qtype="cliente.tipo_pessoa", query="J", oper="=", rp="1") == ["245"]


# --- identify by the WhatsApp number, loyalty, open visits -----------------------------------


@pytest.fixture
def visits_live(fake, make) -> IxcBusinessData:
    """The adapter on the fake, with the fake's subject of technician visits."""
    return make(base_url=fake.base_url, token=FAKE_TOKEN, visit_subject_id=VISIT_SUBJECT)


@pytest.mark.parametrize(
    "sender", ["5511912340001", "551112340001"], ids=["with ninth digit", "old id without it"]
)
def test_fake_customer_found_by_the_whatsapp_number(live, fake, sender):
    (found,) = live.customers_by_phone(sender)

    assert (found.id, found.document, found.contract_id) == ("123", "52998224725", "1123")
    searched = {call["body"]["qtype"] for call in fake.calls("cliente")}
    assert searched == {f"cliente.{name}" for name in ixc.PHONE_FIELDS}
    assert {call["body"]["oper"] for call in fake.calls("cliente")} == {"L"}


@pytest.mark.parametrize(
    "stored",
    ["+55 (11) 1234-0001", "011 91234 0001", "55 11 912340001", "11 91234.0001"],
)
def test_fake_phone_stored_in_other_formats_is_found(live, fake, stored):
    fake.add("cliente", id="500", razao="Cliente Novo", cnpj_cpf="111.444.777-35", ativo="S",
             fone=stored, telefone_celular="", whatsapp="")  # fmt: skip

    found = live.customers_by_phone("5511912340001")

    assert {customer.id for customer in found} == {"123", "500"}


def test_fake_same_last_digits_of_another_number_is_not_offered(live, fake):
    # Same 8 last digits, other area code / other mobile: LIKE finds them, same_phone refuses.
    fake.add("cliente", id="501", razao="Outra Pessoa", cnpj_cpf="111.444.777-35", ativo="S",
             telefone_celular="(21) 91234-0001", whatsapp="11 98234-0001")  # fmt: skip

    assert [c.id for c in live.customers_by_phone("5511912340001")] == ["123"]
    assert [c.id for c in live.customers_by_phone("5521912340001")] == ["501"]
    assert live.customers_by_phone("5511982340002") == []


def test_fake_unknown_number_and_deactivated_client(live, fake):
    fake.add("cliente", id="502", razao="Ex Cliente", cnpj_cpf="111.444.777-35", ativo="N",
             telefone_celular="(11) 97777-0002")  # fmt: skip

    assert live.customers_by_phone("5511987650001") == []
    assert live.customers_by_phone("5511977770002") == []
    assert live.customers_by_phone("") == []


def test_fake_phone_answer_is_cached(live, fake):
    live.customers_by_phone("5511912340003")
    seen = len(fake.calls())

    (ana,) = live.customers_by_phone("5511912340003")

    assert len(fake.calls()) == seen
    live.find_customer("628.194.821-12")  # found by the number: no second lookup
    assert len(fake.calls()) == seen and ana.id == "388"


def test_fake_loyalty_end_from_the_contract(live, fake):
    ana = live.find_customer("62819482112")
    maria = live.find_customer("52998224725")

    assert (ana.loyalty_end, ana.cancellation_fee) == (date(2027, 6, 30), None)
    assert maria.loyalty_end == date(2026, 3, 10)


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"fidelidade": "12", "data_expiracao": "2027-06-30"}, date(2027, 6, 30)),
        (
            {"fidelidade": "12", "data_expiracao": "0000-00-00", "data_ativacao": "2026-01-31"},
            date(2027, 1, 31),
        ),
        (
            {"fidelidade": "18", "data_expiracao": "", "data_ativacao": "31/08/2025"},
            date(2027, 2, 28),
        ),
        ({"fidelidade": "0", "data_expiracao": "2027-06-30"}, None),
        ({"data_expiracao": "0000-00-00", "data_ativacao": "2026-01-31"}, None),
        ({"fidelidade": "12", "data_ativacao": "0000-00-00"}, None),
        ({}, None),
    ],
)
def test_loyalty_end_rule(fields, expected):
    assert ixc.loyalty_end(fields) == expected


def test_fake_open_visit_of_the_erp(visits_live, fake):
    ana = visits_live.find_customer("62819482112")

    (visit,) = visits_live.open_visits(ana)

    assert (visit.day, visit.period, visit.status) == (date(2026, 11, 26), "tarde", "scheduled")
    (call,) = fake.calls("su_oss_chamado")
    rules = json.loads(call["body"]["grid_param"])
    assert {"TB": "su_oss_chamado.id_assunto", "OP": "=", "P": VISIT_SUBJECT} in rules


def test_fake_visits_soonest_first_only_open_and_of_the_visit_subject(visits_live, fake):
    ana = visits_live.find_customer("62819482112")
    kid = contract_id("CLI-000388")
    fake.add_visit("388", kid, "2026-11-25", "manhã", status="EN")
    fake.add_visit("388", kid, "", "", status="A", mensagem=f"Protocolo Theo {PROTOCOL}: x")
    fake.add_visit("388", kid, "2026-11-24", "manhã", status="F")  # done
    fake.add_visit("388", kid, "2026-11-24", "tarde", status="C")  # cancelled
    fake.add_visit("388", kid, "2026-11-24", "tarde", id_assunto="99")  # another subject
    fake.add_visit("123", contract_id("CLI-000123"), "2026-11-24", "tarde")  # someone else

    visits = visits_live.open_visits(ana)

    assert [(v.day, v.period, v.status) for v in visits] == [
        (date(2026, 11, 25), "manhã", "scheduled"),
        (date(2026, 11, 26), "tarde", "scheduled"),
        (None, "qualquer", "waiting"),
    ]
    assert visits[-1].protocol == PROTOCOL  # an order Theo opened keeps Theo's protocol


def test_fake_no_open_visit(visits_live):
    assert visits_live.open_visits(visits_live.find_customer("52998224725")) == []


@pytest.mark.parametrize(
    "row, expected",
    [
        ({"data_agenda": "2026-11-26 08:30:00"}, (date(2026, 11, 26), "manhã")),
        ({"data_agenda": "2026-11-26 12:00:00"}, (date(2026, 11, 26), "tarde")),
        ({"data_agenda": "26/11/2026 17:45"}, (date(2026, 11, 26), "tarde")),
        (
            {"data_agenda": "2026-11-26 00:00:00", "melhor_horario_agenda": "M"},
            (date(2026, 11, 26), "manhã"),
        ),
        ({"data_agenda": "2026-11-26", "melhor_horario_agenda": "N"}, (date(2026, 11, 26), "")),
        ({"data_agenda": "0000-00-00 00:00:00", "melhor_horario_agenda": "T"}, (None, "tarde")),
        ({"data_agenda": "2026-02-31 10:00:00"}, (None, "")),
    ],
)
def test_visit_day_and_period_from_the_order(row, expected):
    visit = ixc._to_visit({"id": "77", **row})
    assert (visit.day, visit.period) == expected
    assert visit.status == ("scheduled" if expected[0] else "waiting")


def test_visits_read_by_the_subject_only_when_set(mocked, backend, make):
    plain = make(visit_subject_id="")
    mock_listing(mocked, "su_oss_chamado", "id_cliente", "123", listing(
        {"id": "1", "id_cliente": "123", "status": "AG", "id_assunto": "5",
         "data_agenda": "2026-11-30 09:00:00"},
    ))  # fmt: skip

    assert [v.id for v in plain.open_visits(customer())] == ["1"]
    assert backend.open_visits(customer()) == []  # subject 11 configured: not a visit order
    assert backend.open_visits(customer(id="")) == []
