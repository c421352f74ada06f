"""Moving the service to a new address: new CEP, coverage, number and complement, period.

Covered: a `move` request with the new address and the preferred period. Not
covered: say so, record the interest (`coverage_interest`) and explain what happens
to the contract (the provider's policy, in content/messages.toml).
"""

from __future__ import annotations

import re

import content
import understanding as nlu
from answers import read_option
from business_data import Customer
from conversation import Flow, Invalid, Step, Turn, ask_menu, choice, say_text
from documents import fold, format_cep
from flows.boleto import CLOSING
from flows.identify import START, document_step, holder_only, with_customer
from flows.sales import CEP_STATES, carries_cep, read_cep
from flows.support import PERIODS
from privacy import scrub

MOVE_DOCUMENT = "move_document"
MOVE_CEP = "move_cep"
MOVE_ADDRESS = "move_address"
MOVE_PERIOD = "move_period"


NO_NUMBER = re.compile(r"\bs\s*/\s*n(o|º)?\b|\bsem\s+(o\s+)?numero\b")


def enter_move(turn: Turn) -> str:
    """Identify the holder (skipped when known), then ask the new CEP."""
    return with_customer(turn, MOVE_DOCUMENT, move_for)


def _move_for(turn: Turn, customer: Customer) -> str:
    turn.data["customer_id"] = customer.id
    return MOVE_CEP


# Moving acts on the contract: for the holder only (LGPD).
move_for = holder_only("move", _move_for)


def handle_move_cep(turn: Turn) -> str:
    """Covered: ask the number and complement; not covered: record the interest and explain."""
    cep = read_cep(turn)
    turn.data["move_cep"] = cep
    if turn.bot.business.plans_for_cep(cep):
        turn.say("mudanca.coberto", cep=format_cep(cep))
        return MOVE_ADDRESS
    details = {"customer": turn.data.get("customer_id", ""), "cep": cep, "reason": "move"}
    turn.record("coverage_interest", details)
    turn.say("mudanca.sem_cobertura", cep=format_cep(cep))
    turn.say("mudanca.contrato_sem_cobertura")
    return CLOSING


def handle_move_address(turn: Turn) -> str:
    """Keep the number and complement (free text), then ask the period."""
    address = turn.text.strip()
    # "sim", "ok", "blz" are no street number: an address has a number, or says it has none.
    if not (any(ch.isdigit() for ch in address) or NO_NUMBER.search(fold(address))):
        raise Invalid(content.text("mudanca.endereco_vazio"), may_jump=False)
    if len(address) < 1 or not any(ch.isalnum() for ch in address):
        raise Invalid(content.text("mudanca.endereco_vazio"))
    turn.data["move_address"] = scrub(address)
    return MOVE_PERIOD


def handle_move_period(turn: Turn) -> str:
    """Record the move request with the new address and the preferred period."""
    picked = choice(turn, 2) or read_option(turn, content.menu("periodo").options)
    period = PERIODS[picked - 1]
    details = {
        "customer": turn.data.get("customer_id", ""),
        "cep": turn.data.get("move_cep", ""),
        "address": turn.data.get("move_address", ""),
        "period": period,
    }
    turn.record("move", details)
    said = content.text("visita.qualquer") if period == PERIODS[-1] else period
    turn.say("mudanca.registrada", periodo=said)
    return CLOSING


FLOW = Flow(
    steps={
        MOVE_DOCUMENT: document_step(
            MOVE_DOCUMENT, "mudanca.pedir_documento", move_for, back=START
        ),
        MOVE_CEP: Step(
            say_text("mudanca.pedir_cep"),
            handle_move_cep,
            back=START,
            answer_in_request=carries_cep,
            # "não sei o CEP" names a CEP, not the coverage check: it stays in the move.
            same_question=CEP_STATES,
        ),
        MOVE_ADDRESS: Step(
            say_text("mudanca.pedir_numero"), handle_move_address, back=MOVE_CEP, free_text=True
        ),
        MOVE_PERIOD: Step(
            ask_menu("periodo"), handle_move_period, back=MOVE_ADDRESS, holds_on_questions=True
        ),
    },
    entries={nlu.MUDANCA: enter_move},
)
