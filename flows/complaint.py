"""Complaints: acknowledge without arguing, record with the protocol, offer a person.

"Quero fazer uma reclamação", "vou no Procon", "vocês são uma vergonha": Theo
says it is sorry, records a complaint (kept apart from support tickets) with
what the customer said, scrubbed, and gives the protocol. A problem named in the
same message is not lost: once the complaint is recorded, Theo goes on to it.
Otherwise the attendant is offered (the attendant flow knows the hours).
"""

from __future__ import annotations

import content
import understanding as nlu
from answers import answers, yes_no
from business_data import BackendUnavailable
from conversation import Flow, Invalid, Step, Turn, say_text, yes_no_step
from flows.attendant import handoff
from flows.boleto import CLOSING
from flows.identify import START
from privacy import scrub

COMPLAINT_DESCRIBE = "complaint_describe"
COMPLAINT_ATTENDANT = "complaint_attendant"
TOLD_ENOUGH_WORDS = 6  # "vcs são uma vergonha" says how, not what happened: ask for it
KEPT_CHARS = 1000
MORE_WORDS = 4  # fewer words at the attendant question are an answer, not more complaint
# Named with a complaint, these are what the complaint is about, not a request to start:
# the recorded complaint and the attendant cover them ("o técnico não veio").
NOT_GONE_ON = frozenset({nlu.ATENDENTE, nlu.FAQ, nlu.SUPORTE, nlu.OUTRO_PROBLEMA})


def enter_complaint(turn: Turn) -> str:
    """Acknowledge; record at once when the message tells what happened, else ask.

    One complaint per conversation: angry words again go into the one already recorded.
    """
    if turn.data.get("complaint") is not None:
        amend(turn)
        turn.say("reclamacao.anotado", protocolo=turn.data["protocol"])
        return COMPLAINT_ATTENDANT
    turn.say("reclamacao.sinto_muito")
    if len(nlu.normalize(turn.text).split()) >= TOLD_ENOUGH_WORDS:
        return record_complaint(turn)
    return COMPLAINT_DESCRIBE


def handle_describe(turn: Turn) -> str:
    """What happened, in the customer's words: recorded; asking for a person hands over."""
    if len(turn.text.strip()) < 3:
        raise Invalid(content.text("reclamacao.descricao_vazia"))
    if nlu.detect_intent(turn.text) == nlu.ATENDENTE:
        record(turn)
        return handoff(turn, "complaint")
    return record_complaint(turn)


def record(turn: Turn) -> None:
    """The complaint with everything the customer said about it in this flow, scrubbed."""
    said = [*turn.data.get("said", [])]
    if not said or said[-1] != scrub(turn.text)[:300]:
        said.append(scrub(turn.text)[:300])
    details = {
        "customer": turn.data.get("customer_id") or _customer_of_phone(turn),
        "description": " / ".join(said)[:KEPT_CHARS],
    }
    recorded = turn.record("complaint", details)
    turn.data["complaint"] = {"id": recorded.id, "details": details}


def adds_to_complaint(turn: Turn) -> bool:
    """More about the same complaint instead of a yes/no: kept on the same request."""
    complaint = turn.data.get("complaint")
    if complaint is None or answers().plain_answer(turn.text):
        return False
    words = len(nlu.normalize(turn.text).split())
    intent = nlu.detect_intent(turn.text)
    if words < MORE_WORDS or intent not in (None, nlu.RECLAMACAO):
        return False
    amend(turn)
    return True


def amend(turn: Turn) -> None:
    """Add this message to the complaint recorded earlier in the conversation."""
    complaint = turn.data["complaint"]
    details = complaint["details"]
    details["description"] = f"{details['description']} / {scrub(turn.text)[:300]}"[:KEPT_CHARS]
    turn.bot.records.amend(complaint["id"], details)


def _customer_of_phone(turn: Turn) -> str:
    """The customer code of the only account with this phone on record ("" otherwise).

    Only a reference for the team: nothing of the account is said to the customer.
    """
    try:
        found = turn.bot.business.customers_by_phone(turn.message.phone)
    except BackendUnavailable:
        return ""
    return found[0].id if len(found) == 1 else ""


def record_complaint(turn: Turn) -> str:
    """Record and give the protocol; then the problem named with it, or the attendant."""
    record(turn)
    turn.say("reclamacao.registrada", protocolo=turn.data["protocol"])
    problem = nlu.detect_intent(turn.text, without=frozenset({nlu.RECLAMACAO}))
    if problem is not None and problem not in NOT_GONE_ON:
        turn.say("reclamacao.vamos_resolver")
        return turn.bot.jump(turn, problem)
    return COMPLAINT_ATTENDANT


def handle_attendant(turn: Turn) -> str:
    """Yes: the attendant flow (it knows the hours); no: the closing; more words: kept."""
    if adds_to_complaint(turn):
        turn.say("reclamacao.anotado", protocolo=turn.data["protocol"])
        turn.data["brief"] = True  # the question again, short
        return COMPLAINT_ATTENDANT
    if yes_no(turn):
        return handoff(turn, "complaint")
    turn.say("reclamacao.sem_atendente")
    return CLOSING


FLOW = Flow(
    steps={
        COMPLAINT_DESCRIBE: Step(
            say_text("reclamacao.conte"),
            handle_describe,
            back=START,
            free_text=True,
            person_on_request=False,  # the complaint is recorded before handing over
        ),
        COMPLAINT_ATTENDANT: yes_no_step(
            COMPLAINT_ATTENDANT, "reclamacao.quer_atendente", handle_attendant, back=START
        ),
    },
    entries={nlu.RECLAMACAO: enter_complaint},
)
