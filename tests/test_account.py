"""Account capabilities through the webhook: my account, open visits, moving, the number.

Phrasings are written the way customers type on WhatsApp; assertions go by sentence key.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import pytest

from app import create_app
from business_data import DEFAULT_FOLDER, JsonBusinessData
from tests.conftest import SAO_PAULO, Chat, says

ANA_PHONE = "5511912340003"  # CPF 628.194.821-12: open visit (tarde, 26/11/2026), in loyalty


@pytest.fixture
def ana(client, zapi) -> Chat:
    return Chat(client, zapi, ANA_PHONE)


# --- My account -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "request_text",
    [
        "qual é o meu plano?",
        "qual meu plano",
        "quanto eu pago por mes?",
        "qnd vence a mensalidade da internet",
        "tenho fidelidade?",
        "qto é a multa pra cancelar",
        "queria saber sobre minha conta",
    ],
)
def test_my_account_is_answered_directly(ana, request_text):
    answer = ana.say(request_text)
    assert says(answer, "identidade_numero.um")  # offered by the number, name masked
    assert "Ana Beatriz" not in answer
    answer = ana.say("1")
    assert says(answer, "conta.resumo", plano="300 Mega", valor="R$ 89,90")
    assert says(answer, "conta.fidelidade_com_multa", data="30/06/2027", multa="R$ 240,00")
    assert not says(answer, "plano.confirmar_cancelamento")  # never funnelled into cancelling


def test_my_account_after_the_loyalty_period(chat):
    chat.say("oi")
    answer = chat.say("quanto eu pago?? e a fidelidade")
    answer = chat.say("sim") if says(answer, "identidade_numero.um") else answer
    assert says(answer, "conta.resumo", plano="500 Mega")
    assert says(answer, "conta.fidelidade_encerrada", data="10/03/2026")


def test_my_account_without_loyalty_data(tmp_path, config, clock, zapi):
    """Data without a loyalty period: Theo says it has none recorded, it invents nothing."""
    shutil.copytree(DEFAULT_FOLDER, tmp_path / "data")
    customers = tmp_path / "data" / "customers.json"
    raw = json.loads(customers.read_text(encoding="utf-8"))
    for customer in raw["customers"]:
        customer.pop("loyalty_end", None)
        customer.pop("cancellation_fee", None)
    customers.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    app = create_app(config, clock=clock, business=JsonBusinessData(tmp_path / "data"))
    ana = Chat(app.test_client(), zapi, ANA_PHONE)
    ana.say("meu plano atual é qual?")
    answer = ana.say("1")
    assert says(answer, "conta.resumo") and says(answer, "conta.fidelidade_desconhecida")


def test_my_account_from_another_phone_needs_the_cep(stranger):
    assert not says(stranger.say("tenho fidelidade?"), "identidade_numero.um")
    assert says(stranger.say("628.194.821-12"), "identidade.pedir_cep")
    answer = stranger.say("01415-000")
    assert says(answer, "conta.fidelidade_com_multa")


def test_cancellation_answers_the_fee_before_confirming(ana):
    ana.say("quero cancelar a internet")
    answer = ana.say("1")
    assert says(answer, "plano.confirmar_cancelamento")
    answer = ana.say("sim mas e a multa???")
    assert says(answer, "conta.fidelidade_com_multa", multa="R$ 240,00")
    assert says(answer, "plano.confirmar_cancelamento")
    assert says(ana.say("nao, deixa"), "plano.cancelamento_desistiu")


def test_a_running_loyalty_fee_is_said_before_confirming_unasked(ana):
    ana.say("quero cancelar a internet")
    answer = ana.say("1")  # the account found by the number

    assert says(answer, "conta.fidelidade_com_multa", multa="R$ 240,00")
    assert says(answer, "plano.confirmar_cancelamento")


def test_an_ended_loyalty_is_not_said_unasked(client, zapi):
    maria = Chat(client, zapi, "5511912340001")  # loyalty already over
    maria.say("quero cancelar")
    answer = maria.say("1")
    assert says(answer, "plano.confirmar_cancelamento")
    assert not says(answer, "conta.fidelidade_encerrada")


def test_the_fee_asked_instead_of_a_reason_is_answered_not_recorded(ana):
    ana.say("quero cancelar a internet")
    ana.say("1")
    ana.say("sim")
    assert ana.state() == "cancel_reason"

    answer = ana.say("quanto é a multa?")

    assert says(answer, "conta.fidelidade_com_multa", multa="R$ 240,00")
    assert ana.state() == "cancel_confirm"
    assert [r for r in ana.records() if r.kind == "cancellation"] == []


def test_cancel_with_the_fee_in_the_document_message(stranger):
    stranger.say("cancelar")
    stranger.say("1")
    answer = stranger.say("62819482112 e qual o valor da multa?")
    answer = stranger.say("01415000") if says(answer, "identidade.pedir_cep") else answer
    assert says(answer, "conta.fidelidade_com_multa")
    assert says(answer, "plano.confirmar_cancelamento")


# --- Identify by the number -------------------------------------------------------------
def test_another_document_falls_back_to_the_document(chat):
    chat.say("oi")
    chat.say("qual o meu plano")
    answer = chat.say("2")
    assert says(answer, "conta.pedir_documento") and not says(answer, "identidade_numero.um")
    answer = chat.say("11.222.333/0001-81")
    assert says(answer, "identidade.pedir_cep")  # another account: the second factor again


def test_outro_documento_in_words(chat):
    chat.say("qual meu plano")
    answer = chat.say("nao é esse, é outro cpf")
    assert says(answer, "conta.pedir_documento")


def test_without_the_cpf_the_number_is_offered_again(chat):
    chat.say("2 via")
    answer = chat.say("nao tenho o cpf aqui agora")
    assert says(answer, "identidade_numero.lembrete")
    assert says(chat.say("sim"), "boleto.varias_faturas")


def test_a_typed_document_still_works_from_a_phone_on_record(chat):
    chat.say("segunda via")
    assert says(chat.say("186.091.390-34"), "boleto.uma_fatura")


# --- Technician visits ------------------------------------------------------------------
@pytest.mark.parametrize(
    "request_text",
    ["que horas vem o tecnico?", "a visita ta marcada pra quando?", "cade o tecnico"],
)
def test_visit_status(ana, request_text):
    ana.say(request_text)
    answer = ana.say("1")
    assert says(answer, "visitas.situacao")
    assert "26/11/2026" in answer
    assert says(ana.say("ta certo, so queria saber"), "visitas.mantida")


@pytest.mark.parametrize(
    "request_text", ["quero remarcar a visita", "da pra reagendar a visita do tecnico?"]
)
def test_reschedule_visit(ana, request_text):
    ana.say(request_text)
    answer = ana.say("1")
    assert says(answer, "visitas.situacao")
    answer = ana.say("pode ser de manha")
    assert says(answer, "visitas.remarcada", periodo="manhã")
    change = [r for r in ana.records() if r.kind == "visit_change"]
    assert change and change[0].details["action"] == "reschedule"
    assert change[0].details["period"] == "manhã"


@pytest.mark.parametrize(
    "request_text",
    ["quero remarcar a visita pra de manha", "da pra mudar a visita pra parte da manha?"],
)
def test_a_reschedule_with_the_period_is_not_asked_again(ana, request_text):
    ana.say(request_text)
    answer = ana.say("1")  # the account by the number

    assert says(answer, "visitas.situacao")
    assert says(answer, "visitas.remarcada", periodo="manhã")
    [change] = [r for r in ana.records() if r.kind == "visit_change"]
    assert change.details["period"] == "manhã"


def test_a_period_at_the_visit_menu_is_a_reschedule(ana):
    ana.say("que horas vem o tecnico?")
    ana.say("1")
    assert ana.state() == "visit_manage"

    answer = ana.say("quero de manha")

    assert says(answer, "visitas.remarcada", periodo="manhã")


@pytest.mark.parametrize(
    "request_text", ["queria cancelar a visita do tecnico", "desmarca a visita pfv"]
)
def test_cancel_visit(ana, request_text):
    ana.say(request_text)
    answer = ana.say("1")
    assert says(answer, "visitas.confirmar_cancelamento")
    assert says(ana.say("sim"), "visitas.cancelada")
    assert [r.details["action"] for r in ana.records() if r.kind == "visit_change"] == ["cancel"]


@pytest.mark.parametrize(
    "request_text",
    ["o tecnico nao veio!!!", "marcaram visita e ninguem apareceu", "tecnico n apareceu ate agr"],
)
def test_missed_visit_opens_a_priority_ticket(ana, clock, request_text):
    clock.set(datetime(2026, 11, 26, 19, 0, tzinfo=SAO_PAULO))  # after the afternoon period
    ana.say(request_text)
    answer = ana.say("1")
    assert says(answer, "visitas.desculpas_nao_veio")
    tickets = [r for r in ana.records() if r.kind == "ticket"]
    assert tickets and tickets[0].details["priority"] == "alta"


def test_not_missed_before_its_day(ana):
    ana.say("o tecnico nao veio")
    answer = ana.say("1")
    assert says(answer, "visitas.ainda_vai")
    assert not [r for r in ana.records() if r.kind == "ticket"]


def test_no_open_visit(chat):
    chat.say("o tecnico nao veio")
    answer = chat.say("1")
    assert says(answer, "visitas.nenhuma_aberta")


def test_theo_own_visit_is_found_and_rescheduled_on_its_protocol(chat):
    """A visit Theo booked earlier is the open one; the change goes under its protocol."""
    chat.say("sem internet")
    chat.say("1")  # the account by the number
    chat.say("nao")  # no red light
    chat.say("nao voltou")  # restart did not help: visit
    chat.say("tarde")
    visit_protocol = chat.protocol()
    assert [r.kind for r in chat.records()].count("visit") == 1
    chat.say("sair")
    chat.say("quero remarcar a visita do tecnico")
    answer = chat.say("1")
    assert says(answer, "visitas.situacao")
    assert says(chat.say("manha"), "visitas.remarcada", protocolo=visit_protocol)


# --- Moving ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "request_text",
    [
        "mudei de endereco e preciso levar a internet",
        "mudança de endereço",
        "vou me mudar, como faço pra transferir a internet?",
    ],
)
def test_move_to_a_covered_address(chat, request_text):
    chat.say(request_text)
    assert says(chat.say("1"), "mudanca.pedir_cep")
    assert says(chat.say("01415-000"), "mudanca.coberto")
    chat.say("120 apto 31")
    answer = chat.say("a tarde")
    assert says(answer, "mudanca.registrada", periodo="tarde")
    move = next(r for r in chat.records() if r.kind == "move")
    assert move.details["cep"] == "01415000" and move.details["period"] == "tarde"
    assert "120" in move.details["address"]


def test_move_to_an_uncovered_address(chat):
    chat.say("quero mudar de endereço")
    chat.say("sim")
    answer = chat.say("69900000")
    assert says(answer, "mudanca.sem_cobertura") and says(answer, "mudanca.contrato_sem_cobertura")
    interest = next(r for r in chat.records() if r.kind == "coverage_interest")
    assert interest.details["reason"] == "move"


def test_move_with_a_wrong_cep_asks_again(chat):
    chat.say("mudanca de casa")
    chat.say("1")
    answer = chat.say("123")
    assert says(answer, "mudanca.pedir_cep") or says(answer, "vendas.precisa_cep")


@pytest.mark.parametrize("unsure", ["nao sei o cep", "nao lembro o cep de la", "q cep?"])
def test_not_knowing_the_new_cep_stays_in_the_move(chat, unsure):
    chat.say("vou me mudar, quero levar a internet")
    chat.say("1")
    assert chat.state() == "move_cep"

    chat.say(unsure)

    assert chat.state() == "move_cep"
    assert says(chat.say("01415-000"), "mudanca.coberto")


@pytest.mark.parametrize("not_an_address", ["sim", "ok", "blz"])
def test_a_yes_is_not_taken_as_the_new_address(chat, not_an_address):
    chat.say("mudança de endereço")
    chat.say("1")
    chat.say("01415-000")

    answer = chat.say(not_an_address)

    assert says(answer, "mudanca.endereco_vazio")
    assert chat.state() == "move_address"


@pytest.mark.parametrize(
    "address", ["120 apto 31", "casa 2 fundos", "s/n, lote da esquina", "sem numero"]
)
def test_the_new_address_is_kept(chat, address):
    chat.say("mudança de endereço")
    chat.say("1")
    chat.say("01415-000")
    chat.say(address)
    assert chat.state() == "move_period"


def test_a_second_request_after_the_number_names_the_record_not_a_typed_document(chat):
    chat.say("qual o meu plano")
    chat.say("1")  # the account found by the number
    chat.say("quero a segunda via do boleto")

    assert chat.said("documento.ja_identificado")
    assert not chat.said("documento.ja_informado")
