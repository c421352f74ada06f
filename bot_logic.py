"""Theo's conversation: a table of named states, each with a question and a handler.

Modelled on python-telegram-bot's ConversationHandler: every state maps to a
`Step` whose `handle` reads the customer's answer and returns the next state;
the engine then asks that state's question. Global commands and the fallback
(free words that name a flow, invalid answers, media) are declared once here,
not scattered through the handlers. What Theo says comes from `content`.

`BotLogic.handle` takes one message and returns the replies. It does no HTTP:
sending is the caller's job.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import content
import understanding as nlu
from business_data import BusinessData, Customer, Invoice, Plan
from documents import DocumentError, format_cep, parse_cep, parse_document
from hours import AttendanceHours, describe_moment
from inbound import Incoming
from privacy import mask_name, mask_phone, scrub
from records import RecordsStore
from replies import Reply, join_plain
from sessions import Session, SessionStore

log = logging.getLogger("theo.bot")

# --- States -----------------------------------------------------------------
MAIN_MENU = "main_menu"
ANYTHING_ELSE = "anything_else"
DOC_NOT_FOUND = "doc_not_found"
BOLETO_DOCUMENT = "boleto_document"
SUPPORT_MENU = "support_menu"
SUPPORT_DOCUMENT = "support_document"
RED_LIGHT = "red_light"
FIBER_CHECK = "fiber_check"
MODEM_RESTART = "modem_restart"
SLOW_WHERE = "slow_where"
SLOW_SPEED_TEST = "slow_speed_test"
SLOW_STABILITY = "slow_stability"
MODEM_POWER = "modem_power"
OTHER_DESCRIBE = "other_describe"
VISIT_DOCUMENT = "visit_document"
VISIT_PERIOD = "visit_period"
SALES_CEP = "sales_cep"
SALES_PLAN = "sales_plan"
SALES_NAME = "sales_name"
SALES_NOTIFY = "sales_notify"
COVERAGE_CEP = "coverage_cep"
COVERAGE_CONTRACT = "coverage_contract"
PLAN_MENU = "plan_menu"
PLAN_DOCUMENT = "plan_document"
CANCEL_CONFIRM = "cancel_confirm"
CANCEL_REASON = "cancel_reason"
CHANGE_CHOICE = "change_choice"
HUMAN = "human"  # a person attends: Theo stays silent until `menu`
END = "end"  # conversation closed: the session is dropped

MAX_INVOICES_SHOWN = 3
SKIP_WORDS = {"pular", "pula", "pulo", "nao", "nenhum", "prefiro nao", "nao quero dizer", "-"}
NAME_PREFIX = re.compile(
    r"^(meu nome e|me chamo|eu sou o|eu sou a|eu sou|sou o|sou a|aqui e o|aqui e a|aqui e)\s+"
)
PERIODS = ("manhã", "tarde")
GIGA = re.compile(r"\b1 ?(gb|g|giga|gbps)\b|\bmil\b")
MIDDLE = re.compile(r"\b(do|o) meio\b|\bintermediario\b")
CHEAPEST = re.compile(r"\bmais (barato|em conta|simples|basico)\b|\bmenor\b")
FASTEST = re.compile(r"\bmais (rapido|veloz|caro|completo|forte)\b|\bmaior\b")
THANKS = re.compile(r"\b(obrigad[oa]s?|brigad[oa]|valeu|vlw|obg|grat[oa]|agradeco)\b")


class Invalid(Exception):
    """The answer does not fit the current step; `message` says what is expected."""

    def __init__(self, message: str, *, may_jump: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.may_jump = may_jump  # False when the text clearly tried to answer the step


@dataclass
class Turn:
    """One customer message being handled: the session, the message, the replies."""

    bot: BotLogic
    session: Session
    message: Incoming
    now: datetime
    out: list[Reply] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def data(self) -> dict:
        return self.session.data

    def say(self, key: str, **values: object) -> None:
        """Queue the sentence `key` as one WhatsApp message."""
        self.out.append(Reply(content.text(key, **values)))


Handler = Callable[[Turn], str]
Asker = Callable[[Turn], list[Reply]]


@dataclass(frozen=True)
class Step:
    """A state: the question it asks, how it reads the answer, where `voltar` leads."""

    ask: Asker
    handle: Handler
    back: str
    free_text: bool = False  # any text is an answer: no jumping on free words
    person_on_request: bool = True  # free text asking for a person hands over instead


# --- Reading answers --------------------------------------------------------
def choice(turn: Turn, count: int) -> int | None:
    """The option number the customer picked (typed, emoji, tapped), or None."""
    if turn.message.choice_id is not None:
        picked = nlu.parse_choice(turn.message.choice_id, count)
        if picked is not None:
            return picked
    return nlu.parse_choice(turn.text, count)


@dataclass(frozen=True)
class YesNoHints:
    """What "yes" and "no" sound like for one question, beyond the usual words.

    Patterns apply to the normalised text. `strong_yes`/`strong_no` decide
    outright ("nem a metade" is a yes to "below half?"); `yes`/`no` count only
    when not negated just before ("sem luz vermelha"), `no` first if `no_first`.
    `own` are intents that belong to the question, so they start no other flow;
    `unsure` spots a customer who cannot answer, told `unsure_key`;
    `invalid_key` says what is expected.
    """

    strong_yes: str = ""
    strong_no: str = ""
    yes: str = ""
    no: str = ""
    no_first: bool = False
    own: frozenset[str] = frozenset()
    unsure: str = ""
    unsure_key: str = ""
    invalid_key: str = "geral.sim_ou_nao_invalido"

    def read(self, said: str) -> bool | None:
        """The answer these hints give for `said`, or None."""
        if self.strong_no and re.search(self.strong_no, said):
            return False
        if self.strong_yes and re.search(self.strong_yes, said):
            return True
        checks = ((self.yes, True), (self.no, False))
        for pattern, meaning in checks[::-1] if self.no_first else checks:
            if pattern and _said_without_negation(pattern, said):
                return meaning
        return None


def _said_without_negation(pattern: str, said: str) -> bool:
    """True when `pattern` occurs without "não/nem/sem…" in the two words before it."""
    for found in re.finditer(pattern, said):
        if not NEGATION_WORDS.intersection(said[: found.start()].split()[-2:]):
            return True
    return False


def yes_no(turn: Turn) -> bool:
    """The customer's yes/no to the current question, or Invalid."""
    if turn.message.choice_id in ("1", "2"):
        return turn.message.choice_id == "1"
    hints = YES_NO_HINTS.get(turn.session.state, YesNoHints())
    said = nlu.normalize(turn.text)
    answer = hints.read(said)
    if answer is not None:
        return answer
    intent = nlu.detect_intent(turn.text)
    if intent is not None and intent not in hints.own:
        raise Invalid(content.text(hints.invalid_key))  # another request: the fallback starts it
    if hints.unsure and re.search(hints.unsure, said):
        raise Invalid(content.text(hints.unsure_key), may_jump=False)
    answer = nlu.parse_yes_no(turn.text)
    if answer is None:
        raise Invalid(content.text(hints.invalid_key), may_jump=False)
    return answer


