"""A long answer asked again within minutes: a pointer to it, unless the customer asks again."""

from __future__ import annotations

import pytest

import content

MARIA_CPF = "529.982.247-25"
BARCODE = "99991000021230020261600000012302115950000009990"


def boleto_again(chat, asked: str) -> str:
    chat.say("oi")
    chat.say("1")
    assert BARCODE in chat.say(MARIA_CPF)
    return chat.say(asked)


def test_the_same_request_again_points_to_the_answer_just_sent(chat):
    again = boleto_again(chat, "segunda via do boleto")

    assert content.text("geral.resposta_repetida") in again
    assert BARCODE not in again


@pytest.mark.parametrize(
    "asked",
    [
        "manda dnv pf nao consegui copiar o codigo de barras",
        "pode reenviar o boleto?",
        "vc manda o pix de novo?",
        "o boleto nao chegou",
    ],
)
def test_an_explicit_ask_to_send_again_gets_the_whole_answer_again(chat, asked):
    again = boleto_again(chat, asked)

    assert content.text("geral.resposta_repetida") not in again
    assert BARCODE in again
