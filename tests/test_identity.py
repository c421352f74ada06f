"""LGPD: a CPF is not proof of holding the account.

Acting on an account (cancel, change plan, trust unlock, a visit) needs a second
factor: the phone on record, or the installation CEP. Wrong CEPs and distinct
documents are counted per phone and day, in the database.
"""

from __future__ import annotations

import logging

import pytest

import content
from conftest import CUSTOMER_PHONE, Chat, says, shows_menu

MARIA_CPF = "529.982.247-25"  # CEP 01310-100, phone on record 5511912340001
JOSE_CPF = "186.091.390-34"  # suspended, CEP 01311-100, phone 5511912340002
JOSE_PHONE = "5511912340002"
OTHER_VALID_CPFS = [
    "628.194.821-12",
    "11.222.333/0001-81",
    "12.ABC.345/01DE-35",
    "123.456.789-09",
    "111.444.777-35",
    "935.411.347-80",
]


def kinds(chat: Chat) -> list[str]:
    return [request.kind for request in chat.records()]


def asks_cep(answer: str) -> bool:
    """Whether Theo asks for the installation CEP (the second factor), in full or briefly."""
    return says(answer, "identidade.pedir_cep") or says(answer, "curta.verify_cep")


def start_cancellation(chat: Chat, document: str = MARIA_CPF) -> str:
    chat.say("oi")
    chat.say("quero cancelar minha internet")
    return chat.say(document)


def test_from_the_phone_on_record_nothing_more_is_asked(chat):
    answer = start_cancellation(chat)

    assert not asks_cep(answer)
    assert says(answer, "plano.confirmar_cancelamento")
    assert chat.state() == "cancel_confirm"


def test_from_another_phone_the_installation_cep_is_asked_first(stranger):
    answer = start_cancellation(stranger)

    assert says(answer, "identidade.pedir_cep")
    assert "500 Mega" not in answer  # the plan is not shown before the check
    assert stranger.state() == "verify_cep"


@pytest.mark.parametrize("cep", ["01310-100", "01310100", "o cep é 01310 100", "cep: 01.310-100"])
def test_the_right_cep_goes_on_with_the_request(stranger, cep):
    start_cancellation(stranger)

    answer = stranger.say(cep)

    assert says(answer, "plano.confirmar_cancelamento")
    assert stranger.state() == "cancel_confirm"


def test_three_wrong_ceps_end_the_attempt_for_the_day(stranger, caplog):
    caplog.set_level(logging.INFO)
    start_cancellation(stranger)

    first = stranger.say("04538-133")
    second = stranger.say("01311000")
    third = stranger.say("69900-000")

    assert says(first, "identidade.cep_nao_confere", restantes=2)
    assert says(second, "identidade.cep_ultima_tentativa")
    assert content.text("identidade.tentativas_esgotadas") in third
    assert stranger.state() == "human"
    assert kinds(stranger) == ["handoff"]
    assert "cancellation" not in kinds(stranger)
    assert "529.***.***-25" in caplog.text
    assert "52998224725" not in caplog.text and "529.982.247-25" not in caplog.text


def test_the_day_limit_holds_in_a_new_conversation(stranger, client, zapi):
    start_cancellation(stranger)
    for cep in ("04538-133", "01311000", "69900-000"):
        stranger.say(cep)
    stranger.say("menu")
    stranger.say("sair")

    answer = start_cancellation(stranger)

    assert content.text("identidade.bloqueado_hoje", tentativas=3) in answer
    assert stranger.state() == "human"


def test_the_limit_is_per_day(stranger, clock):
    start_cancellation(stranger)
    for cep in ("04538-133", "01311000", "69900-000"):
        stranger.say(cep)
    stranger.say("menu")
    stranger.say("sair")
    clock.advance(24 * 3600)

    answer = start_cancellation(stranger)

    assert says(answer, "identidade.pedir_cep")


@pytest.mark.parametrize("answer", ["não sei o cep", "nao lembro o cep de la", "sei la"])
def test_not_knowing_the_cep_offers_the_attendant(stranger, answer):
    start_cancellation(stranger)

    stranger.say(answer)

    assert stranger.state() == "human"


