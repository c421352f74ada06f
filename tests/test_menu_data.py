"""A CPF/CNPJ or a CEP sent where a menu was shown is used, not met with "não entendi"."""

from __future__ import annotations

import pytest

from conftest import Chat, says, shows_menu

STRANGER = "5511987650066"  # no phone on record


@pytest.mark.parametrize("document", ["529.982.247-25", "52998224725", "meu cpf 529 982 247 25"])
def test_a_document_at_the_main_menu_is_kept_for_the_next_request(client, zapi, document):
    chat = Chat(client, zapi, STRANGER)
    chat.say("oi")

    answer = chat.say(document)

    assert says(answer, "documento.anotado")
    assert shows_menu(answer, "principal")
    answer = chat.say("segunda via")
    assert says(answer, "documento.ja_informado")
    assert not says(answer, "documento.pedir_boleto")


def test_a_document_after_a_flow_is_kept_too(client, zapi):
    chat = Chat(client, zapi, STRANGER)
    chat.say("vcs aceitam cartao?")
    assert chat.state() == "anything_else"

    answer = chat.say("628.194.821-12")

    assert says(answer, "documento.anotado")


def test_an_unknown_document_at_the_menu_says_so(client, zapi):
    chat = Chat(client, zapi, STRANGER)
    chat.say("oi")

    answer = chat.say("123.456.789-09")  # valid, not a customer

    assert says(answer, "documento.anotado_sem_cadastro")
    assert shows_menu(answer, "principal")


@pytest.mark.parametrize("cep", ["01415-000", "01415000", "cep 01415-000"])
def test_a_cep_at_the_menu_is_a_coverage_question(client, zapi, cep):
    chat = Chat(client, zapi, STRANGER)
    chat.say("oi")

    answer = chat.say(cep)

    assert says(answer, "vendas.coberto", cep="01415-000")
    assert chat.state() == "coverage_contract"


def test_a_menu_number_is_still_a_menu_number(client, zapi):
    chat = Chat(client, zapi, STRANGER)
    chat.say("oi")
    chat.say("1")
    assert chat.state() == "boleto_document"
