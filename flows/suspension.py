"""Pausing the service: a temporary suspension asked by a residential customer.

The consumer rules for telecom give a residential customer who is up to date one
free suspension of 30 to 120 days every 12 months. Theo identifies the holder,
checks the account (a company is told the rule does not apply; an overdue
invoice comes first), reads the period ("2 meses", "60 dias", "de 10/01 a
10/03") and the start, confirms the reading and records it for the team, which
has the final word. A suspension already asked in Theo's records in the last
12 months is said, and recorded with the request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import content
import understanding as nlu
from answers import answers, yes_no
from business_data import Customer
from conversation import Flow, Invalid, Step, Turn, say_text, yes_no_step
from flows.attendant import handoff
from flows.boleto import CLOSING
from flows.identify import START, document_step, holder_only, known_customer, with_customer

SUSPENSION_DOCUMENT = "suspension_document"
SUSPENSION_BUSINESS = "suspension_business"
SUSPENSION_OVERDUE = "suspension_overdue"
SUSPENSION_PERIOD = "suspension_period"
SUSPENSION_START = "suspension_start"
SUSPENSION_CONFIRM = "suspension_confirm"

MIN_DAYS, MAX_DAYS = 30, 120  # the consumer rule's range
DAYS_IN = {"pausa_dias": 1, "pausa_semanas": 7, "pausa_meses": 30}
LOOKBACK = timedelta(days=365)  # one suspension every 12 months
LATEST_START_DAYS = 90  # a start further ahead is a typo more often than a plan
# A date as customers type it: 10/01, 10/01/2027, 10-01-27 (before normalizing drops "/").
DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?(?!\d)")


@dataclass(frozen=True)
class Period:
    """How long, and from when when the customer said so."""

    days: int
    start: date | None = None


# --- Entry ------------------------------------------------------------------------------
def enter_suspension(turn: Turn) -> str:
    """Identify the holder (skip if already known in this conversation)."""
    return with_customer(turn, SUSPENSION_DOCUMENT, suspension_for)


def suspension_for(turn: Turn, customer: Customer) -> str:
    """A company is told the rule is for homes; a home goes on once the holder is shown."""
    turn.data["customer_id"] = customer.id
    if customer.kind != "residential":
        turn.say("pausa.empresa")
        return SUSPENSION_BUSINESS
    return residential(turn, customer)


def _residential(turn: Turn, customer: Customer) -> str:
    """Overdue first; then any earlier suspension; then the period (maybe already said)."""
    today = turn.now.date()
    overdue = [i for i in turn.bot.business.open_invoices(customer) if i.is_overdue(today)]
    if customer.suspended or overdue:
        turn.say("pausa.em_atraso")
        return SUSPENSION_OVERDUE
    earlier = turn.bot.records.requests_for_customer(
        customer.id, ("suspension",), turn.now - LOOKBACK
    )
    turn.data["suspension_before"] = earlier[-1].protocol if earlier else ""
    if earlier:
        turn.say("pausa.ja_pediu", data=content.day(earlier[-1].created_at.date()))
    turn.say("pausa.regra")
    said = " ; ".join(turn.data.get("said", []))
    period = read_period(said, today)
    if period is None or not MIN_DAYS <= period.days <= MAX_DAYS:
        return SUSPENSION_PERIOD
    return keep_period(turn, period)


# Suspending touches the contract: the holder only (LGPD).
residential = holder_only("suspension", _residential)


# --- The period and the start -------------------------------------------------------------
def read_period(text: str, today: date) -> Period | None:
    """ "de 10/01 a 10/03", "2 meses", "60 dias", "90": the days, and a start if one is named."""
    dates = [d for d in (_date(m, today) for m in DATE.finditer(text)) if d is not None]
    if len(dates) >= 2:
        start, end = dates[0], dates[1]
        if end <= start:
            end = _next_year(end)
        return Period((end - start).days, start)
    days = _days_named(text)
    if days is None and nlu.normalize(text).isdigit():
        days = int(nlu.normalize(text))  # a bare number answers "quantos dias?"
    if days is None:
        return None
    return Period(days, dates[0] if dates else None)


def _days_named(text: str) -> int | None:
    for kind, unit in DAYS_IN.items():
        for match in answers().find(kind, text):
            number = match.group(1)
            count = int(number) if number.isdigit() else nlu.parse_choice(number, 10)
            if count:
                return count * unit
    return None


def _date(match: re.Match[str], today: date) -> date | None:
    """A typed dd/mm(/yy): this year's, or next year's when this year's has passed."""
    day, month, year = int(match[1]), int(match[2]), match[3]
    try:
        if year:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        found = date(today.year, month, day)
    except ValueError:
        return None
    return found if found >= today else _next_year(found)


def _next_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29/02
        return day + timedelta(days=365)