def expected_choice(count: int) -> str:
    """What to say when the answer is not one of `count` numbered options."""
    if count == 2:
        return content.text("geral.opcao_invalida_duas")
    return content.text("geral.opcao_invalida", total=count)


def pick(turn: Turn, count: int, expected: str = "") -> int:
    """The option number, or Invalid saying `expected` (default: which numbers)."""
    picked = choice(turn, count)
    if picked is None:
        raise Invalid(expected or expected_choice(count))
    return picked


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


def known_customer(turn: Turn) -> Customer | None:
    """The customer already identified in this conversation, if any."""
    document = turn.data.get("customer")
    return turn.bot.business.find_customer(document) if document else None


def not_found(turn: Turn, retry_state: str) -> str:
    """Offer another document, the attendant or the menu."""
    turn.data["retry_state"] = retry_state
    return DOC_NOT_FOUND


def read_cep(turn: Turn) -> str:
    """The CEP in the message, or Invalid explaining that a CEP is needed."""
    cep = parse_cep(turn.text)
    if cep is not None:
        return cep
    digits = sum(ch.isdigit() for ch in turn.text)
    letters = sum(ch.isalpha() for ch in turn.text)
    if digits >= 5 and letters < 3:  # a number that tried to be a CEP, not an address
        raise Invalid(content.text("vendas.cep_invalido"), may_jump=False)
    raise Invalid(content.text("vendas.precisa_cep"))


def _names_plan(said: str, plan: Plan) -> bool:
    """Whether `said` names `plan` by its name, its speed or its price ("99,90")."""
    price = f"{plan.monthly_price:.2f}".replace(".", " ")
    return (
        nlu.normalize(plan.name) in said
        or re.search(rf"\b{plan.speed_mbps}\b", said) is not None
        or re.search(rf"\b{price}\b", said) is not None
    )


# --- Questions ----------------------------------------------------------------
def say_text(key: str) -> Asker:
    """An asker for a plain sentence."""
    return lambda turn: [Reply(content.text(key))]


def ask_menu(name: str) -> Asker:
    """An asker for a numbered menu."""
    return lambda turn: [content.menu_reply(name)]


def ask_yes_no(key: str) -> Asker:
    """An asker for a yes/no question."""
    return lambda turn: [content.yes_no_reply(content.text(key))]


def ask_nothing(turn: Turn) -> list[Reply]:
    return []


def ask_anything_else(turn: Turn) -> list[Reply]:
    return [Reply(content.text("geral.encerramento", protocolo=turn.data["protocol"]))]


def ask_not_found(turn: Turn) -> list[Reply]:
    intro = content.text("documento.nao_cadastrado", documento=turn.data.get("document_masked", ""))
    found = content.menu("nao_encontrado")
    return [content.choice_reply("", found.options, list_title=found.title, intro=intro)]


def plan_options(plans: list[Plan], current: str = "") -> tuple[list[str], list[str]]:
    """Plan names and "R$ 99,90/mês" descriptions, marking the customer's plan."""
    titles = [
        plan.name + (f" {content.text('plano.plano_atual')}" if plan.id == current else "")
        for plan in plans
    ]
    prices = [f"{content.brl(plan.monthly_price)}/mês" for plan in plans]
    return titles, prices


def ask_sales_plan(turn: Turn) -> list[Reply]:
    plans = turn.bot.business.plans_for_cep(turn.data["cep"]) or []
    titles, prices = plan_options(plans)
    question = content.text("vendas.qual_plano")
    return [content.choice_reply(question, titles, descriptions=prices, list_title="Planos")]


def ask_not_covered(turn: Turn) -> list[Reply]:
    question = content.text("vendas.nao_coberto", cep=format_cep(turn.data["cep"]))
    return [content.yes_no_reply(question)]


def ask_change_choice(turn: Turn) -> list[Reply]:
    customer = known_customer(turn)
    plans = turn.bot.business.plans_for_cep(customer.cep) if customer else None
    titles, prices = plan_options(plans or [], customer.plan_id if customer else "")
    question = content.text("plano.qual_novo_plano")
    return [content.choice_reply(question, titles, descriptions=prices, list_title="Planos")]


# --- Flow endings shared by several steps -----------------------------------------
def record(turn: Turn, kind: str, details: dict) -> None:
    """Record a request under the conversation's protocol (never lost: stored before we confirm)."""
    turn.bot.records.record(kind, turn.data["protocol"], turn.message.phone, details, now=turn.now)
    log.info("recorded %s under protocol %s", kind, turn.data["protocol"])


