"""Complaints: acknowledged without arguing, recorded apart from tickets, a person offered."""

from __future__ import annotations

import pytest

import understanding as nlu
from conftest import MARIA_PHONE, Chat, says


@pytest.mark.parametrize(
    "text",
    [
        "quero fazer uma reclamacao",
        "vou no procon",
        "vcs sao uma vergonha",
        "pior internet do mundo",
        "vou processar vcs",
        "vou reclamar na anatel",
        "ja liguei 3 vezes e ninguem resolve",
        "que palhaçada",
        "empresa lixo",
        "to muito insatisfeita com o atendimento",
    ],
)
def test_complaint_phrasings(text):
    assert nlu.detect_intent(text) == nlu.RECLAMACAO


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("internet ta uma merda hoje, caiu de novo", nlu.SEM_INTERNET),
        ("a internet ta pessima", nlu.LENTA),
        ("internet horrivel, travando demais", nlu.LENTA),
        ("qual o processo pra instalar?", nlu.CONTRATAR),
        ("quero cancelar a visita do tecnico", nlu.VISITA),
    ],
)
def test_problem_reports_are_not_complaints(text, intent):
    assert nlu.detect_intent(text) == intent


def test_a_short_complaint_asks_what_happened_then_records_and_offers_a_person(chat):
    chat.say("oi")
    chat.say("vcs sao uma vergonha")
    assert chat.said("reclamacao.sinto_muito")
    assert chat.state() == "complaint_describe"

    chat.say("me atenderam mal na loja e desligaram na minha cara, meu cpf 529.982.247-25")

    [complaint] = chat.records()
    assert complaint.kind == "complaint"
    assert "desligaram na minha cara" in complaint.details["description"]
    assert "529.982.247-25" not in complaint.details["description"]  # scrubbed
    assert chat.said("reclamacao.registrada", protocolo=chat.protocol())
    assert chat.state() == "complaint_attendant"

    chat.say("sim")
    assert chat.state() == "human"
    assert [r.kind for r in chat.records()] == ["complaint", "handoff"]


def test_declining_the_attendant_closes_politely(chat):
    chat.say("quero fazer uma reclamação")
    chat.say("me trataram mal na loja e ninguem me explica nada")
    chat.say("nao precisa")
    assert chat.said("reclamacao.sem_atendente")
    assert chat.state() == "anything_else"


def test_more_words_at_the_attendant_question_go_into_the_same_complaint(chat):
    chat.say("quero fazer uma reclamação")
    chat.say("me trataram mal na loja e ninguem me explica nada")
    assert chat.state() == "complaint_attendant"

    answer = chat.say("e ainda a moça do caixa riu da minha cara, um absurdo")

    assert says(answer, "reclamacao.anotado")
    assert not says(answer, "reclamacao.sinto_muito")  # no second apology
    [complaint] = chat.records()  # one complaint, with both messages
    assert "riu da minha cara" in complaint.details["description"]
    assert "trataram mal" in complaint.details["description"]
    assert chat.state() == "complaint_attendant"
    chat.say("nao")
    assert chat.said("reclamacao.sem_atendente")


def test_a_long_first_message_is_recorded_at_once(chat):
    chat.say("ja liguei 3 vezes e ninguem resolve, vou no procon amanha mesmo")
    assert chat.said("geral.saudacao_direta")
    [complaint] = chat.records()
    assert "procon" in complaint.details["description"]
    assert chat.state() == "complaint_attendant"


def test_an_angry_message_naming_a_problem_keeps_the_problem(chat):
    chat.say("vcs sao uma vergonha, minha internet caiu de novo")

    [complaint] = chat.records()
    assert complaint.kind == "complaint"
    assert chat.said("reclamacao.vamos_resolver")
    assert chat.state() == "support_document"  # the no-internet diagnosis goes on
    chat.say("529.982.247-25")
    assert chat.state() == "red_light"


def test_asking_for_a_person_instead_of_describing_records_and_hands_over(chat):
    chat.say("quero reclamar")
    chat.say("quero falar com um atendente")
    assert [r.kind for r in chat.records()] == ["complaint", "handoff"]
    assert chat.state() == "human"


def test_a_complaint_from_a_phone_on_record_names_the_customer(client, zapi):
    maria = Chat(client, zapi, MARIA_PHONE)
    maria.say("ja liguei 3 vezes e ninguem resolve, vou no procon")

    [complaint] = [r for r in maria.records() if r.kind == "complaint"]
    assert complaint.details["customer"]  # the team can find the account


def test_angry_words_again_go_into_the_same_complaint(chat):
    chat.say("um absurdo, 3 dias sem internet e ninguem resolve")
    chat.say("menu")
    answer = chat.say("vcs sao uma vergonha, ja liguei mil vezes")

    assert says(answer, "reclamacao.anotado")
    complaints = [r for r in chat.records() if r.kind == "complaint"]
    assert len(complaints) == 1
    assert "mil vezes" in complaints[0].details["description"]
