"""A question asked at a step about to record a request is answered there, not followed away.

The second customer review found visits never recorded and due-date changes dropped
because a question ("o técnico vem que horas?") at the last step started another flow.
"""

from __future__ import annotations

import pytest

from conftest import Chat, says

STRANGER = "5511987650055"  # no phone on record: the CPF is typed
MARIA_CPF = "529.982.247-25"


def at_visit_period(chat: Chat) -> None:
    chat.say("to sem internet")
    chat.say(MARIA_CPF)
    chat.say("nao")  # no red light
    chat.say("reiniciei e nao voltou")
    chat.say("01310-100")  # the installation CEP: the second factor from this phone
    assert chat.state() == "visit_period"


@pytest.mark.parametrize(
    "question",
    ["o tecnico vem q horas mais ou menos?", "qnd o tecnico vem?", "vem sabado?"],
)
def test_a_question_at_the_visit_period_gets_help_and_the_visit_is_still_booked(
    client, zapi, question
):
    chat = Chat(client, zapi, STRANGER)
    at_visit_period(chat)

    answer = chat.say(question)

    assert says(answer, "ajuda.visit_period")
    assert chat.state() == "visit_period"
    chat.say("manha")
    assert [r.kind for r in chat.records()] == ["visit"]


def test_a_question_at_the_due_day_keeps_the_change(client, zapi):
    chat = Chat(client, zapi, STRANGER)
    chat.say("quero mudar o dia do vencimento")
    chat.say(MARIA_CPF)
    chat.say("01310-100")  # the second factor from a phone not on record
    assert chat.state() == "due_day"

    answer = chat.say("q dia é melhor pra pagar no pix?")

    assert says(answer, "ajuda.due_day")
    assert chat.state() == "due_day"
    chat.say("20")
    assert [r.kind for r in chat.records()] == ["due_date_change"]


def test_a_plain_new_request_at_a_held_step_still_leaves(client, zapi):
    chat = Chat(client, zapi, STRANGER)
    at_visit_period(chat)

    chat.say("quero a segunda via do boleto")

    assert chat.state() != "visit_period"


def test_a_short_answer_question_is_still_answered_in_passing(client, zapi):
    chat = Chat(client, zapi, STRANGER)
    at_visit_period(chat)

    answer = chat.say("vcs aceitam cartao?")

    assert says(answer, "cobranca.cartao")
    assert chat.state() == "visit_period"