def handoff(turn: Turn, reason: str) -> str:
    """Tell the attendance hours and hand the conversation to a person."""
    hours = turn.bot.hours
    turn.say("atendente.horario", horario=hours.describe())
    within_hours = hours.is_open(turn.now)
    record(
        turn,
        "handoff",
        {
            "reason": reason,
            "within_hours": within_hours,
            "customer": turn.data.get("customer_id", ""),
        },
    )
    # Theo keeps quiet while the team may still answer: longer when closed until it reopens.
    turn.session.ttl = turn.bot.human_ttl
    if within_hours:
        turn.say("atendente.transferindo", protocolo=turn.data["protocol"])
    else:
        reopening = hours.next_opening(turn.now)
        turn.session.ttl += max(0.0, (reopening - turn.now).total_seconds())
        moment = describe_moment(reopening, turn.now)
        turn.say("atendente.fora_do_horario", reabertura=moment, protocolo=turn.data["protocol"])
    return HUMAN


def send_invoices(turn: Turn, customer: Customer) -> None:
    """The open invoices, oldest first: details, then each code alone to be copied."""
    invoices = turn.bot.business.open_invoices(customer)
    masked = turn.data.get("document_masked", "")
    if not invoices:
        turn.say("boleto.tudo_pago", documento=masked)
        return
    if len(invoices) == 1:
        turn.say("boleto.uma_fatura", documento=masked)
    else:
        turn.say("boleto.varias_faturas", total=len(invoices), documento=masked)
    for invoice in invoices[:MAX_INVOICES_SHOWN]:
        turn.out.extend(invoice_replies(invoice, turn.now))
    if len(invoices) > MAX_INVOICES_SHOWN:
        turn.say("boleto.mais_faturas", total=len(invoices) - MAX_INVOICES_SHOWN)


def invoice_replies(invoice: Invoice, now: datetime) -> list[Reply]:
    """One invoice as WhatsApp messages."""
    lines = [
        content.text(
            "boleto.fatura",
            mes=content.reference_month(invoice.reference_month),
            vencimento=content.day(invoice.due_date),
            valor=content.brl(invoice.amount),
        )
    ]
    if invoice.is_overdue(now.date()):
        lines.append(content.text("boleto.vencida"))
    if invoice.pdf_url:
        lines.append(content.text("boleto.pdf", link=invoice.pdf_url))
    lines.append(
        content.text("boleto.codigos_a_seguir" if invoice.pix_code else "boleto.so_linha_digitavel")
    )
    replies = [Reply("\n".join(lines)), Reply(invoice.barcode_line, alone=True)]
    if invoice.pix_code:
        replies.append(Reply(invoice.pix_code, alone=True))
    return replies


def start_visit(turn: Turn, problem: str) -> str:
    """Diagnosis says a technician must come: identify the customer, then the period."""
    turn.data["visit_problem"] = problem
    turn.say("suporte.precisa_visita")
    customer = known_customer(turn)
    if customer is None:
        return VISIT_DOCUMENT
    turn.say("documento.ja_informado", documento=turn.data.get("document_masked", ""))
    return VISIT_PERIOD


def note_answer(turn: Turn, question: str, answer: bool) -> None:
    """Keep the diagnosis answers for the technician."""
    turn.data.setdefault("diagnosis", []).append(
        {"question": question, "answer": "sim" if answer else "não"}
    )


def check_connection(turn: Turn, customer: Customer) -> str:
    """Before diagnosing: a suspended contract or a known outage explains it."""
    turn.data["customer_id"] = customer.id
    if customer.suspended:
        turn.say("suporte.suspenso", documento=turn.data.get("document_masked", ""))
        send_invoices(turn, customer)
        turn.say("suporte.religacao")
        return ANYTHING_ELSE
    outage = turn.bot.business.outage_for_cep(customer.cep, turn.now)
    if outage is not None:
        eta = describe_moment(outage.expected_restoration, turn.now)
        late = outage.expected_restoration <= turn.now
        key = "suporte.manutencao_atrasada" if late else "suporte.manutencao"
        turn.say(key, mensagem=outage.message, previsao=eta)
        return ANYTHING_ELSE
    turn.data["diagnosis"] = []
    return RED_LIGHT


def confirm_account(turn: Turn, customer: Customer) -> None:
    """Show which contract was found, with the name masked."""
    turn.data["customer_id"] = customer.id
    plan = turn.bot.business.plan(customer.plan_id)
    turn.say(
        "plano.contrato_encontrado",
        nome=mask_name(customer.name, hidden="•"),  # "*" would become WhatsApp bold markers
        plano=plan.name if plan else customer.plan_id,
    )


def deadline(turn: Turn) -> str:
    days = turn.bot.request_deadline_days
    return (
        content.text("plano.prazo_um_dia")
        if days == 1
        else content.text("plano.prazo_dias", dias=days)
    )


# --- Handlers: one per state --------------------------------------------------
def handle_main_menu(turn: Turn) -> str:
    """A main-menu option by number; free words are handled by the fallback."""
    # Any other subject: the message points to option 6.
    picked = pick(turn, len(nlu.MAIN_MENU_INTENTS), content.text("geral.menu_invalido"))
    return turn.bot.jump(turn, nlu.MAIN_MENU_INTENTS[picked - 1])


def handle_anything_else(turn: Turn) -> str:
    """After a flow: a menu number, yes (menu) or no (goodbye)."""
    picked = choice(turn, len(nlu.MAIN_MENU_INTENTS))
    if picked is not None:
        return turn.bot.jump(turn, nlu.MAIN_MENU_INTENTS[picked - 1])
    if THANKS.search(nlu.normalize(turn.text)):
        return goodbye(turn)
    intent = nlu.detect_intent(turn.text)
    if intent is not None:
        return turn.bot.jump(turn, intent)
    answer = nlu.parse_yes_no(turn.text)
    if answer is None:
        raise Invalid(content.text("geral.algo_mais_invalido"))
    return MAIN_MENU if answer else goodbye(turn)


def handle_doc_not_found(turn: Turn) -> str:
    """Another document, the attendant or the menu; a typed document is retried at once."""
    retry_state = turn.data.get("retry_state", MAIN_MENU)
    if sum(ch.isalnum() for ch in turn.text) >= 11 and any(ch.isdigit() for ch in turn.text):
        return STEPS[retry_state].handle(turn)
    picked = pick(turn, 3)
    if picked == 1:
        return retry_state
    return handoff(turn, "document_not_found") if picked == 2 else MAIN_MENU


