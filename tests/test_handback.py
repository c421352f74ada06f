"""The attendant gives the chat back to Theo by typing the hand-back command in it."""

from __future__ import annotations

import copy

import pytest

from conftest import WEBHOOK_PATH, load_fixture, says


def attendant_types(client, phone: str, text: str, number: int = 1) -> dict:
    body = copy.deepcopy(load_fixture("from_me_attendant"))
    body.update(phone=phone, messageId=f"ATT-{number}-{text[:8]}", text={"message": text})
    response = client.post(WEBHOOK_PATH, json=body)
    assert response.status_code == 200
    return response.get_json()


def handed_over(chat) -> None:
    chat.say("oi")
    chat.say("quero falar com um atendente")
    assert chat.state() == "human"


@pytest.mark.parametrize("command", ["#theo", "#THEO", "#Théo", "  #theo  "])
def test_the_command_gives_the_chat_back_with_the_menu(chat, client, zapi, command):
    handed_over(chat)
    attendant_types(client, chat.phone, "Olá, aqui é a Joana. Resolvido!")
    zapi.take()

    attendant_types(client, chat.phone, command, number=2)

    sent = "\n".join(zapi.take())
    assert says(sent, "atendente.devolvido", protocolo=chat.protocol())
    assert chat.state() == "main_menu"
    assert chat.say("1") and chat.state() == "boleto_document"  # Theo answers again


def test_a_polite_phrase_after_the_command_works_too(chat, client, zapi):
    handed_over(chat)

    attendant_types(client, chat.phone, "#theo Vou te deixar com o nosso assistente!")

    assert chat.state() == "main_menu"


@pytest.mark.parametrize(
    "typed", ["Olá, vou verificar", "o theo já te ajudou?", "#theodoro", "obrigada #theo"]
)
def test_other_attendant_messages_keep_theo_silent(chat, client, zapi, typed):
    handed_over(chat)

    attendant_types(client, chat.phone, typed)

    assert chat.state() == "human"
    assert chat.say("ok, obrigado") == ""


def test_the_command_is_configurable(tmp_path, clock, zapi):
    from app import create_app
    from conftest import MARIA_PHONE, Chat, zapi_config

    app = create_app(zapi_config(tmp_path / "t.sqlite3", handback_command="#bot"), clock=clock)
    chat = Chat(app.test_client(), zapi, MARIA_PHONE)
    handed_over(chat)

    attendant_types(chat.client, chat.phone, "#theo")
    assert chat.state() == "human"
    attendant_types(chat.client, chat.phone, "#bot", number=2)
    assert chat.state() == "main_menu"
