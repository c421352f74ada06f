"""'Vai voltar quando?': the outage in the customer's area, or else the "sem internet" flow."""

from __future__ import annotations

from dataclasses import replace

import pytest

import understanding as nlu
from conftest import MARIA_PHONE, Chat, says

ADMIN_TOKEN = "ops-token-0123456789abcdef"
MARIA_CPF = "529.982.247-25"  # CEP 01310-100
OUTAGE = {
    "cep_prefixes": ["01310"],
    "message": "Rompimento de fibra na Av. Paulista.",
    "expected_end": "2026-11-24T16:00:00-03:00",
}


@pytest.mark.parametrize(
    "text",
    [
        "vai voltar quando?",
        "vai volta qnd",
        "a net vai volta qnd?",
        "qnd q vai voltar",
        "quando a internet volta",
        "qnd volta a net?",
        "é manutenção?",
        "eh manutencao?",
        "tá em manutenção?",
        "ja tem previsão de volta?",
        "qual a previsao?",
        "tem algum problema na regiao?",
        "ta tendo queda no bairro?",
        "é problema geral ou só aqui?",
        "to sem internet, vai voltar quando?",
    ],
)
def test_outage_status_questions_are_understood(text):
    assert nlu.detect_intent(text) == nlu.PREVISAO


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("já paguei a fatura, quando volta?", nlu.PAGO_CORTADO),  # a payment, not an outage
        ("tem previsao de chegar no meu bairro?", None),  # coverage, not an outage
        ("quando vence meu boleto", nlu.BOLETO),
        ("quando o tecnico vem", nlu.VISITA),
        ("ta sem internet ai na regiao?", nlu.SEM_INTERNET),
    ],
)
def test_other_when_questions_are_not_outage_status(text, intent):
    assert nlu.detect_intent(text) == intent


@pytest.fixture
def config(config):
    """The usual test configuration (conftest's `app` builds on it), with the ops token."""
    return replace(config, admin_token=ADMIN_TOKEN)


def test_an_outage_in_the_area_is_told_after_identifying(client, zapi):
    client.post("/admin/outages", json=OUTAGE, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    chat = Chat(client, zapi, "5511987650044")  # no phone on record: the CPF first

    assert says(chat.say("oi, vai voltar quando??"), "documento.pedir_suporte")
    answer = chat.say(MARIA_CPF)

    assert says(answer, "suporte.manutencao", mensagem=OUTAGE["message"], previsao="hoje às 16h")
    assert chat.records() == []


@pytest.mark.parametrize("asked", ["vai voltar quando??", "oi, é manutenção?", "qnd volta a net"])
def test_a_phone_on_record_in_the_area_is_told_at_once(client, zapi, asked):
    client.post("/admin/outages", json=OUTAGE, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    chat = Chat(client, zapi, MARIA_PHONE)  # on record, CEP 01310-100

    answer = chat.say(asked)

    assert says(answer, "suporte.manutencao", mensagem=OUTAGE["message"])
    assert not says(answer, "documento.pedir_suporte")
    assert chat.records() == []


def test_without_an_outage_it_says_so_and_diagnoses(client, zapi):
    chat = Chat(client, zapi, MARIA_PHONE)
    chat.say("oi")

    chat.say("é manutenção?")
    answer = chat.say(MARIA_CPF)

    assert says(answer, "massiva.nenhuma")
    assert says(answer, "suporte.luz_vermelha")