def handle_boleto_document(turn: Turn) -> str:
    """Look up the customer and send the open invoices."""
    customer = document_customer(turn)
    if customer is None:
        return not_found(turn, BOLETO_DOCUMENT)
    if customer.suspended:
        turn.say("boleto.suspenso")
    send_invoices(turn, customer)
    if customer.suspended:
        turn.say("suporte.religacao")
    return ANYTHING_ELSE


def handle_support_menu(turn: Turn) -> str:
    """Which technical problem."""
    return turn.bot.jump(
        turn, nlu.SUPPORT_MENU_INTENTS[pick(turn, len(nlu.SUPPORT_MENU_INTENTS)) - 1]
    )


def handle_support_document(turn: Turn) -> str:
    """Identify the customer whose internet is down, then check the account."""
    customer = document_customer(turn)
    if customer is None:
        return not_found(turn, SUPPORT_DOCUMENT)
    return check_connection(turn, customer)


def handle_red_light(turn: Turn) -> str:
    """Red LOS/PON light means a fiber signal problem; otherwise restart the modem."""
    red = yes_no(turn)
    note_answer(turn, "Luz vermelha (LOS/PON) no modem?", red)
    return FIBER_CHECK if red else MODEM_RESTART


def handle_fiber_check(turn: Turn) -> str:
    """Did checking the optical cable bring the connection back?"""
    back = yes_no(turn)
    note_answer(turn, "Voltou após conferir o cabo óptico?", back)
    return resolved(turn) if back else start_visit(turn, "sem_internet")


def handle_modem_restart(turn: Turn) -> str:
    """Did restarting the modem bring the connection back?"""
    back = yes_no(turn)
    note_answer(turn, "Voltou após reiniciar o modem?", back)
    return resolved(turn) if back else start_visit(turn, "sem_internet")


def resolved(turn: Turn, key: str = "suporte.resolvido") -> str:
    """The problem is solved: say so (`key`) and close the flow."""
    turn.say(key)
    return ANYTHING_ELSE


def handle_slow_where(turn: Turn) -> str:
    """IPTV apps not homologated are not a connection problem; otherwise measure."""
    if pick(turn, 2) == 1:
        turn.say("suporte.lentidao_iptv")
        return ANYTHING_ELSE
    turn.data["diagnosis"] = [{"question": "Onde percebe a lentidão?", "answer": "em geral"}]
    return SLOW_SPEED_TEST


def handle_slow_speed_test(turn: Turn) -> str:
    """Below half the contracted speed: stability test; otherwise Wi-Fi tips."""
    below_half = yes_no(turn)
    note_answer(turn, "Teste por cabo abaixo da metade do contratado?", below_half)
    if below_half:
        return SLOW_STABILITY
    turn.say("suporte.dicas_wifi")
    return ANYTHING_ELSE


def handle_slow_stability(turn: Turn) -> str:
    """Better after restarting: resolved; still slow: technician visit."""
    improved = yes_no(turn)
    note_answer(turn, "Melhorou após reiniciar o modem?", improved)
    return (
        resolved(turn, "suporte.lentidao_resolvida")
        if improved
        else start_visit(turn, "internet_lenta")
    )


def handle_modem_power(turn: Turn) -> str:
    """Did the modem turn on after checking power?"""
    turned_on = yes_no(turn)
    turn.data["diagnosis"] = [
        {"question": "Modem ligou após conferir energia?", "answer": "sim" if turned_on else "não"}
    ]
    if turned_on and nlu.detect_intent(turn.text) == nlu.SEM_INTERNET:
        return enter_no_internet(turn)  # "tá ligado, mas sem internet": diagnose the connection
    return (
        resolved(turn, "suporte.modem_ligou") if turned_on else start_visit(turn, "modem_desligado")
    )


def handle_other_describe(turn: Turn) -> str:
    """Record the described problem as a ticket and hand over to a person."""
    description = turn.text.strip()
    if len(description) < 3:
        raise Invalid(content.text("suporte.descricao_vazia"))
    record(
        turn,
        "ticket",
        {"description": scrub(description), "customer": turn.data.get("customer_id", "")},
    )
    turn.say("suporte.chamado_registrado")
    return handoff(turn, "other_problem")


def handle_visit_document(turn: Turn) -> str:
    """Identify the customer for the visit."""
    customer = document_customer(turn)
    if customer is None:
        return not_found(turn, VISIT_DOCUMENT)
    turn.data["customer_id"] = customer.id
    return VISIT_PERIOD


def handle_visit_period(turn: Turn) -> str:
    """Record the visit request with the diagnosis and the preferred period."""
    picked = choice(turn, 2) or _period_by_word(turn.text)
    if picked is None:
        raise Invalid(expected_choice(2))
    customer = known_customer(turn)
    details = {
        "customer": customer.id if customer else "",
        "problem": turn.data.get("visit_problem", ""),
        "diagnosis": turn.data.get("diagnosis", []),
        "period": PERIODS[picked - 1],
    }
    record(turn, "visit", details)
    turn.say("visita.confirmada", periodo=PERIODS[picked - 1])
    return ANYTHING_ELSE


def _period_by_word(text: str) -> int | None:
    words = nlu.normalize(text)
    if "manha" in words or "cedo" in words:
        return 1
    return 2 if "tarde" in words else None


def handle_sales_cep(turn: Turn) -> str:
    """Coverage decides: plans to choose from, or an offer to be notified."""
    turn.data["cep"] = read_cep(turn)
    if not turn.bot.business.plans_for_cep(turn.data["cep"]):
        return SALES_NOTIFY
    turn.say("vendas.coberto", cep=format_cep(turn.data["cep"]))
    return SALES_PLAN


