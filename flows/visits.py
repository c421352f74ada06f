"""A technician visit already asked for: when it comes, reschedule, cancel, or it was missed.

The open visit is Theo's own `visit` request for the customer (with the changes
recorded since) or the provider's open service order. A change is recorded as a
`visit_change` under the visit's own protocol, so the team sees the whole story
in one place. A missed visit gets an apology and a priority ticket.
"""

from __future__ import annotations

from datetime import date, timedelta

import content
import understanding as nlu
from answers import answers, options_named, read_option, yes_no
from business_data import Customer, Visit
from conversation import Flow, Step, Turn, ask_menu, choice, yes_no_step
from flows.boleto import CLOSING
from flows.identify import START, document_step, holder_only, known_customer, with_customer
from flows.support import PERIODS, service_order

OPEN_VISIT_DOCUMENT = "open_visit_document"
VISIT_MANAGE = "visit_manage"
VISIT_NEW_PERIOD = "visit_new_period"
VISIT_CANCEL_CONFIRM = "visit_cancel_confirm"
RESCHEDULE, CANCEL, NOTHING, MISSED = 1, 2, 3, 4  # options of [visit_manage.opcoes]
# Theo's visit requests older than this are taken as done: the team closes them in its system.
OPEN_FOR = timedelta(days=30)
# Period ends: after them, a visit of that day that did not happen was missed.
PERIOD_ENDS = {"manhã": 12, "tarde": 18, "qualquer": 18}


def enter_open_visit(turn: Turn) -> str:
    """Keep what the customer asked (missed, reschedule, cancel), then identify the holder."""
    named = options_named(answers().words(VISIT_MANAGE), turn.text)
    turn.data["visit_action"] = min(named) if len(named) == 1 else 0
    turn.data["visit_period"] = period_said(turn.text)  # "remarcar pra de manhã"
    return with_customer(turn, OPEN_VISIT_DOCUMENT, open_visit_for)


def _open_visit_for(turn: Turn, customer: Customer) -> str:
    """Show the open visit and go on with what was asked; none: say so."""
    turn.data["customer_id"] = customer.id
    visit = open_visit(turn, customer)
    if visit is None:
        turn.say("visitas.nenhuma_aberta")
        turn.resolved()
        return CLOSING
    turn.data["open_visit"] = _stored(visit)
    turn.say("visitas.situacao", quando=_when(visit))
    action = turn.data.pop("visit_action", 0)
    if action == MISSED:
        return missed(turn, visit)
    period = turn.data.pop("visit_period", None)
    if action == RESCHEDULE:
        return reschedule(turn, period) if period else VISIT_NEW_PERIOD
    if action == CANCEL:
        return VISIT_CANCEL_CONFIRM
    return VISIT_MANAGE


# Visits are at the customer's address: for the holder only (LGPD).
open_visit_for = holder_only("open_visit", _open_visit_for)


def open_visit(turn: Turn, customer: Customer) -> Visit | None:
    """The soonest open visit: the provider's orders first, then Theo's own requests."""
    orders = turn.bot.business.open_visits(customer)
    if orders:
        return orders[0]
    own = theo_visits(turn, customer)
    return own[-1] if own else None


def theo_visits(turn: Turn, customer: Customer) -> list[Visit]:
    """Theo's visit requests for the customer, folded with their changes, oldest first."""
    since = turn.now - OPEN_FOR
    rows = turn.bot.records.requests_for_customer(customer.id, ("visit", "visit_change"), since)
    visits: dict[str, Visit] = {}
    for row in rows:
        if row.kind == "visit":
            visits[row.protocol] = Visit(
                row.protocol, row.details.get("period", ""), None, "waiting", row.protocol
            )
        elif row.protocol in visits and row.details.get("action") == "cancel":
            del visits[row.protocol]
        elif row.protocol in visits:
            old = visits[row.protocol]
            visits[row.protocol] = Visit(
                old.id, row.details.get("period", ""), None, "waiting", old.protocol
            )
    return list(visits.values())


def _stored(visit: Visit) -> dict:
    """The visit as the session keeps it (JSON)."""
    day = visit.day.isoformat() if visit.day else ""
    return {"id": visit.id, "protocol": visit.protocol, "period": visit.period, "day": day}


def _when(visit: Visit) -> str:
    """ "no dia 26/11/2026, à tarde" or "à tarde (a equipe ainda vai confirmar a data)"."""
    period = content.text(f"visitas.periodo_{_period_key(visit.period)}")
    if visit.day is None:
        return content.text("visitas.sem_data", periodo=period)
    return content.text("visitas.com_data", data=content.day(visit.day), periodo=period)


def _period_key(period: str) -> str:
    return {"manhã": "manha", "tarde": "tarde"}.get(period, "qualquer")