def read_start(text: str, today: date) -> date | None:
    """ "a partir de 10/01", "amanhã", "hoje", "dia 15": the first day without service."""
    found = DATE.search(text)
    if found:
        return _date(found, today)
    if answers().says("inicio_dia_seguinte", text):
        return today + timedelta(days=1)
    if answers().says("inicio_hoje", text):
        return today
    days = [m for m in answers().find("inicio_dia", text)]
    if days and 1 <= int(days[0].group(1)) <= 31:
        return _day_of_month(int(days[0].group(1)), today)
    return None


def _day_of_month(day: int, today: date) -> date | None:
    """The next `day` of a month from today on ("dia 15")."""
    for months_ahead in range(3):
        month = (today.month - 1 + months_ahead) % 12 + 1
        year = today.year + (today.month - 1 + months_ahead) // 12
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    return None


def keep_period(turn: Turn, period: Period) -> str:
    """Keep the days; ask the start unless it was said."""
    turn.data["suspension_days"] = period.days
    if period.start is None:
        return SUSPENSION_START
    return keep_start(turn, period.start)


def keep_start(turn: Turn, start: date) -> str:
    """Keep a start from today to LATEST_START_DAYS ahead, then confirm the reading."""
    today = turn.now.date()
    if not today <= start <= today + timedelta(days=LATEST_START_DAYS):
        raise Invalid(content.text("pausa.inicio_fora", dias=LATEST_START_DAYS), may_jump=False)
    turn.data["suspension_start"] = start.isoformat()
    return SUSPENSION_CONFIRM


def handle_period(turn: Turn) -> str:
    """Read the period; outside 30–120 days, say the rule and ask again."""
    period = read_period(turn.text, turn.now.date())
    if period is None:
        raise Invalid(content.text("pausa.periodo_invalido"))
    if not MIN_DAYS <= period.days <= MAX_DAYS:
        raise Invalid(content.text("pausa.periodo_fora", dias=period.days), may_jump=False)
    return keep_period(turn, period)


def handle_start(turn: Turn) -> str:
    """Read the first day of the suspension."""
    start = read_start(turn.text, turn.now.date())
    if start is None:
        raise Invalid(content.text("pausa.inicio_invalido"))
    return keep_start(turn, start)


# --- Confirm and record -------------------------------------------------------------------
def _span(turn: Turn) -> tuple[date, date]:
    start = date.fromisoformat(turn.data["suspension_start"])
    return start, start + timedelta(days=turn.data["suspension_days"] - 1)


def ask_confirm(turn: Turn) -> list:
    start, end = _span(turn)
    question = content.text(
        "pausa.confirmar",
        dias=turn.data["suspension_days"],
        inicio=content.day(start),
        fim=content.day(end),
    )
    return [content.yes_no_reply(question)]


def handle_confirm(turn: Turn) -> str:
    """Yes: record the suspension for the team; no: ask the period again."""
    if not yes_no(turn):
        turn.say("pausa.corrigir")
        return SUSPENSION_PERIOD
    start, end = _span(turn)
    customer = known_customer(turn)
    details = {
        "customer": customer.id if customer else turn.data.get("customer_id", ""),
        "days": turn.data["suspension_days"],
        "start": start.isoformat(),
        "end": end.isoformat(),
        "earlier_request": turn.data.get("suspension_before", ""),
    }
    turn.record("suspension", details)
    turn.say("pausa.registrada", inicio=content.day(start), fim=content.day(end))
    return CLOSING


def handle_business(turn: Turn) -> str:
    """A company: the attendant, or the closing."""
    if yes_no(turn):
        return handoff(turn, "suspension_business")
    return CLOSING


def handle_overdue(turn: Turn) -> str:
    """Overdue: the invoices now (the boleto flow), or the closing."""
    if yes_no(turn):
        return turn.bot.jump(turn, nlu.BOLETO)
    return CLOSING


FLOW = Flow(
    steps={
        SUSPENSION_DOCUMENT: document_step(
            SUSPENSION_DOCUMENT, "documento.pedir_suspensao", suspension_for, back=START
        ),
        SUSPENSION_BUSINESS: yes_no_step(
            SUSPENSION_BUSINESS, "pausa.quer_atendente", handle_business, back=START
        ),
        SUSPENSION_OVERDUE: yes_no_step(
            SUSPENSION_OVERDUE, "pausa.quer_fatura", handle_overdue, back=START
        ),
        SUSPENSION_PERIOD: Step(
            say_text("pausa.quanto_tempo"),
            handle_period,
            back=START,
            brief=say_text("curta.suspension_period"),
            holds_on_questions=True,
        ),
        SUSPENSION_START: Step(
            say_text("pausa.a_partir"),
            handle_start,
            back=SUSPENSION_PERIOD,
            brief=say_text("curta.suspension_start"),
            holds_on_questions=True,
        ),
        SUSPENSION_CONFIRM: Step(
            ask_confirm,
            handle_confirm,
            back=SUSPENSION_PERIOD,
            brief=lambda turn: [content.yes_no_reply(content.text("curta.suspension_confirm"))],
        ),
    },
    entries={nlu.SUSPENDER: enter_suspension},
)