def handle_sales_plan(turn: Turn) -> str:
    """Which plan the prospect wants; then ask the name."""
    plans = turn.bot.business.plans_for_cep(turn.data["cep"]) or []
    plan = _plan_by_answer(turn, plans)
    turn.data["plan"] = plan.id
    turn.say("vendas.plano_escolhido", plano=plan.name)
    return SALES_NAME


def _plan_by_answer(turn: Turn, plans: list[Plan], current: str = "") -> Plan:
    picked = choice(turn, len(plans))
    if picked is not None:
        return plans[picked - 1]
    named = plan_named(turn.text, plans, current=current)
    if named is not None:
        return named
    raise Invalid(expected_choice(len(plans)))


def plan_named(text: str, plans: list[Plan], *, current: str = "") -> Plan | None:
    """The plan the words name: "o de 500", "1 giga", "o mais barato"; None if unclear.

    When the words name the customer's `current` plan and another ("do 500 pro 1
    giga"), the other one is meant.
    """
    if not plans:
        return None
    said = GIGA.sub("1000", nlu.normalize(text))
    named = [plan for plan in plans if _names_plan(said, plan)]
    if len(named) > 1:
        named = [plan for plan in named if plan.id != current]
    if len(named) == 1:
        return named[0]
    if MIDDLE.search(said) and len(plans) == 3:
        return plans[1]
    if CHEAPEST.search(said):
        return min(plans, key=lambda plan: plan.monthly_price)
    if FASTEST.search(said):
        return max(plans, key=lambda plan: plan.speed_mbps)
    return None


def handle_sales_name(turn: Turn) -> str:
    """Record the lead with the name, phone, CEP and plan."""
    name = _clean_name(turn.text)
    plan = turn.bot.business.plan(turn.data["plan"])
    record(turn, "lead", {"name": name, "cep": turn.data["cep"], "plan": turn.data["plan"]})
    turn.say(
        "vendas.lead_registrado",
        plano=plan.name if plan else turn.data["plan"],
        cep=format_cep(turn.data["cep"]),
    )
    return ANYTHING_ELSE


def _clean_name(text: str) -> str:
    name = " ".join(text.split())
    prefix = NAME_PREFIX.match(nlu.normalize(name))
    if prefix:
        name = " ".join(name.split()[len(prefix.group(1).split()) :])
    letters = sum(ch.isalpha() for ch in name)
    answer_word = " " not in name and nlu.parse_yes_no(name) is not None  # "sim", "ok"
    if letters < 2 or answer_word or any(ch.isdigit() for ch in name) or len(name) > 80:
        raise Invalid(content.text("vendas.nome_invalido"))
    return name


def handle_sales_notify(turn: Turn) -> str:
    """Not covered: record the interest when the customer wants to be told."""
    if yes_no(turn):
        record(turn, "coverage_interest", {"cep": turn.data["cep"]})
        turn.say("vendas.aviso_registrado", cep=format_cep(turn.data["cep"]))
    else:
        turn.say("vendas.aviso_recusado")
    return ANYTHING_ELSE


def handle_coverage_cep(turn: Turn) -> str:
    """Covered: list the plans and offer to contract; not covered: offer notice."""
    turn.data["cep"] = read_cep(turn)
    plans = turn.bot.business.plans_for_cep(turn.data["cep"])
    if not plans:
        return SALES_NOTIFY
    titles, prices = plan_options(plans)
    lines = [content.text("vendas.coberto", cep=format_cep(turn.data["cep"]))]
    lines.append(content.text("vendas.planos_disponiveis"))
    lines.extend(f"• {title} — {price}" for title, price in zip(titles, prices, strict=True))
    turn.out.append(Reply("\n".join(lines)))
    return COVERAGE_CONTRACT


def handle_coverage_contract(turn: Turn) -> str:
    """Go on to contract with the same CEP (straight to the name if a plan is named), or close."""
    plans = turn.bot.business.plans_for_cep(turn.data["cep"]) or []
    hinted = YES_NO_HINTS[COVERAGE_CONTRACT].read(nlu.normalize(turn.text))
    declined = False in (hinted, nlu.parse_yes_no(turn.text))  # "não, achei caro o de 500"
    named = None if declined else plan_named(turn.text, plans)
    if named is not None:
        turn.data["plan"] = named.id
        turn.say("vendas.plano_escolhido", plano=named.name)
        return SALES_NAME
    if yes_no(turn):
        return SALES_PLAN
    turn.say("vendas.sem_contratar")
    return ANYTHING_ELSE


def handle_plan_menu(turn: Turn) -> str:
    """Cancellation or plan change."""
    return turn.bot.jump(turn, nlu.PLAN_MENU_INTENTS[pick(turn, len(nlu.PLAN_MENU_INTENTS)) - 1])


def handle_plan_document(turn: Turn) -> str:
    """Identify the contract holder, show the account, then go on."""
    customer = document_customer(turn)
    if customer is None:
        return not_found(turn, PLAN_DOCUMENT)
    return plan_action_for(turn, customer)


def plan_action_for(turn: Turn, customer: Customer) -> str:
    """Show the account found, then confirm the cancellation or list the plans."""
    confirm_account(turn, customer)
    if turn.data.get("plan_action") == "cancel":
        return CANCEL_CONFIRM
    if not turn.bot.business.plans_for_cep(customer.cep):
        turn.say("plano.sem_planos")
        return ANYTHING_ELSE
    return CHANGE_CHOICE


def handle_cancel_confirm(turn: Turn) -> str:
    """Confirmed: ask the reason; declined: keep the contract."""
    if yes_no(turn):
        return CANCEL_REASON
    turn.say("plano.cancelamento_desistiu")
    return ANYTHING_ELSE


def handle_cancel_reason(turn: Turn) -> str:
    """Record the cancellation request, with the reason unless skipped."""
    reason = turn.text.strip()
    if nlu.normalize(reason) in SKIP_WORDS or not reason:
        reason = ""
    details = {"customer": turn.data.get("customer_id", ""), "reason": scrub(reason)}
    record(turn, "cancellation", details)
    turn.say("plano.cancelamento_registrado", prazo=deadline(turn))
    return ANYTHING_ELSE


