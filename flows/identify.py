"""Identifying the account holder by CPF/CNPJ, shared by every flow that needs it.

`document_customer` reads the document in the message and looks it up;
`not_found` leads to DOC_NOT_FOUND, which offers another document, the
attendant or the menu, and then goes back to the step that asked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import content
from answers import answers, read_option
from business_data import Customer
from conversation import Flow, Invalid, Step, Turn, choice, say_text
from documents import DocumentError, parse_document
from flows.attendant import handoff
from replies import Reply

log = logging.getLogger("theo.bot")

DOC_NOT_FOUND = "doc_not_found"
FoundHandler = Callable[[Turn, Customer], str]
START = "main_menu"  # the menu's state name: "Voltar ao menu principal" leads there


def carries_document(text: str) -> bool:
    """Whether the words that started a flow already hold a document number."""
    return sum(ch.isdigit() for ch in text) >= 8


def document_customer(turn: Turn) -> Customer | None:
    """Parse the document in the message and look the customer up (Invalid if malformed)."""
    try:
        document = parse_document(turn.text)
    except DocumentError as problem:
        raise _document_invalid(problem) from None
    turn.data["document_masked"] = document.masked
    customer = turn.bot.business.find_customer(document.value)
    if customer is not None:
        turn.data["customer"] = document.value
    log.info("document %s looked up: %s", document.masked, "found" if customer else "not found")
    return customer


def _document_invalid(problem: DocumentError) -> Invalid:
    if problem.reason == "length":
        return Invalid(
            content.text("documento.tamanho_errado", recebidos=problem.length), may_jump=False
        )
    if problem.reason == "checksum":
        return Invalid(content.text("documento.digito_invalido"), may_jump=False)
    if problem.reason == "repeated":
        return Invalid(content.text("documento.repetido"), may_jump=False)
    return Invalid(content.text("documento.nao_encontrado_no_texto"))


def document_step(state: str, ask_key: str, on_found: FoundHandler, *, back: str) -> Step:
    """A step that asks for the CPF/CNPJ, then goes on with the customer found.

    Not found leads to DOC_NOT_FOUND; a customer without the document at hand
    ("não tenho o CPF aqui") is offered the attendant instead of a loop.
    """

    def handle(turn: Turn) -> str:
        if not any(ch.isdigit() for ch in turn.text):
            if answers().says("sem_documento", turn.text):
                turn.data["document_masked"] = (
                    ""  # DOC_NOT_FOUND says there is none, not "not found"
                )
                return not_found(turn, state)
            if answers().says("esperar", turn.text):  # "peraí, vou pegar o documento"
                raise Invalid(content.text("geral.aguardando"), may_jump=False, strike=False)
        customer = document_customer(turn)
        return not_found(turn, state) if customer is None else on_found(turn, customer)

    return Step(say_text(ask_key), handle, back=back, answer_in_request=carries_document)


def known_customer(turn: Turn) -> Customer | None:
    """The customer already identified in this conversation, if any."""
    document = turn.data.get("customer")
    return turn.bot.business.find_customer(document) if document else None


def with_customer(turn: Turn, document_state: str, on_found: FoundHandler) -> str:
    """Go on with the customer identified earlier (saying so), or ask for the document."""
    customer = known_customer(turn)
    if customer is None:
        return document_state
    turn.say("documento.ja_informado", documento=turn.data.get("document_masked", ""))
    return on_found(turn, customer)


def not_found(turn: Turn, retry_state: str) -> str:
    """Offer another document, the attendant or the menu."""
    turn.data["retry_state"] = retry_state
    return DOC_NOT_FOUND


def ask_not_found(turn: Turn) -> list[Reply]:
    masked = turn.data.get("document_masked", "")
    if masked:
        intro = content.text("documento.nao_cadastrado", documento=masked)
    else:
        intro = content.text("documento.sem_documento")
    found = content.menu("nao_encontrado")
    return [content.choice_reply("", found.options, list_title=found.title, intro=intro)]


def handle_doc_not_found(turn: Turn) -> str:
    """Another document, the attendant or the menu; a typed document is retried at once."""
    retry_state = turn.data.get("retry_state", START)
    if sum(ch.isalnum() for ch in turn.text) >= 11 and any(ch.isdigit() for ch in turn.text):
        return turn.bot.step(retry_state).handle(turn)
    picked = choice(turn, 3) or read_option(turn, content.menu("nao_encontrado").options)
    if picked == 1:
        return retry_state
    return handoff(turn, "document_not_found") if picked == 2 else START


FLOW = Flow(
    steps={DOC_NOT_FOUND: Step(ask_not_found, handle_doc_not_found, back=START)},
)