# --- Missed -----------------------------------------------------------------------------
def missed(turn: Turn, visit: Visit) -> str:
    """Past its period: apologise and open a priority ticket; still ahead: say when."""
    if not _is_past(turn, visit):
        turn.say("visitas.ainda_vai")
        return VISIT_MANAGE
    details = {
        "customer": turn.data.get("customer_id", ""),
        "priority": "alta",
        "reason": "missed_visit",
        "visit": visit.id,
        "visit_protocol": visit.protocol,
    }
    customer = known_customer(turn)
    if customer is not None:
        text = content.text("visitas.ordem_nao_veio", visita=visit.id)
        details["erp_order"] = service_order(turn, customer, "ticket", text)
    turn.record("ticket", details)
    turn.say("visitas.desculpas_nao_veio")
    return CLOSING


def _is_past(turn: Turn, visit: Visit) -> bool:
    """A visit without a date counts as due: the customer was told the team would come."""
    if visit.day is None:
        return True
    today: date = turn.now.date()
    if visit.day != today:
        return visit.day < today
    return turn.now.hour >= PERIOD_ENDS.get(visit.period, 18)


# --- Manage: reschedule or cancel ----------------------------------------------------
def period_said(text: str) -> str | None:
    """The one period the words name ("de manhã", "à tarde"), if they name one."""
    named = options_named(answers().words(VISIT_NEW_PERIOD), text)
    return PERIODS[min(named) - 1] if len(named) == 1 else None


def handle_visit_manage(turn: Turn) -> str:
    """Reschedule, cancel, nothing to change, or it did not come; a period is a reschedule."""
    period = period_said(turn.text)
    if period is not None and turn.message.choice_id is None:
        return reschedule(turn, period)  # "quero de manhã"
    picked = choice(turn, 3) or read_option(turn, content.menu("visita_aberta").options)
    if picked == RESCHEDULE:
        return VISIT_NEW_PERIOD
    if picked == CANCEL:
        return VISIT_CANCEL_CONFIRM
    if picked == MISSED:
        return missed(turn, _visit_from(turn.data["open_visit"]))
    turn.say("visitas.mantida")
    turn.resolved()
    return CLOSING


def handle_visit_new_period(turn: Turn) -> str:
    """Record the new period on the visit's protocol."""
    picked = choice(turn, 2) or read_option(turn, content.menu("periodo").options)
    return reschedule(turn, PERIODS[picked - 1])


def reschedule(turn: Turn, period: str) -> str:
    """Record the new period on the visit's protocol."""
    _record_change(turn, {"action": "reschedule", "period": period})
    said = content.text("visita.qualquer") if period == PERIODS[-1] else period
    turn.say("visitas.remarcada", periodo=said, protocolo=_protocol_of(turn))
    return CLOSING


def handle_visit_cancel_confirm(turn: Turn) -> str:
    """Yes: record the cancellation on the visit's protocol; no: the visit stays."""
    if not yes_no(turn):
        turn.say("visitas.mantida")
        turn.resolved()
        return CLOSING
    _record_change(turn, {"action": "cancel"})
    turn.say("visitas.cancelada", protocolo=_protocol_of(turn))
    return CLOSING


def _protocol_of(turn: Turn) -> str:
    return turn.data["open_visit"]["protocol"] or turn.data["protocol"]


def _record_change(turn: Turn, change: dict) -> None:
    """A `visit_change` under the visit's protocol (the conversation's for an ERP order)."""
    visit = turn.data["open_visit"]
    details = {"customer": turn.data.get("customer_id", ""), "visit": visit["id"], **change}
    if visit["protocol"] != turn.data["protocol"]:
        details["conversation_protocol"] = turn.data["protocol"]
    turn.bot.records.record(
        "visit_change", _protocol_of(turn), turn.message.phone, details, now=turn.now
    )
    turn.resolved()  # recorded under the visit's protocol, so not through turn.record


def _visit_from(stored: dict) -> Visit:
    day = date.fromisoformat(stored["day"]) if stored.get("day") else None
    status = "scheduled" if day else "waiting"
    return Visit(stored["id"], stored["period"], day, status, stored["protocol"])


FLOW = Flow(
    steps={
        OPEN_VISIT_DOCUMENT: document_step(
            OPEN_VISIT_DOCUMENT, "visitas.pedir_documento", open_visit_for, back=START
        ),
        # "visita_aberta" shows three; "não veio" (4) is read from words, not shown.
        VISIT_MANAGE: Step(ask_menu("visita_aberta"), handle_visit_manage, back=START),
        VISIT_NEW_PERIOD: Step(
            ask_menu("periodo"),
            handle_visit_new_period,
            back=VISIT_MANAGE,
            holds_on_questions=True,
        ),
        VISIT_CANCEL_CONFIRM: yes_no_step(
            VISIT_CANCEL_CONFIRM,
            "visitas.confirmar_cancelamento",
            handle_visit_cancel_confirm,
            back=VISIT_MANAGE,
        ),
    },
    menus={"visita_aberta": 3},
    entries={nlu.VISITA: enter_open_visit},
)
