"""What the engine does for every flow: confirmation, nudges, help, recall, pending requests.

Driven through POST /webhook like test_flows.py; sentences are referred to by
their content key wherever the exact wording does not matter.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from test_flows import MARIA_CPF, SUSPENDED_CPF, chat_with_outage, kinds

import content
import flows
from conftest import Chat, option, says, shows_menu
from sessions import Session

ROOT = Path(__file__).resolve().parents[1]


def short(state: str) -> str:
    """The one-line form of a question, as the engine repeats it."""
    return content.text(f"curta.{state}")


def at(chat: Chat, state: str, **data: object) -> None:
    """Put the customer straight into `state`, identified as Maria."""
    sessions = chat.client.application.extensions["theo"].sessions
    seeded = {"protocol": "20261124000001", "customer": "52998224725", "diagnosis": []}
    sessions.save(chat.phone, Session(state, seeded | data))


def asks_document(answer: str) -> bool:
    """Whether Theo asks for the CPF or CNPJ, whatever the flow."""
    return any(says(answer, f"documento.pedir_{flow}") for flow in DOCUMENT_QUESTIONS)


DOCUMENT_QUESTIONS = ("boleto", "suporte", "visita", "plano")
NOT_UNDERSTOOD = ("geral.sim_ou_nao_invalido", "geral.opcao_invalida", "geral.opcao_invalida_duas")


def strikes(chat: Chat) -> int:
    session = chat.client.application.extensions["theo"].sessions.get(chat.phone)
    return session.data.get("invalid", 0)


# --- The engine knows no flow -----------------------------------------------------------
def test_the_engine_names_no_flow_state_and_imports_no_flow_module():
    source = (ROOT / "bot_logic.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "flows"
        for alias in node.names
    }
    flow_states = set(flows.STEPS) - {flows.START, flows.CLOSING, flows.UNAVAILABLE}

    assert not strings & flow_states
    tables = {"CLOSING", "ENTRIES", "START", "STEPS", "UNAVAILABLE", "STATS_KEYS", "closing_for"}
    assert imported <= tables | {"ASIDES"}


def test_every_flow_module_declares_its_own_states():
    for module in flows.MODULES:
        for state in module.FLOW.steps:
            assert flows.STEPS[state] is module.FLOW.steps[state]


# --- Unsure readings ask instead of guessing ---------------------------------------------
def test_mixed_hints_ask_to_confirm_and_the_pick_goes_on(chat):
    at(chat, "red_light")

    answer = chat.say("ta tudo verde mas a pon ta piscando")

    question = content.lower_first("curta.red_light")  # inside the sentence: lowercase
    assert content.text("geral.confirmar", pergunta=question) in answer
    assert chat.state() == "confirm"
    assert strikes(chat) == 0
    chat.say("1")
    assert chat.state() == "fiber_check"


def test_improved_a_little_but_still_bad_is_not_improved(chat):
    at(chat, "slow_stability")

    chat.say("melhorou um pouco mas ainda ta ruim")

    assert chat.state() == "visit_period"


def test_a_confirmation_accepts_words_and_back_returns_to_the_question(chat):
    at(chat, "red_light")
    chat.say("ta tudo verde mas a pon ta piscando")
    assert chat.state() == "confirm"

    assert chat.say("voltar")
    assert chat.state() == "red_light"

    chat.say("ta tudo verde mas a pon ta piscando")
    chat.say("não")
    assert chat.state() == "modem_restart"


def test_a_fresh_answer_at_a_confirmation_answers_the_question(chat):
    at(chat, "red_light")
    chat.say("ta tudo verde mas a pon ta piscando")
    assert chat.state() == "confirm"

    chat.say("tem uma luz vermelha sim")

    assert chat.state() == "fiber_check"


# --- Not an answer, but not wrong either ----------------------------------------------------
def test_still_doing_it_is_not_a_yes_and_not_a_strike(chat):
    at(chat, "modem_restart")

    answer = chat.say("ok, peraí vou fazer")

    assert content.text("geral.aguardando") in answer
    assert chat.state() == "modem_restart"
    assert strikes(chat) == 0
    assert not says(answer, "suporte.resolvido")  # not read as "it came back"


def test_impatience_repeats_the_question_briefly(chat):
    at(chat, "red_light")

    answer = chat.say("???")

    assert content.text("geral.estou_aqui") in answer
    assert short("red_light") in answer
    assert not any(says(answer, key) for key in NOT_UNDERSTOOD)
    assert strikes(chat) == 0


def test_a_greeting_at_the_main_menu_gets_the_short_menu_not_the_whole(chat):
    chat.say("oi")

    answer = chat.say("alo")

    assert content.text("curta.main_menu") in answer
    assert option("principal", 1) not in answer


def test_a_question_asked_back_gets_its_help_then_the_question(chat):
    at(chat, "red_light")

    answer = chat.say("onde fica essa luz?")

    assert content.text("ajuda.red_light") in answer
    assert short("red_light") in answer
    assert chat.state() == "red_light" and strikes(chat) == 0


def test_a_help_that_asks_its_own_question_is_not_followed_by_a_second(chat):
    at(chat, "slow_speed_test")

    answer = chat.say("nao tenho cabo aqui")

    assert content.text("suporte.sem_cabo") in answer
    assert answer.count("?") == 1


# --- What was said is not asked again --------------------------------------------------------
def test_a_red_light_named_at_the_start_is_not_asked_again(chat):
    chat.say("minha internet caiu e tem uma luz vermelha piscando no modem")

    answer = chat.say(MARIA_CPF)

    assert content.text("suporte.luz_vermelha") not in answer
    assert says(answer, "suporte.verificar_fibra")
    assert chat.state() == "fiber_check"


def test_a_restart_already_done_goes_to_the_visit(chat):
    chat.say("to sem internet, ja reiniciei o modem 3 vezes")
    chat.say(MARIA_CPF)

    answer = chat.say("nao, ta tudo verde")

    assert not says(answer, "suporte.reiniciar_modem")
    assert chat.state() == "visit_period"


def test_a_known_customer_asking_the_pix_is_not_asked_the_cpf_again(chat):
    chat.say("oi")
    chat.say("1")
    chat.say(MARIA_CPF)

    answer = chat.say("vc manda o pix de novo?")

    assert not asks_document(answer)
    assert "529.***.***-25" in answer


# --- Two requests, and problems that come back --------------------------------------------------
def test_the_second_request_of_a_message_is_offered_when_the_first_ends(chat):
    chat.say("to sem internet e preciso da segunda via tambem")

    answer = chat.say(MARIA_CPF)  # the explicit request first: the invoices

    assert says(answer, "boleto.varias_faturas")
    assert says(answer, "geral.pendente", assunto=content.text("assuntos.sem_internet"))
    diagnosis = chat.say("sim")
    assert not asks_document(diagnosis)
    assert chat.state() == "red_light"


def test_a_problem_back_at_the_closing_reopens_it(chat):
    at(chat, "modem_restart")
    chat.say("voltou")
    assert chat.state() == "anything_else"

    answer = chat.say("nao pera, caiu de novo")

    assert chat.state() == "visit_period"
    assert says(answer, "suporte.precisa_visita")


def test_a_no_followed_by_a_complaint_never_ends_the_conversation(chat):
    at(chat, "anything_else")

    chat.say("nao, a internet voltou a cair")

    assert chat.state() not in (None, "end")


def test_closing_words_end_the_conversation(chat):
    for words in ("nao, era so isso", "é isso, obrigado!", "valeu 👍"):
        at(chat, "anything_else")
        chat.say(words)
        assert chat.state() is None, words


# --- First messages ------------------------------------------------------------------------
def test_a_number_as_the_first_message_greets_and_opens_that_option(chat):
    answer = chat.say("opção 2")

    assert says(answer, "geral.saudacao_direta", protocolo=chat.protocol())
    assert shows_menu(answer, "suporte")
    assert chat.state() == "support_menu"


def test_a_menu_tap_after_the_session_expired_greets_and_acts_on_it(chat, clock):
    chat.say("oi")
    chat.say("2")
    clock.advance(3600)

    answer = chat.tap_list("2", option("suporte", 2))

    assert says(answer, "geral.saudacao_direta", protocolo=chat.protocol())
    assert chat.state() == "slow_where"


def test_a_photo_caption_is_read_like_a_text(chat):
    at(chat, "red_light")
    body = chat.payload(image={"imageUrl": "https://x/m.jpg", "caption": "olha a luz vermelha"})

    chat.post(body)

    assert chat.state() == "fiber_check"


# --- Dead ends and account checks -----------------------------------------------------------------
def test_no_document_at_hand_offers_the_attendant_instead_of_looping(stranger):
    # From a phone on record the account found by the number is offered instead (test_account).
    chat = stranger
    chat.say("oi")
    chat.say("1")

    answer = chat.say("nao tenho o cpf aqui agora")

    assert content.text("documento.sem_documento") in answer
    assert chat.state() == "doc_not_found"
    assert says(chat.say("2"), "atendente.transferindo", protocolo=chat.protocol())
    assert kinds(chat) == ["handoff"]


def test_modem_off_visit_is_not_booked_for_a_suspended_contract(chat):
    chat.say("oi")
    chat.say("2")
    chat.say("3")
    chat.say("nao ligou")

    answer = chat.say(SUSPENDED_CPF)

    assert says(answer, "suporte.suspenso")
    assert chat.state() == "trust_unlock_offer"  # the way back for a suspended account
    assert "visit" not in kinds(chat)


def test_slow_visit_is_not_booked_inside_an_active_outage(tmp_path, config, clock, zapi):
    chat = chat_with_outage(tmp_path, config, clock, zapi, "2026-11-24T16:00:00-03:00")
    chat.say("oi")
    chat.say("internet lenta")
    chat.say("2")
    chat.say("sim, deu 50 de 500")
    chat.say("nao melhorou")

    answer = chat.say(MARIA_CPF)

    assert says(answer, "suporte.manutencao")
    assert "visit" not in kinds(chat)


def test_a_lead_keeps_the_name_and_the_request_that_came_with_it(chat):
    chat.say("oi")
    chat.say("3")
    chat.say("01310-100")
    chat.say("o de 500")

    chat.say("meu nome é João da Silva, pode me ligar à tarde?")

    lead = chat.records()[0]
    assert lead.kind == "lead"
    assert lead.details["name"] == "João da Silva"
    assert re.search("ligar", lead.details["note"])
    assert chat.state() == "anything_else"


def test_a_request_read_through_a_typo_is_confirmed_first(chat):
    answer = chat.say("cancelr meu plano")

    assert says(answer, "geral.confirmar_assunto", assunto=content.text("assuntos.cancelar"))
    assert chat.state() == "confirm"
    chat.say("sim")
    assert chat.state() == "plan_document"


def test_declining_a_typo_reading_goes_back_to_the_question(chat):
    chat.say("oi")
    chat.say("cotratar internet")

    answer = chat.say("nao")

    assert content.text("geral.entao_nao") in answer
    assert chat.state() == "main_menu"


# --- Sessions from an older deploy --------------------------------------------------------
def test_a_session_in_a_state_removed_by_a_deploy_goes_back_to_the_menu(chat):
    at(chat, "old_removed_state", retry_state="also_gone")

    answer = chat.say("1")

    assert content.text("geral.atualizado") in answer
    session = chat.client.application.extensions["theo"].sessions.get(chat.phone)
    assert session.state == "anything_else"  # "1" then answered the menu: Maria's invoices
    assert "retry_state" not in session.data
    assert session.version


def test_a_session_of_the_current_version_is_left_alone(chat):
    chat.say("oi")
    chat.say("2")

    assert chat.state() == "support_menu"


def test_the_same_long_answer_again_within_minutes_points_to_the_first(chat):
    chat.say("oi")
    chat.say("1")
    first = chat.say(MARIA_CPF)

    again = chat.say("manda a segunda via do boleto")  # "de novo" would ask for a resend

    assert re.search(r"\d{47}", first)
    assert content.text("geral.resposta_repetida") in again
    assert not re.search(r"\d{47}", again)  # the codes are not sent a second time
    assert says(again, "geral.encerramento", protocolo=chat.protocol())
