"""'Paguei e continua cortado': the payment checked, the receipt taken, through the webhook."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from app import create_app
from billing_rules import BillingRules, add_business_days
from conftest import Chat, says

SUSPENDED_CPF = "186.091.390-34"
SUSPENDED_PHONE = "5511912340002"  # José's phone on record (data/LEIAME.md)
MARIA_CPF = "529.982.247-25"
DATA = Path(__file__).resolve().parent.parent / "data"
RECEIPT_URL = "https://storage.z-api.io/instances/X/comprovante.jpeg"


@pytest.fixture
def jose(client, zapi) -> Chat:
    return Chat(client, zapi, SUSPENDED_PHONE)


def chat_with_customers(tmp_path, config, clock, zapi, change) -> Chat:
    """José on a copy of the demo data where `change(jose)` edited his record."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / "customers.json"
    customers = json.loads(path.read_text(encoding="utf-8"))
    change(next(c for c in customers["customers"] if c["id"] == "CLI-000207"))
    path.write_text(json.dumps(customers), encoding="utf-8")
    app = create_app(config.__class__(**{**config.__dict__, "data_dir": str(data)}), clock=clock)
    return Chat(app.test_client(), zapi, SUSPENDED_PHONE)


def kinds(chat: Chat) -> list[str]:
    return [request.kind for request in chat.records()]


@pytest.mark.parametrize(
    "phrasing",
    [
        "paguei e continua cortado",
        "ja paguei o boleto e a net continua cortada",
        "fiz o pix e nao liberou ainda",
        "paguei ontem e ainda to sem internet",
        "minha net ta bloqueada mas eu ja paguei",
        "ja paguei a fatura e a internet nao voltou",
        "vou mandar o comprovante",
        "pq minha internet ta cortada se eu ja paguei???",
    ],
)
def test_paid_and_still_cut_goes_to_the_payment_check(jose, phrasing):
    jose.say(phrasing)

    assert jose.said("documento.pedir_pagamento")
    assert jose.state() == "paid_document"


@pytest.mark.parametrize(
    ("phrasing", "state"),
    [
        ("segunda via", "boleto_document"),
        ("boleto", "boleto_document"),
        ("to sem internet", "support_document"),
        ("paguei o boleto", "main_menu"),  # says it is paid, asks nothing
    ],
)
def test_other_requests_keep_their_flows(jose, phrasing, state):
    jose.say(phrasing)

    assert jose.state() == state


def test_paid_one_invoice_but_an_older_one_is_still_open(jose):
    jose.say("paguei e continua cortado")
    answer = jose.say(SUSPENDED_CPF)

    assert says(answer, "pago.pagamento_encontrado", mes="outubro/2026", data="21/11/2026",
                forma="PIX")  # fmt: skip
    assert says(answer, "pago.ainda_em_aberto", meses="setembro/2026", dias=3, data="27/11/2026")
    assert says(answer, "pago.pedir_comprovante")
    assert jose.state() == "paid_receipt"


def test_receipt_as_an_image_is_recorded_with_the_protocol(jose):
    jose.say("ja paguei e a internet nao voltou")
    jose.say(SUSPENDED_CPF)

    image = {"imageUrl": RECEIPT_URL, "mimeType": "image/jpeg", "caption": ""}
    answer = "\n".join(jose.post(jose.payload(image=image)))

    assert says(answer, "pago.comprovante_recebido", protocolo=jose.protocol())
    (receipt,) = [r for r in jose.records() if r.kind == "payment_receipt"]
    assert receipt.details["media_url"] == RECEIPT_URL
    assert receipt.details["mime_type"] == "image/jpeg"
    assert receipt.details["invoices"] == ["FAT-2026-09-000207"]
    assert jose.state() == "trust_unlock_offer"  # the demo backend offers it while checking


def test_receipt_as_a_pdf_with_a_caption_is_recorded(jose):
    jose.say("paguei e continua cortado")
    jose.say(SUSPENDED_CPF)

    pdf = {
        "documentUrl": "https://storage.z-api.io/instances/X/comprovante.pdf",
        "mimeType": "application/pdf",
        "fileName": "comprovante-pix.pdf",
        "caption": "segue o comprovante",
    }
    answer = "\n".join(jose.post(jose.payload(document=pdf)))

    assert says(answer, "pago.comprovante_recebido", protocolo=jose.protocol())
    (receipt,) = [r for r in jose.records() if r.kind == "payment_receipt"]
    assert receipt.details["file_name"] == "comprovante-pix.pdf"
    assert receipt.details["mime_type"] == "application/pdf"


