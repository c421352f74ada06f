"""Identifying the account holder by CPF/CNPJ, shared by every flow that needs it.

`document_customer` reads the document in the message and looks it up;
`not_found` leads to DOC_NOT_FOUND, which offers another document, the
attendant or the menu, and then goes back to the step that asked.

Knowing a CPF is not proof of holding its account (LGPD). Showing a boleto's
codes to whoever has the CPF is what providers do; acting on the account
(cancellation, plan change, trust unlock, a visit to the address) or showing
the plan goes through `holder_only`: the WhatsApp number is one of the
customer's phones on record, or the customer types the installation CEP
(VERIFY_CEP). Wrong CEPs and distinct documents looked up are counted per phone
and day in the records database, so the limits hold across instances.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable

import content
import understanding as nlu
from answers import answers, read_option
from business_data import Customer
from conversation import Flow, Invalid, Step, Turn, choice
from documents import (
    Document,
    DocumentError,
    mask_document,
    parse_cep,
    parse_document,
    same_phone,
)
from flows.attendant import handoff
from privacy import mask_name, mask_phone
from replies import Reply

log = logging.getLogger("theo.bot")

DOC_NOT_FOUND = "doc_not_found"
VERIFY_CEP = "verify_cep"
FoundHandler = Callable[[Turn, Customer], str]
START = "main_menu"  # the menu's state name: "Voltar ao menu principal" leads there


def carries_document(text: str) -> bool:
    """Whether the words that started a flow already hold a document number."""
    return sum(ch.isdigit() for ch in text) >= 8


def read_document(turn: Turn) -> Document:
    """The CPF/CNPJ in the message (Invalid, saying why, if there is none or it is wrong)."""
    try:
        return parse_document(turn.text)
    except DocumentError as problem:
        raise _document_invalid(problem) from None


def document_customer(turn: Turn, document: Document | None = None) -> Customer | None:
    """Look up the customer of the document in the message (Invalid if malformed)."""
    document = document or read_document(turn)
    turn.data["document_masked"] = document.masked
    turn.data.pop("by_phone", None)  # typed now: "the document you gave" is right again
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
        if not carries_document(turn.text) and phone_accounts(turn):
            return by_phone(turn, state, on_found)
        if not any(ch.isdigit() for ch in turn.text):
            if answers().says("sem_documento", turn.text):
                turn.data["document_masked"] = (
                    ""  # DOC_NOT_FOUND says there is none, not "not found"
                )
                return not_found(turn, state)
            if answers().says("esperar", turn.text):  # "peraí, vou pegar o documento"
                raise Invalid(content.text("geral.aguardando"), may_jump=False, strike=False)
        document = read_document(turn)
        if not lookup_allowed(turn, document):
            turn.say("identidade.limite_consultas")
            return handoff(turn, "lookup_limit")
        customer = document_customer(turn, document)
        return not_found(turn, state) if customer is None else on_found(turn, customer)

    def ask(turn: Turn) -> list[Reply]:
        question = [Reply(content.text(ask_key))]
        return question + offer_phone_accounts(turn)

    return Step(ask, handle, back=back, answer_in_request=carries_document)


# --- Identify by the WhatsApp number ---------------------------------------------------
def phone_accounts(turn: Turn) -> list[Customer]:
    """The accounts with this WhatsApp number on record, unless the customer chose another."""
    if turn.data.get("phone_declined"):
        return []
    return turn.bot.business.customers_by_phone(turn.message.phone)


def offer_phone_accounts(turn: Turn) -> list[Reply]:
    """ "Encontrei o cadastro de M••• pelo seu número": only the masked name before a yes."""
    found = phone_accounts(turn)
    if not found:
        return []
    names = [mask_name(customer.name, hidden="•") for customer in found]
    other = content.text("identidade_numero.outro_documento")
    if len(found) == 1:
        question = content.text("identidade_numero.um", nome=names[0])
        return [content.choice_reply(question, [content.text("geral.sim"), other])]
    question = content.text("identidade_numero.varios", total=len(found))
    return [content.choice_reply(question, [*names, other])]


def by_phone(turn: Turn, state: str, on_found: FoundHandler) -> str:
    """The account found by the number, or the document after all ("outro documento")."""
    found = phone_accounts(turn)
    if answers().says("sem_documento", turn.text):  # the number is the way without a CPF
        raise Invalid(content.text("identidade_numero.lembrete"), may_jump=False, strike=False)
    picked = _phone_pick(turn, len(found))
    if picked is None:
        raise Invalid(content.text("identidade_numero.invalido", total=len(found) + 1))
    if picked > len(found):
        turn.data["phone_declined"] = True
        return state  # asks for the document, without the offer
    customer = found[picked - 1]
    turn.data["customer"] = customer.document
    turn.data["document_masked"] = mask_document(customer.document)
    turn.data["verified"] = customer.document  # the phone is on record: the second factor
    turn.data["by_phone"] = True  # nothing was typed: "the document you gave" would be wrong
    log.info("holder of %s identified by the phone on record", turn.data["document_masked"])
    return on_found(turn, customer)


def _phone_pick(turn: Turn, count: int) -> int | None:
    """The option picked (accounts, then "outro documento"): number, tap, or yes/no for one."""
    picked = choice(turn, count + 1)
    if picked is not None:
        return picked
    if answers().says("outro_documento", turn.text):
        return count + 1
    plain = count == 1 and answers().plain_answer(turn.text)  # "sim", "não": not a sentence
    answer = nlu.parse_yes_no(turn.text) if plain else None
    if answer is None:
        return None
    return 1 if answer else count + 1


def known_customer(turn: Turn) -> Customer | None:
    """The customer already identified in this conversation, if any."""
    document = turn.data.get("customer")
    return turn.bot.business.find_customer(document) if document else None


def with_customer(turn: Turn, document_state: str, on_found: FoundHandler) -> str:
    """Go on with the customer identified earlier (saying so), or ask for the document.

    A request that names another document ("e a do CNPJ 11.222...") looks that one up:
    the document step reads it from the request.
    """
    customer = known_customer(turn)
    if customer is None or _names_another_document(turn.text, customer):
        return document_state
    key = "documento.ja_identificado" if turn.data.get("by_phone") else "documento.ja_informado"
    turn.say(key, documento=turn.data.get("document_masked", ""))
    return on_found(turn, customer)


def _names_another_document(text: str, customer: Customer) -> bool:
    if not carries_document(text):
        return False
    try:
        return parse_document(text).value != customer.document
    except DocumentError:
        return False


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


# --- Limits and the second factor ---------------------------------------------------
def _day(turn: Turn) -> str:
    return turn.now.date().isoformat()


def _subject(turn: Turn, document: str) -> str:
    """A keyed hash: the table counts documents without holding them (a CPF hash is guessable)."""
    return hmac.new(turn.bot.identity_key, document.encode(), hashlib.sha256).hexdigest()[:32]


def lookup_allowed(turn: Turn, document: Document) -> bool:
    """At most `lookups_per_day` distinct documents a phone a day; the same one again is free."""
    records, phone, day = turn.bot.records, turn.message.phone, _day(turn)
    subject = _subject(turn, document.value)
    seen = set(records.identity_checks(phone, day, "lookup"))
    if subject in seen:
        return True
    if len(seen) >= turn.bot.lookups_per_day:
        log.warning("lookup limit reached by %s (%d documents today)", mask_phone(phone), len(seen))
        return False
    records.note_identity_check(phone, day, "lookup", subject)
    return True


_AFTER_VERIFY: dict[str, FoundHandler] = {}


def holder_only(name: str, on_verified: FoundHandler) -> FoundHandler:
    """`on_verified`, once the second factor shows the customer holds the account.

    `name` keys the continuation in the session (a function cannot be stored there).
    """
    if _AFTER_VERIFY.setdefault(name, on_verified) is not on_verified:
        raise RuntimeError(f"holder_only name used twice: {name}")

    def check(turn: Turn, customer: Customer) -> str:
        if holder_verified(turn, customer):
            return on_verified(turn, customer)
        if _failures_today(turn) >= turn.bot.identity_failures_per_day:
            turn.say("identidade.bloqueado_hoje", tentativas=turn.bot.identity_failures_per_day)
            return handoff(turn, "identity_check_failed")
        turn.data["verify_for"] = name
        return VERIFY_CEP

    return check


def holder_verified(turn: Turn, customer: Customer) -> bool:
    """Already shown in this conversation, or writing from a phone on record."""
    if turn.data.get("verified") == customer.document:
        return True
    if any(same_phone(turn.message.phone, phone) for phone in customer.phones):
        turn.data["verified"] = customer.document
        log.info("holder of %s recognised by the phone on record", turn.data.get("document_masked"))
        return True
    return False


def _failures_today(turn: Turn) -> int:
    return len(turn.bot.records.identity_checks(turn.message.phone, _day(turn), "failed"))


def _give_up(turn: Turn) -> str:
    turn.data.pop("verify_for", None)
    turn.say("identidade.tentativas_esgotadas")
    return handoff(turn, "identity_check_failed")


def handle_verify_cep(turn: Turn) -> str:
    """The installation CEP proves the holder; wrong ones are counted for the day."""
    customer = known_customer(turn)
    follow = _AFTER_VERIFY.get(turn.data.get("verify_for", ""))
    if customer is None or follow is None:
        return START
    cep = parse_cep(turn.text)
    if cep is None:
        if answers().says("esperar", turn.text):  # "pera, vou ver na fatura"
            raise Invalid(content.text("geral.aguardando"), may_jump=False, strike=False)
        if answers().says("sem_cep", turn.text):
            turn.data.pop("verify_for", None)
            return handoff(turn, "identity_check_no_cep")
        # Talk of the CEP answers this question; it is not a coverage request.
        about_cep = "cep" in nlu.normalize(turn.text).split()
        raise Invalid(content.text("identidade.cep_invalido"), may_jump=not about_cep)
    if cep == customer.cep:
        turn.data.pop("verify_for")
        turn.data["verified"] = customer.document
        return follow(turn, customer)
    return _wrong_cep(turn, customer)


def _wrong_cep(turn: Turn, customer: Customer) -> str:
    phone, day = turn.message.phone, _day(turn)
    turn.bot.records.note_identity_check(phone, day, "failed", _subject(turn, customer.document))
    failures = _failures_today(turn)
    log.warning(
        "second factor failed for %s from %s (%d today)",
        turn.data.get("document_masked"),
        mask_phone(phone),
        failures,
    )
    left = turn.bot.identity_failures_per_day - failures
    if left <= 0:
        return _give_up(turn)
    key = "identidade.cep_nao_confere" if left > 1 else "identidade.cep_ultima_tentativa"
    raise Invalid(content.text(key, restantes=left), may_jump=False, strike=False)


def ask_verify_cep(turn: Turn) -> list[Reply]:
    return [Reply(content.text("identidade.pedir_cep"))]


FLOW = Flow(
    steps={
        DOC_NOT_FOUND: Step(ask_not_found, handle_doc_not_found, back=START),
        VERIFY_CEP: Step(
            ask_verify_cep,
            handle_verify_cep,
            back=START,
            brief=lambda turn: [Reply(content.text("curta.verify_cep"))],
        ),
    },
    menus={"nao_encontrado": 3},
)