def handle_change_choice(turn: Turn) -> str:
    """Record the plan-change request for the chosen plan."""
    customer = known_customer(turn)
    plans = (turn.bot.business.plans_for_cep(customer.cep) if customer else None) or []
    plan = _plan_by_answer(turn, plans, current=customer.plan_id if customer else "")
    if customer is not None and plan.id == customer.plan_id:
        raise Invalid(content.text("plano.mesmo_plano"), may_jump=False)
    details = {
        "customer": turn.data.get("customer_id", ""),
        "from_plan": customer.plan_id if customer else "",
        "to_plan": plan.id,
    }
    record(turn, "plan_change", details)
    turn.say("plano.alteracao_registrada", plano=plan.name, prazo=deadline(turn))
    return ANYTHING_ELSE


def goodbye(turn: Turn) -> str:
    turn.say("geral.despedida", protocolo=turn.data["protocol"])
    return END


STEPS: dict[str, Step] = {
    MAIN_MENU: Step(ask_menu("principal"), handle_main_menu, back=MAIN_MENU),
    ANYTHING_ELSE: Step(ask_anything_else, handle_anything_else, back=MAIN_MENU),
    DOC_NOT_FOUND: Step(ask_not_found, handle_doc_not_found, back=MAIN_MENU),
    BOLETO_DOCUMENT: Step(
        say_text("documento.pedir_boleto"), handle_boleto_document, back=MAIN_MENU
    ),
    SUPPORT_MENU: Step(ask_menu("suporte"), handle_support_menu, back=MAIN_MENU),
    SUPPORT_DOCUMENT: Step(
        say_text("documento.pedir_suporte"), handle_support_document, back=SUPPORT_MENU
    ),
    RED_LIGHT: Step(ask_yes_no("suporte.luz_vermelha"), handle_red_light, back=SUPPORT_MENU),
    FIBER_CHECK: Step(ask_yes_no("suporte.verificar_fibra"), handle_fiber_check, back=SUPPORT_MENU),
    MODEM_RESTART: Step(
        ask_yes_no("suporte.reiniciar_modem"), handle_modem_restart, back=SUPPORT_MENU
    ),
    SLOW_WHERE: Step(ask_menu("lentidao"), handle_slow_where, back=SUPPORT_MENU),
    SLOW_SPEED_TEST: Step(
        ask_yes_no("suporte.teste_velocidade"), handle_slow_speed_test, back=SUPPORT_MENU
    ),
    SLOW_STABILITY: Step(
        ask_yes_no("suporte.teste_estabilidade"), handle_slow_stability, back=SUPPORT_MENU
    ),
    MODEM_POWER: Step(ask_yes_no("suporte.modem_energia"), handle_modem_power, back=SUPPORT_MENU),
    OTHER_DESCRIBE: Step(
        say_text("suporte.descrever_problema"),
        handle_other_describe,
        back=SUPPORT_MENU,
        free_text=True,
        person_on_request=False,  # it records the description, then hands over anyway
    ),
    VISIT_DOCUMENT: Step(
        say_text("documento.pedir_visita"), handle_visit_document, back=SUPPORT_MENU
    ),
    VISIT_PERIOD: Step(ask_menu("periodo"), handle_visit_period, back=SUPPORT_MENU),
    SALES_CEP: Step(say_text("vendas.pedir_cep"), handle_sales_cep, back=MAIN_MENU),
    SALES_PLAN: Step(ask_sales_plan, handle_sales_plan, back=MAIN_MENU),
    SALES_NAME: Step(
        say_text("vendas.pedir_nome"), handle_sales_name, back=MAIN_MENU, free_text=True
    ),
    SALES_NOTIFY: Step(ask_not_covered, handle_sales_notify, back=MAIN_MENU),
    COVERAGE_CEP: Step(say_text("vendas.pedir_cep_cobertura"), handle_coverage_cep, back=MAIN_MENU),
    COVERAGE_CONTRACT: Step(
        ask_yes_no("vendas.quer_contratar"), handle_coverage_contract, back=MAIN_MENU
    ),
    PLAN_MENU: Step(ask_menu("plano"), handle_plan_menu, back=MAIN_MENU),
    PLAN_DOCUMENT: Step(say_text("documento.pedir_plano"), handle_plan_document, back=PLAN_MENU),
    CANCEL_CONFIRM: Step(
        ask_yes_no("plano.confirmar_cancelamento"), handle_cancel_confirm, back=PLAN_MENU
    ),
    CANCEL_REASON: Step(
        say_text("plano.motivo"), handle_cancel_reason, back=PLAN_MENU, free_text=True
    ),
    CHANGE_CHOICE: Step(ask_change_choice, handle_change_choice, back=PLAN_MENU),
    HUMAN: Step(ask_nothing, lambda turn: HUMAN, back=HUMAN),
    END: Step(ask_nothing, lambda turn: END, back=END),
}