def test_a_file_that_is_no_image_nor_pdf_is_refused_clearly(jose):
    jose.say("paguei e continua cortado")
    jose.say(SUSPENDED_CPF)

    audio = {"audioUrl": "https://storage.z-api.io/a.ogg", "mimeType": "audio/ogg", "ptt": True}
    answer = "\n".join(jose.post(jose.payload(audio=audio)))
    sheet = {
        "documentUrl": "https://storage.z-api.io/p.xlsx",
        "fileName": "planilha.xlsx",
        "mimeType": "application/vnd.ms-excel",
    }
    second = "\n".join(jose.post(jose.payload(document=sheet)))

    assert says(answer, "pago.comprovante_formato")
    assert says(second, "pago.comprovante_formato")
    assert "payment_receipt" not in kinds(jose)
    assert jose.state() == "paid_receipt"


def test_media_outside_the_receipt_step_keeps_the_text_only_answer(jose):
    jose.say("segunda via")

    image = {"imageUrl": RECEIPT_URL, "mimeType": "image/jpeg"}
    answer = "\n".join(jose.post(jose.payload(image=image)))

    assert says(answer, "geral.so_texto")
    assert jose.records() == []


@pytest.mark.parametrize(
    "no_receipt", ["nao tenho", "n tenho o comprovante aqui", "depois eu mando"]
)
def test_without_the_receipt_the_flow_goes_on(jose, no_receipt):
    jose.say("paguei e continua cortado")
    jose.say(SUSPENDED_CPF)

    answer = jose.say(no_receipt)

    assert says(answer, "pago.sem_comprovante")
    assert jose.state() == "trust_unlock_offer"


def test_receipt_step_waits_and_offers_a_person(jose):
    jose.say("paguei e continua cortado")
    jose.say(SUSPENDED_CPF)

    assert says(jose.say("vou mandar sim, peraí"), "pago.aguardando_comprovante")
    assert jose.state() == "paid_receipt"
    jose.say("quero falar com um atendente")
    assert jose.state() == "human"


def test_paid_invoice_not_found_explains_the_clearing_time(tmp_path, config, clock, zapi):
    chat = chat_with_customers(tmp_path, config, clock, zapi, lambda c: c.pop("paid_invoices"))
    chat.say("paguei e continua cortado")

    answer = chat.say(SUSPENDED_CPF)

    assert says(answer, "pago.nao_consta", meses="setembro/2026", dias=3, data="27/11/2026")
    assert not says(answer, "pago.pagamento_encontrado")
    assert chat.state() == "paid_receipt"


def test_everything_paid_but_still_blocked_the_unlock_is_on_its_way(tmp_path, config, clock, zapi):
    chat = chat_with_customers(tmp_path, config, clock, zapi, lambda c: c.update(invoices=[]))
    chat.say("ja paguei e a internet ainda nao voltou")

    answer = chat.say(SUSPENDED_CPF)

    assert says(answer, "pago.liberacao_a_caminho", minutos=30)
    assert chat.state() == "trust_unlock_offer"


def test_active_contract_with_the_payment_shown_restart_then_technician(client, zapi):
    maria = Chat(client, zapi, "5511912340001")
    maria.say("paguei e continua sem internet")
    answer = maria.say(MARIA_CPF)

    assert says(answer, "pago.pagamento_encontrado", mes="novembro/2026", data="09/11/2026",
                forma="boleto")  # fmt: skip
    assert says(answer, "pago.contrato_ativo")
    assert maria.state() == "paid_restart"
    answer = maria.say("reiniciei e continua sem nada")
    assert says(answer, "suporte.precisa_visita")
    assert maria.state() == "visit_period"


def test_active_contract_back_after_restart_is_solved(client, zapi):
    maria = Chat(client, zapi, "5511912340001")
    maria.say("fiz o pix e nao liberou ainda")
    maria.say(MARIA_CPF)

    assert says(maria.say("voltou sim"), "suporte.resolvido")


def test_no_internet_then_i_paid_checks_the_payment_instead_of_the_boleto(jose):
    jose.say("ja paguei, mas continua sem internet")
    answer = jose.say(SUSPENDED_CPF)

    assert says(answer, "pago.pagamento_encontrado", mes="outubro/2026", data="21/11/2026",
                forma="PIX")  # fmt: skip
    assert not says(answer, "suporte.suspenso", documento="186.***.***-34")
    assert jose.state() == "paid_receipt"


def test_boleto_clearing_counts_business_days_and_holidays():
    assert add_business_days(date(2026, 11, 24), 3) == date(2026, 11, 27)
    assert add_business_days(date(2026, 11, 27), 3) == date(2026, 12, 2)  # weekend skipped
    assert add_business_days(date(2026, 12, 23), 3) == date(2026, 12, 29)  # Christmas
    assert BillingRules(boleto_clearing_days=1).clearing_date(date(2026, 4, 20)) == date(
        2026, 4, 22
    )  # Tiradentes
