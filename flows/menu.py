"""The main menu and the closing question "Posso ajudar em algo mais?".

The closing reads the whole message, not one word: "não, voltou a cair" is a
complaint, not a goodbye. A second request the customer made earlier ("e a
segunda via também") is offered here, and a problem that comes back after a
step said it was solved reopens that step.
"""

from __future__ import annotations

import content
import understanding as nlu
from answers import answers
from conversation import (
    Flow,
    Invalid,
    Step,
    Turn,
    Unsure,
    ask_menu,
    choice,
    goodbye,
    pick,
    say_text,
)
from flows.attendant import handoff
from flows.identify import START, carries_document, document_customer, lookup_allowed, read_document
from flows.sales import carries_cep
from replies import Reply

MAIN_MENU = START
ANYTHING_ELSE = "anything_else"
MAIN_MENU_INTENTS = nlu.MAIN_MENU_INTENTS


def ask_anything_else(turn: Turn) -> list[Reply]:
    pending = turn.data.get("pending")
    if pending:
        question = content.text("geral.pendente", assunto=content.text(f"assuntos.{pending}"))
        protocol = Reply(content.text("geral.protocolo", protocolo=turn.data["protocol"]))
        return [protocol, content.yes_no_reply(question)]
    return [Reply(content.text("geral.encerramento", protocolo=turn.data["protocol"]))]


def handle_main_menu(turn: Turn) -> str:
    """A main-menu option by number; free words are handled by the engine's fallback."""
    kept = data_at_the_menu(turn)
    if kept is not None:
        return kept
    picked = pick(turn, len(MAIN_MENU_INTENTS), content.text("geral.menu_invalido"))
    return turn.bot.jump(turn, MAIN_MENU_INTENTS[picked - 1])


def handle_anything_else(turn: Turn) -> str:
    """After a flow: a new request, the pending one, the problem back again, or goodbye."""
    if turn.confirmed is not None:  # the customer answered "posso encerrar?"
        return goodbye(turn) if turn.confirmed else MAIN_MENU
    pending = turn.data.pop("pending", None)
    solved_at = turn.data.pop("reopen", None)
    if solved_at and answers().says("continua", turn.text):
        return reopen(turn, solved_at)  # "caiu de novo" right after a fix is that same problem
    picked = None if pending else choice(turn, len(MAIN_MENU_INTENTS))
    if picked is not None:
        return turn.bot.jump(turn, MAIN_MENU_INTENTS[picked - 1])
    intent = nlu.detect_intent(turn.text)
    if intent is not None:
        return turn.bot.jump_to_words(turn, intent)
    kept = None if pending else data_at_the_menu(turn)
    if kept is not None:
        return kept
    if pending:
        return _pending_answer(turn, pending)
    return _closing_answer(turn)


def data_at_the_menu(turn: Turn) -> str | None:
    """A CPF/CNPJ or a CEP sent where a menu was shown: used, not "não entendi".

    The document is looked up and kept for the request that follows ("Vou usar o
    documento… que você já informou"); a CEP alone is a coverage question.
    """
    cep, has_document = carries_cep(turn.text), carries_document(turn.text)
    # Cheap checks first: most messages at a menu carry neither, and skip the reading below.
    if not (cep or has_document) or turn.message.choice_id is not None:
        return None
    if choice(turn, len(MAIN_MENU_INTENTS)) is not None or nlu.detect_intent(turn.text):
        return None  # "2ª via, meu cpf …": the request, which reads the document itself
    if cep:
        return turn.bot.jump(turn, nlu.COBERTURA)  # the coverage step reads the CEP at once
    if has_document:
        document = read_document(turn)
        if not lookup_allowed(turn, document):
            turn.say("identidade.limite_consultas")
            return handoff(turn, "lookup_limit")
        found = document_customer(turn, document) is not None
        turn.say("documento.anotado" if found else "documento.anotado_sem_cadastro",
                 documento=document.masked)  # fmt: skip
        return MAIN_MENU
    return None


def _pending_answer(turn: Turn, pending: str) -> str:
    """Yes: start the request kept from earlier; no: the usual closing question."""
    if answers().every_clause("encerrar", turn.text):
        return goodbye(turn)  # "obrigado" to "quer ver isso agora?"
    said = turn.message.choice_id or turn.text
    answer = nlu.parse_yes_no(said)
    if answer is None:
        turn.data["pending"] = pending
        raise Invalid(content.text("geral.sim_ou_nao_invalido"))
    return turn.bot.jump(turn, pending) if answer else ANYTHING_ELSE


def reopen(turn: Turn, state: str) -> str:
    """The problem a step had solved is back: answer that step again with "no"."""
    turn.say("geral.continua_problema")
    turn.session.state = state
    turn.confirmed = False
    return turn.bot.step(state).handle(turn)


def _closing_answer(turn: Turn) -> str:
    """Only closing words: goodbye; yes: the menu; a "no" among other words: ask first."""
    if answers().every_clause("encerrar", turn.text):
        return goodbye(turn)
    answer = nlu.parse_yes_no(turn.text)
    if answer is None:
        raise Invalid(content.text("geral.algo_mais_invalido"))
    if answer:
        return MAIN_MENU
    raise Unsure(  # "não, ..." with more words we could not read: never end on a guess
        content.text("geral.confirmar_encerrar"),
        [content.text("geral.encerrar_sim"), content.text("geral.encerrar_nao")],
        [True, False],  # True: yes, close
    )


FLOW = Flow(
    steps={
        MAIN_MENU: Step(
            ask_menu("principal"),
            handle_main_menu,
            back=MAIN_MENU,
            brief=say_text("curta.main_menu"),
        ),
        ANYTHING_ELSE: Step(ask_anything_else, handle_anything_else, back=MAIN_MENU),
    },
    menus={"principal": len(MAIN_MENU_INTENTS)},
)