def test_a_message_without_a_cep_asks_again_without_counting(stranger):
    start_cancellation(stranger)

    answer = stranger.say("pra que isso?")

    assert says(answer, "ajuda.verify_cep") and asks_cep(answer)
    assert stranger.state() == "verify_cep"
    assert says(stranger.say("01310-100"), "plano.confirmar_cancelamento")


def test_a_verified_holder_is_not_asked_twice_in_the_conversation(stranger):
    start_cancellation(stranger)
    stranger.say("01310-100")
    stranger.say("não")  # keeps the contract

    stranger.say("sim")  # "Posso ajudar em algo mais?"
    answer = stranger.say("quero mudar de plano")

    assert not asks_cep(answer)
    assert says(answer, "plano.qual_novo_plano")
    assert stranger.state() == "change_choice"


def test_the_phone_on_record_matches_without_the_ninth_digit(client, zapi):
    old_whatsapp_id = Chat(client, zapi, "551112340001")  # 5511912340001 before the 9
    answer = start_cancellation(old_whatsapp_id)

    assert not asks_cep(answer)
    assert old_whatsapp_id.state() == "cancel_confirm"


def test_a_technician_visit_needs_the_holder(stranger):
    stranger.say("oi")
    stranger.say("meu modem não liga")
    stranger.say("não ligou")

    answer = stranger.say(MARIA_CPF)

    assert says(answer, "identidade.pedir_cep")
    assert shows_menu(stranger.say("01310-100"), "periodo")
    assert stranger.state() == "visit_period"


def test_invoices_need_no_second_factor(stranger):
    stranger.say("oi")
    stranger.say("segunda via")

    answer = stranger.say(MARIA_CPF)

    assert says(answer, "boleto.varias_faturas")
    assert not asks_cep(answer)


# --- Enumeration ----------------------------------------------------------------------
@pytest.fixture
def prober(tmp_path, clock, zapi) -> Chat:
    """A stranger with room to write many messages a minute (the flood limit is not tested)."""
    from app import create_app
    from conftest import zapi_config

    config = zapi_config(
        tmp_path / "t.sqlite3", rate_limit_per_minute=200, sends_per_phone_per_minute=500
    )
    return Chat(create_app(config, clock=clock).test_client(), zapi, CUSTOMER_PHONE)


def look_up(chat: Chat, document: str) -> str:
    """A new conversation asking the invoices of `document`."""
    chat.say("sair")
    chat.say("2ª via do boleto")
    return chat.say(document)


def test_a_phone_may_look_up_five_distinct_documents_a_day(prober):
    for document in OTHER_VALID_CPFS[:5]:
        assert content.text("identidade.limite_consultas") not in look_up(prober, document)

    answer = look_up(prober, OTHER_VALID_CPFS[5])

    assert content.text("identidade.limite_consultas") in answer
    assert prober.state() == "human"
    assert [r.details["reason"] for r in prober.records()] == ["lookup_limit"]


def test_the_same_document_again_does_not_count(prober):
    for _ in range(7):
        answer = look_up(prober, MARIA_CPF)

    assert content.text("identidade.limite_consultas") not in answer
    assert says(answer, "geral.resposta_repetida")  # the repeated answer's pointer
    assert prober.state() == "anything_else"


def test_the_lookup_limit_is_configurable(tmp_path, clock, zapi):
    from app import create_app
    from conftest import zapi_config

    app = create_app(zapi_config(tmp_path / "t.sqlite3", lookups_per_phone_per_day=1), clock=clock)
    chat = Chat(app.test_client(), zapi, CUSTOMER_PHONE)
    look_up(chat, MARIA_CPF)

    assert content.text("identidade.limite_consultas") in look_up(chat, OTHER_VALID_CPFS[0])


# --- Trust unlock (demo backend) --------------------------------------------------------
def test_trust_unlock_from_the_holders_phone(client, zapi):
    jose = Chat(client, zapi, JOSE_PHONE)
    jose.say("oi")
    jose.say("estou sem internet")
    offer = jose.say(JOSE_CPF)

    answer = jose.say("sim, por favor")

    assert says(offer, "desbloqueio.oferta")
    assert says(answer, "desbloqueio.feito")
    [unlock] = jose.records()
    assert unlock.kind == "trust_unlock"
    assert unlock.details["outcome"] == "unlocked"
    assert jose.state() == "anything_else"


