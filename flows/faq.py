"""Short answers: the questions of content/faq.toml, answered at once.

An answer never hands over and never opens a request: it ends with "Posso
ajudar em algo mais?". Asked in the middle of another flow, the answer is said
in passing and that flow's question is asked again (`asides`). An answer that
offers a visit (the Wi-Fi password) asks whether the customer managed, and a
"no" goes on to the technician visit of the support flow.
"""

from __future__ import annotations

import content
import understanding as nlu
from answers import yes_no
from conversation import Flow, Invalid, Step, Turn, say_text, yes_no_step
from flows.boleto import CLOSING
from flows.identify import START, with_customer
from flows.support import VISIT_DOCUMENT, visit_for
from hours import describe_moment, describe_window
from replies import Reply
from vocabulary import FaqEntry

FAQ_ASK = "faq_ask"
FAQ_VISIT_OFFER = "faq_visit_offer"


def enter_faq(turn: Turn) -> str:
    """Answer the question the words ask; a visit offer follows where the entry has one."""
    entry = nlu.faq_entry(turn.text)
    if entry is None:  # offered later as "você também perguntou…": ask it again
        return FAQ_ASK
    say_answer(turn, entry)
    turn.resolved()  # answered; a visit offered after it is a request of its own
    if entry.offers_visit:
        turn.data["faq"] = entry.id
        return FAQ_VISIT_OFFER
    return CLOSING


def answer_in_passing(turn: Turn) -> bool:
    """Mid-flow: say the answer (the engine asks the flow's question again)."""
    entry = nlu.faq_entry(turn.text)
    if entry is None:
        return False
    say_answer(turn, entry)
    return True


def say_answer(turn: Turn, entry: FaqEntry) -> None:
    """The entry's answer with today's attendance hours and the week's filled in."""
    hours = turn.bot.hours
    turn.out.append(Reply(entry.answer.format(horario=hours.describe(), horario_hoje=today(turn))))


def today(turn: Turn) -> str:
    """Today's window while it is open or still ahead, else when attendance reopens."""
    hours = turn.bot.hours
    window = hours.window_today(turn.now)
    opening = hours.next_opening(turn.now)
    if window is not None and hours.is_open(turn.now):
        return content.text("faq.hoje_aberto", janela=describe_window(window))
    if window is not None and opening.date() == turn.now.astimezone(opening.tzinfo).date():
        return content.text("faq.hoje", janela=describe_window(window))
    return content.text("faq.hoje_fechado", reabertura=describe_moment(opening, turn.now))


def handle_faq_ask(turn: Turn) -> str:
    """A question asked again: its answer, or the engine's fallback for other words."""
    if nlu.faq_entry(turn.text) is None:
        raise Invalid(content.text("faq.nao_sei"))
    return enter_faq(turn)


def handle_faq_visit_offer(turn: Turn) -> str:
    """Managed: close; could not: the technician visit, through the support flow."""
    if yes_no(turn):
        turn.say("faq.que_bom")
        turn.resolved()
        return CLOSING
    turn.data["visit_problem"] = f"faq_{turn.data.get('faq', '')}"
    turn.data["diagnosis"] = []
    turn.say("faq.visita")
    return with_customer(turn, VISIT_DOCUMENT, visit_for)


FLOW = Flow(
    steps={
        FAQ_ASK: Step(say_text("faq.qual_duvida"), handle_faq_ask, back=START),
        FAQ_VISIT_OFFER: yes_no_step(
            FAQ_VISIT_OFFER, "faq.conseguiu", handle_faq_visit_offer, back=START
        ),
    },
    entries={nlu.FAQ: enter_faq},
    asides={nlu.FAQ: answer_in_passing},
)
