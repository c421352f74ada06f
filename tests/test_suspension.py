"""Pausing the service: residential and up to date, 30 to 120 days, recorded for the team."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

import understanding as nlu
from conftest import SAO_PAULO, Chat
from flows.suspension import read_period, read_start

ANA_PHONE = "5511912340003"  # CPF 628.194.821-12: residential, nothing open (data/LEIAME.md)
ANA_CPF = "628.194.821-12"
TODAY = date(2026, 11, 24)


@pytest.fixture
def ana(client, zapi) -> Chat:
    return Chat(client, zapi, ANA_PHONE)


@pytest.mark.parametrize(
    "text",
    [
        "quero pausar minha internet pq vou viajar",
        "da pra suspender a net por 2 meses?",
        "queria suspender temporariamente o contrato",
        "vou viajar, tem como desligar a internet enquanto isso sem cancelar",
        "preciso congelar o plano durante a reforma",
        "suspensao temporaria",
    ],
)
def test_pause_phrasings(text):
    assert nlu.detect_intent(text) == nlu.SUSPENDER


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("minha internet foi suspensa", nlu.SEM_INTERNET),
        ("suspenderam minha internet, ja paguei", nlu.PAGO_CORTADO),  # not a pause
        ("quero cancelar a internet", nlu.CANCELAR),
        ("nao quero suspender, quero cancelar", nlu.CANCELAR),
    ],
)
def test_pause_negative_cases(text, intent):
    assert nlu.detect_intent(text) == intent


@pytest.mark.parametrize(
    ("text", "days", "start"),
    [
        ("2 meses", 60, None),
        ("uns 60 dias", 60, None),
        ("90", 90, None),
        ("tres meses", 90, None),
        ("6 semanas", 42, None),
        ("de 10/01 a 10/03", 59, date(2027, 1, 10)),
        ("do dia 01/12 ate 31/01", 61, date(2026, 12, 1)),
        ("45 dias a partir de 05/12", 45, date(2026, 12, 5)),
    ],
)
def test_period_readings(text, days, start):
    period = read_period(text, TODAY)
    assert (period.days, period.start) == (days, start)


@pytest.mark.parametrize("text", ["sei la", "o quanto antes", "a partir de amanha"])
def test_no_period_in_words_without_one(text):
    assert read_period(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("a partir de amanha", TODAY + timedelta(days=1)),
        ("hoje mesmo", TODAY),
        ("dia 15", date(2026, 12, 15)),
        ("dia 30", date(2026, 11, 30)),
        ("05/01", date(2027, 1, 5)),
    ],
)
def test_start_readings(text, start):
    assert read_start(text, TODAY) == start


def test_a_residential_customer_up_to_date_records_the_pause(ana):
    ana.say("oi, quero pausar minha internet pq vou viajar")
    ana.say(ANA_CPF)
    assert ana.said("pausa.regra")
    assert ana.state() == "suspension_period"

    ana.say("uns 2 meses")
    assert ana.state() == "suspension_start"
    ana.say("a partir do dia 10/12")
    assert ana.said("pausa.confirmar", dias=60, inicio="10/12/2026", fim="07/02/2027")
    ana.say("isso")

    [request] = ana.records()
    assert request.kind == "suspension"
    assert request.details == {
        "customer": "CLI-000388",
        "days": 60,
        "start": "2026-12-10",
        "end": "2027-02-07",
        "earlier_request": "",
    }
    assert ana.said("pausa.registrada")
    assert ana.said("geral.encerramento")


def test_the_period_said_with_the_request_is_not_asked_again(ana):
    ana.say("quero suspender a internet de 10/01 a 10/03")
    ana.say(ANA_CPF)

    assert ana.state() == "suspension_confirm"
    assert ana.said("pausa.confirmar", dias=59)


@pytest.mark.parametrize("period", ["15 dias", "6 meses", "1 ano"])
def test_outside_30_to_120_days_says_the_rule(ana, period):
    ana.say("quero suspender minha internet")
    ana.say(ANA_CPF)
    ana.say(period)
    assert ana.state() == "suspension_period"
    assert ana.said("pausa.periodo_fora") or ana.said("pausa.periodo_invalido")
    assert ana.records() == []


def test_no_at_the_confirmation_asks_the_period_again(ana):
    ana.say("quero suspender minha internet")
    ana.say(ANA_CPF)
    ana.say("60 dias")
    ana.say("amanha")
    ana.say("nao, errei")
    assert ana.state() == "suspension_period"
    assert ana.records() == []


def test_a_second_pause_within_12_months_is_said_and_recorded_for_the_team(ana, clock):
    ana.say("quero suspender minha internet")
    ana.say(ANA_CPF)
    ana.say("30 dias")
    ana.say("amanha")
    ana.say("sim")
    first = ana.protocol()
    ana.say("sair")

    clock.set(datetime(2027, 3, 1, 10, 0, tzinfo=SAO_PAULO))
    ana.say("preciso pausar a net de novo por 2 meses")
    ana.say(ANA_CPF)
    assert ana.said("pausa.ja_pediu", data="24/11/2026")
    ana.say("dia 10")
    ana.say("sim")
    [again] = ana.records()
    assert again.details["earlier_request"] == first


def test_a_company_is_told_the_rule_and_offered_the_attendant(client, zapi):
    company = Chat(client, zapi, "5511912340004")
    company.say("quero suspender o contrato por 60 dias")
    company.say("11.222.333/0001-81")
    assert company.said("pausa.empresa")
    company.say("sim")
    assert company.state() == "human"
    [handoff] = company.records()
    assert handoff.details["reason"] == "suspension_business"


def test_an_overdue_invoice_comes_first_with_the_boleto(chat):
    chat.say("quero pausar minha internet por 2 meses")
    chat.say("529.982.247-25")
    assert chat.said("pausa.em_atraso")
    chat.say("sim, manda")
    assert chat.said("boleto.varias_faturas")
    assert chat.records() == []


def test_from_another_phone_the_holder_is_checked_first(stranger):
    stranger.say("quero suspender a internet por 60 dias")
    stranger.say(ANA_CPF)
    assert stranger.state() == "verify_cep"
    stranger.say("01415-000")
    assert stranger.state() == "suspension_start"