NEGATION_WORDS = frozenset({"nao", "nem", "nenhum", "nenhuma", "nunca", "sem"})
SUPPORT_INTENTS = frozenset(
    {nlu.SUPORTE, nlu.SEM_INTERNET, nlu.LENTA, nlu.MODEM_DESLIGADO, nlu.OUTRO_PROBLEMA}
)
SALES_INTENTS = frozenset({nlu.CONTRATAR, nlu.COBERTURA})
BACK_WORDS = r"voltou|volto|funcion\w*|normal\w*|resolv\w*|conect\w*|ligou|acend\w*"
# "Já fiz isso" says the step did not help, unless the same message says it worked.
TRIED_ALREADY = (
    rf"^(?!.*\b({BACK_WORDS})\b).*\bja (tentei|fiz|testei|reiniciei|conferi|verifiquei)\b"
    r"|\bmesma coisa\b|\bnao adiantou\b|\b(quero|preciso de|manda\w*|envi\w*) (um |o )?tecnico\b"
)
YES_NO_HINTS: dict[str, YesNoHints] = {
    RED_LIGHT: YesNoHints(
        yes=r"\b(vermelh\w*|los|pon|piscando|pisca)\b",
        no=r"\b(verde\w*|azu\w*|branc\w*|apagad\w*|normal\w*|acesa)\b",
        no_first=True,  # "a PON tá verde", "só o wifi piscando, o resto verde"
        own=SUPPORT_INTENTS,
    ),
    FIBER_CHECK: YesNoHints(
        strong_no=TRIED_ALREADY + r"|\b(quebrad\w*|rompid\w*|partid\w*|cortad\w*)\b",
        strong_yes=r"\bvermelha (apagou|sumiu)\b|\bapagou a (luz )?vermelha\b",
        yes=r"\b(normal\w*)\b",
        own=SUPPORT_INTENTS,
    ),
    MODEM_RESTART: YesNoHints(strong_no=TRIED_ALREADY, yes=r"\b(normal\w*)\b", own=SUPPORT_INTENTS),
    MODEM_POWER: YesNoHints(
        strong_no=TRIED_ALREADY,
        yes=r"\b(acend\w*|luz\w* acesa\w*|ligad[oa])\b",
        no=r"\b(apagad\w*|morto)\b",
        own=SUPPORT_INTENTS,
    ),
    SLOW_SPEED_TEST: YesNoHints(
        strong_yes=r"\bnem (a |na )?metade\b|\bnao cheg\w* (nem )?(a |na )?metade\b"
        r"|\bmenos (da|que a) metade\b",
        yes=r"\b(abaixo|menos|baix[oa]|pouc[oa]|ruim|lent[oa])\b",
        no=r"\b(acima|mais (da|que a) metade|normal|perto do contratado|certinho)\b",
        own=SUPPORT_INTENTS | {nlu.CONTRATAR},  # "deu 80 mega" is a result, not a sale
        unsure=r"\bnao (tenho|consigo|consegui|sei)\b|\bsem (cabo|computador|notebook)\b",
        unsure_key="suporte.sem_cabo",
        invalid_key="suporte.teste_velocidade_invalido",
    ),
    SLOW_STABILITY: YesNoHints(
        strong_no=r"\b(melhorou|mudou|adiantou) nada\b|" + TRIED_ALREADY,
        yes=r"\b(melhorou|normaliz\w*|normal|acima)\b",
        no=r"\b(abaixo|igual|mesma coisa|piorou|continua)\b",
        own=SUPPORT_INTENTS,
    ),
    CANCEL_CONFIRM: YesNoHints(
        strong_no=r"\bnao quero (mais )?cancelar\b|\bdesist\w*|\bmudei de ideia\b",
        strong_yes=r"\bnao quero mais (o servico|a internet|o plano|a start|voces)\b",
        yes=r"\b(confirm\w*|pode cancelar|quero cancelar|cancela)\b",
        own=frozenset({nlu.CANCELAR, nlu.PLANO}),
    ),
    COVERAGE_CONTRACT: YesNoHints(
        strong_no=r"\b(agora nao|depois|outra hora|caro|vou pensar)\b", own=SALES_INTENTS
    ),
    SALES_NOTIFY: YesNoHints(own=SALES_INTENTS),
}

# States whose answer can already be inside the words that jumped into them,
# e.g. "2ª via, meu cpf é 529.982.247-25" or "vocês atendem o CEP 01310-100?".
DOCUMENT_STATES = {BOLETO_DOCUMENT, SUPPORT_DOCUMENT, PLAN_DOCUMENT, VISIT_DOCUMENT}
CEP_STATES = {SALES_CEP, COVERAGE_CEP}
# Questions that words naming the same flow would only ask again ("não sei o CEP"
# while Theo asks for the CEP): such words count as an invalid answer, not a jump.
SAME_QUESTION = {SALES_CEP: CEP_STATES, COVERAGE_CEP: CEP_STATES}


# --- Entry points: what each intent starts -------------------------------------
def enter_no_internet(turn: Turn) -> str:
    """No internet: check the account first (skip identification if already known)."""
    customer = known_customer(turn)
    if customer is None:
        return SUPPORT_DOCUMENT
    turn.say("documento.ja_informado", documento=turn.data.get("document_masked", ""))
    return check_connection(turn, customer)


def enter_sales(turn: Turn) -> str:
    """A prospect: welcome, then the plans of a CEP already given, or ask the CEP."""
    turn.say("vendas.boas_vindas")
    if turn.data.get("cep") and turn.bot.business.plans_for_cep(turn.data["cep"]):
        return SALES_PLAN
    return SALES_CEP


def enter_plan_action(action: str) -> Handler:
    def enter(turn: Turn) -> str:
        turn.data["plan_action"] = action
        customer = known_customer(turn)
        if customer is None:
            return PLAN_DOCUMENT
        turn.say("documento.ja_informado", documento=turn.data.get("document_masked", ""))
        return plan_action_for(turn, customer)

    return enter


ENTRIES: dict[str, Handler] = {
    nlu.BOLETO: lambda turn: BOLETO_DOCUMENT,
    nlu.SUPORTE: lambda turn: SUPPORT_MENU,
    nlu.SEM_INTERNET: enter_no_internet,
    nlu.LENTA: lambda turn: SLOW_WHERE,
    nlu.MODEM_DESLIGADO: lambda turn: MODEM_POWER,
    nlu.OUTRO_PROBLEMA: lambda turn: OTHER_DESCRIBE,
    nlu.CONTRATAR: enter_sales,
    nlu.COBERTURA: lambda turn: COVERAGE_CEP,
    nlu.PLANO: lambda turn: PLAN_MENU,
    nlu.CANCELAR: enter_plan_action("cancel"),
    nlu.ALTERAR_PLANO: enter_plan_action("change"),
    nlu.ATENDENTE: lambda turn: handoff(turn, "customer_request"),
}