def test_trust_unlock_a_second_time_is_explained(client, zapi):
    jose = Chat(client, zapi, JOSE_PHONE)
    for _ in range(2):
        jose.say("menu")
        jose.say("estou sem internet")
        jose.say(JOSE_CPF)
        answer = jose.say("sim")

    assert says(answer, "desbloqueio.ja_usado_ate")


def test_trust_unlock_from_another_phone_needs_the_cep(stranger):
    stranger.say("oi")
    stranger.say("sem internet")
    stranger.say(JOSE_CPF)

    assert says(stranger.say("sim"), "identidade.pedir_cep")
    assert says(stranger.say("01311-100"), "desbloqueio.feito")


def test_declining_the_trust_unlock_explains_how_the_connection_returns(client, zapi):
    jose = Chat(client, zapi, JOSE_PHONE)
    jose.say("oi")
    jose.say("sem internet")
    jose.say(JOSE_CPF)

    answer = jose.say("não precisa, já vou pagar")

    assert says(answer, "suporte.religacao")
    assert [r.kind for r in jose.records()] == []


def test_waiting_at_the_cep_question_is_no_wrong_answer(stranger):
    start_cancellation(stranger)

    answer = stranger.say("pera vou ver na fatura")

    assert content.text("geral.aguardando") in answer
    assert stranger.state() == "verify_cep"
    assert says(stranger.say("01310-100"), "plano.confirmar_cancelamento")


def test_a_second_document_in_the_same_conversation_is_looked_up(chat):
    chat.say("oi")
    chat.say("segunda via 628.194.821-12")

    answer = chat.say("e a segunda via do cnpj 11.222.333/0001-81")

    assert "11.***.***/****-81" in answer
    assert "628.***.***-12" not in answer


def test_while_a_trust_unlock_lasts_the_contract_is_active(client, zapi):
    from datetime import date

    from business_data import load_business_data

    demo = load_business_data()
    jose = demo.find_customer(JOSE_CPF)
    assert demo.trust_unlock(jose, "P1", date.today()).outcome == "unlocked"

    assert not demo.find_customer(JOSE_CPF).suspended


# --- Golden: the exact wording of the identity check and the trust unlock -------------------
@pytest.mark.golden
def test_golden_identity_check_texts(stranger):
    # Pinned: LGPD wording reviewed by legal: why the CEP is asked, how many tries are
    # left, and that a person takes over; every other test refers to these by key.
    answer = start_cancellation(stranger)
    assert answer == (
        "Por segurança, antes de mexer na conta preciso confirmar que ela é sua. 🔒\n"
        "Me diga o *CEP do endereço de instalação* da internet (pode mandar só os números)."
    )

    assert stranger.say("04538-133") == (
        "Esse CEP não confere com o endereço de instalação desta conta "
        "(restam 2 tentativas hoje). Pode conferir e me mandar de novo?"
    )
    assert stranger.say("01311000") == (
        "Esse CEP não confere com o endereço de instalação desta conta. Você tem "
        "*mais 1 tentativa* hoje (se preferir, digite *atendente*). Qual é o CEP?"
    )
    assert stranger.say("69900-000").startswith(
        "Não consegui confirmar a titularidade da conta, e as tentativas por hoje acabaram. "
        "Para sua segurança, um atendente vai continuar com você."
    )


@pytest.mark.golden
def test_golden_trust_unlock_text_with_its_date(client, zapi):
    # Pinned: a payment commitment: until when the connection stays on and that the
    # invoice must still be paid, as billing approved it.
    jose = Chat(client, zapi, JOSE_PHONE)
    jose.say("oi")
    jose.say("estou sem internet")
    jose.say(JOSE_CPF)

    answer = jose.say("sim, por favor")

    assert answer.startswith(
        "Pronto! Fiz o *desbloqueio de confiança* ✅ Sua internet fica liberada até "
        "*27/11/2026*.\nEm alguns minutos a conexão volta; se não voltar, reinicie o modem. "
        "Não esqueça de pagar a fatura até lá para não ser bloqueado de novo."
    )