# --- The engine -------------------------------------------------------------------
class BotLogic:
    """Theo's state machine, keyed by phone; takes a message, returns the replies."""

    def __init__(
        self,
        sessions: SessionStore,
        business: BusinessData,
        records: RecordsStore,
        hours: AttendanceHours,
        *,
        clock: Callable[[], float] = time.time,
        timezone: str = "America/Sao_Paulo",
        max_invalid_attempts: int = 3,
        request_deadline_days: int = 2,
        human_ttl_seconds: float = 4 * 3600,
    ) -> None:
        self.sessions = sessions
        self.business = business
        self.records = records
        self.hours = hours
        self.clock = clock
        self.timezone = ZoneInfo(timezone)
        self.max_invalid_attempts = max_invalid_attempts
        self.request_deadline_days = request_deadline_days
        self.human_ttl = human_ttl_seconds

    def handle(self, message: Incoming) -> list[Reply]:
        """Advance the conversation of `message.phone` and return Theo's replies."""
        now = datetime.fromtimestamp(self.clock(), self.timezone)
        session = self.sessions.get(message.phone)
        if message.kind == "takeover":
            self._take_over(message, session, now)
            return []
        if session is None:
            session = Session(
                state=MAIN_MENU, data={"protocol": self.records.new_protocol(message.phone, now)}
            )
            turn = Turn(self, session, message, now)
            self._greet(turn)
        else:
            turn = Turn(self, session, message, now)
            self._advance(turn)
        self._store(turn)
        return join_plain(turn.out)

    def with_human(self, phone: str) -> bool:
        """True while a person attends `phone` (Theo must not say anything)."""
        session = self.sessions.get(phone)
        return session is not None and session.state == HUMAN

    def jump(self, turn: Turn, intent: str) -> str:
        """Start the flow `intent` names; answer it at once if the text already holds the answer."""
        state = ENTRIES[intent](turn)
        if state in DOCUMENT_STATES | CEP_STATES and _carries_answer(turn.text, state):
            turn.session.state = state
            try:
                return STEPS[state].handle(turn)
            except Invalid as problem:
                turn.out.append(Reply(problem.message))
        return state

    # -- internals --
    def _greet(self, turn: Turn) -> None:
        protocol = turn.data["protocol"]
        log.info("new conversation %s for %s", protocol, mask_phone(turn.message.phone))
        intent = nlu.detect_intent(turn.text) if turn.message.kind == "text" else None
        if intent is None or nlu.detect_command(turn.text):
            intro = content.text("geral.saudacao", protocolo=protocol)
            if turn.message.kind != "text":
                intro += "\n\n" + content.text("geral.so_texto_inicio")
            turn.out.append(content.menu_reply("principal", intro=intro))
            return
        turn.say("geral.saudacao_direta", protocolo=protocol)
        self._enter(turn, self.jump(turn, intent))

    def _advance(self, turn: Turn) -> None:
        state = turn.session.state
        if state == HUMAN:
            if turn.message.kind == "text" and nlu.detect_command(turn.text) == nlu.CMD_MENU:
                turn.session.ttl = None  # back with Theo: the usual expiry again
                self._enter(turn, MAIN_MENU)
            return  # a person is attending: Theo stays silent
        step = STEPS.get(state)
        if step is None:
            log.warning("unknown state %r: back to the main menu", state)
            self._enter(turn, MAIN_MENU)
            return
        self._enter(turn, self._next_state(turn, step))

    def _next_state(self, turn: Turn, step: Step) -> str:
        if turn.message.kind != "text":
            turn.say("geral.so_texto")
            return turn.session.state
        command = nlu.detect_command(turn.text)
        if command == nlu.CMD_MENU:
            turn.data.pop("invalid", None)
            return MAIN_MENU
        if (
            step.free_text
            and step.person_on_request
            and nlu.detect_intent(turn.text) == nlu.ATENDENTE
        ):
            return handoff(turn, "customer_request")  # not a name, a reason or a description
        if command == nlu.CMD_BACK:
            return step.back
        if command == nlu.CMD_EXIT:
            return goodbye(turn)
        try:
            return step.handle(turn)
        except Invalid as problem:
            return self._fallback(turn, step, problem)

    def _fallback(self, turn: Turn, step: Step, problem: Invalid) -> str:
        state = turn.session.state
        intent = nlu.detect_intent(turn.text) if problem.may_jump and not step.free_text else None
        if intent is not None:
            said_so_far = len(turn.out)
            target = self.jump(turn, intent)
            if target not in SAME_QUESTION.get(state, {state}):
                return target
            # The words only name the flow we are already in: still not an answer.
            del turn.out[said_so_far:]
            turn.session.state = state
        strikes = turn.data.get("invalid", 0) + 1
        if strikes >= self.max_invalid_attempts:
            turn.data.pop("invalid", None)
            turn.say("geral.muitas_tentativas")
            return MAIN_MENU
        turn.data["invalid"] = strikes
        turn.out.append(Reply(problem.message))
        return state

    def _enter(self, turn: Turn, state: str) -> None:
        if state != turn.session.state:
            turn.data.pop("invalid", None)
        turn.session.state = state
        turn.out.extend(STEPS[state].ask(turn))

    def _store(self, turn: Turn) -> None:
        if turn.session.state == END:
            self.sessions.drop(turn.message.phone)
        else:
            self.sessions.save(turn.message.phone, turn.session)

    def _take_over(self, message: Incoming, session: Session | None, now: datetime) -> None:
        """A person typed on the company phone: Theo steps back in this chat."""
        if session is None:
            session = Session(
                state=HUMAN, data={"protocol": self.records.new_protocol(message.phone, now)}
            )
        session.state = HUMAN
        # Never shorten a longer silence (e.g. an out-of-hours handoff waiting for reopening).
        session.ttl = max(session.ttl or 0, self.human_ttl)
        self.sessions.save(message.phone, session)
        log.info("attendant took over %s", mask_phone(message.phone))


def _carries_answer(text: str, state: str) -> bool:
    if state in CEP_STATES:
        return parse_cep(text) is not None
    return sum(ch.isdigit() for ch in text) >= 8
