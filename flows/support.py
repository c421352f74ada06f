"""2. Suporte técnico: no internet, slow internet, modem off, other problem, the visit.

Every diagnosis question is a yes/no `Step`; the words that answer each one
live in `content/answers.toml` under the state's name. A technician visit is
booked only for an account that is neither suspended nor inside a known outage.
"""

from __future__ import annotations

import logging

import content
import understanding as nlu
from answers import answers, read_hints, read_option, yes_no
from business_data import BackendUnavailable, Customer, ServiceOrderKind
from conversation import (
    Flow,
    Invalid,
    Step,
    Turn,
    Unsure,
    ask_menu,
    choice,
    pick,
    say_text,
    yes_no_step,
)
from flows.attendant import handoff
from flows.boleto import CLOSING, send_invoices
from flows.identify import START, document_step, holder_only, known_customer, with_customer
from hours import describe_moment
from outages import Outage
from privacy import scrub

log = logging.getLogger("theo.bot")

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
TRUST_UNLOCK_OFFER = "trust_unlock_offer"

SUPPORT_MENU_INTENTS = nlu.SUPPORT_MENU_INTENTS
ANY_PERIOD = "qualquer"
PERIODS = ("manhã", "tarde", ANY_PERIOD)  # recorded for the team; 3 is "tanto faz"


# --- Entry points -------------------------------------------------------------------
def enter_no_internet(turn: Turn) -> str:
    """No internet: check the account first (skip identification if already known)."""
    return with_customer(turn, SUPPORT_DOCUMENT, check_connection)


def enter_outage_status(turn: Turn) -> str:
    """ "Vai voltar quando?": an outage in the customer's area is told; else "sem internet"."""
    # The notice names only the area: a phone on record is answered without identifying.
    outage = turn.bot.outage_for_phone(turn.message.phone, turn.now)
    if outage is not None:
        return tell_outage(turn, outage)
    turn.data["asked_outage"] = True
    return enter_no_internet(turn)


def handle_support_menu(turn: Turn) -> str:
    """Which technical problem."""
    picked = pick(turn, len(SUPPORT_MENU_INTENTS))
    return turn.bot.jump(turn, SUPPORT_MENU_INTENTS[picked - 1])


def none_of_the_problems(turn: Turn) -> str:
    """ "Nenhum desses": a description already given is recorded, or asked for."""
    if len(nlu.normalize(turn.text).split()) >= 6:
        return handle_other_describe(turn)
    return OTHER_DESCRIBE


# --- 2.1 Sem internet -------------------------------------------------------------------
def check_connection(turn: Turn, customer: Customer) -> str:
    """Before diagnosing: suspension or a known outage explains it; online means inside home."""
    explained = account_state(turn, customer)
    if explained is not None:
        return explained
    turn.data["diagnosis"] = []
    if turn.bot.business.connection_online(customer):
        # The ERP sees the connection up: the fiber reaches the modem, so Wi-Fi or a device.
        turn.say("suporte.conexao_online")
        note_answer(turn, "Conexão online no sistema do provedor?", True)
        return MODEM_RESTART
    return RED_LIGHT


def account_state(turn: Turn, customer: Customer) -> str | None:
    """Say so and return where to go when suspension or an outage explains the problem."""
    turn.data["customer_id"] = customer.id
    turn.data["account_checked"] = True
    if customer.suspended and claims_payment(turn):
        return turn.bot.jump(turn, nlu.PAGO_CORTADO)  # "já paguei": check it, no boleto again
    if customer.suspended:
        turn.say("suporte.suspenso", documento=turn.data.get("document_masked", ""))
        send_invoices(turn, customer)
        turn.resolved()  # the cut is explained and the invoices sent
        if turn.bot.business.supports_trust_unlock(customer):
            return TRUST_UNLOCK_OFFER
        turn.say("suporte.religacao")
        return CLOSING
    outage = turn.bot.outages.for_cep(customer.cep, turn.now)
    if outage is None:
        if turn.data.pop("asked_outage", False):
            turn.say("massiva.nenhuma")  # "vai voltar quando?" with nothing registered
        return None
    return tell_outage(turn, outage)


def tell_outage(turn: Turn, outage: Outage) -> str:
    """The outage's notice and forecast; the customer is counted as told (and told when back)."""
    forecast = outage.expected_end.astimezone(turn.now.tzinfo)
    late = forecast <= turn.now
    key = "suporte.manutencao_atrasada" if late else "suporte.manutencao"
    turn.say(key, mensagem=outage.message, previsao=describe_moment(forecast, turn.now))
    # Counted once per customer; they get the "it's back" message when ops end it.
    turn.bot.outages.note_told(outage, turn.message.phone, turn.now)
    turn.resolved()  # a known outage: nothing more Theo or a person can do now
    return CLOSING


def claims_payment(turn: Turn) -> bool:
    """The customer said, in this flow, that the bill is already paid."""
    return any(answers().says("ja_pagou", said) for said in turn.data.get("said", []))


# --- Desbloqueio de confiança (trust unlock) ------------------------------------------
def handle_trust_unlock_offer(turn: Turn) -> str:
    """Yes: unlock once the holder is confirmed; no: how the connection comes back."""
    customer = known_customer(turn)
    if not yes_no(turn) or customer is None:
        turn.say("suporte.religacao")
        return CLOSING
    return unlock_for(turn, customer)


def _unlock(turn: Turn, customer: Customer) -> str:
    """Ask the provider's rule; every outcome is recorded and explained."""
    result = turn.bot.business.trust_unlock(customer, turn.data["protocol"], turn.now.date())
    details = {"customer": customer.id, "outcome": result.outcome, "reason": result.reason}
    turn.record("trust_unlock", details)
    if result.outcome == "unlocked":
        until = content.day(result.until) if result.until else ""
        turn.say("desbloqueio.feito" if until else "desbloqueio.feito_sem_data", ate=until)
    elif result.outcome == "already":
        until = content.day(result.until) if result.until else ""
        turn.say("desbloqueio.ja_usado_ate" if until else "desbloqueio.ja_usado", ate=until)
    else:
        turn.say("desbloqueio.nao_permitido")
    return CLOSING


unlock_for = holder_only("trust_unlock", _unlock)


def note_answer(turn: Turn, question: str, answer: bool) -> None:
    """Keep the diagnosis answers for the technician."""
    turn.data.setdefault("diagnosis", []).append(
        {"question": question, "answer": "sim" if answer else "não"}
    )


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
    """The problem is solved: say so (`key`) and close the flow, ready to reopen it."""
    turn.say(key)
    turn.data["reopen"] = turn.state  # "não, voltou a cair" at the closing comes back here
    turn.resolved()
    return CLOSING


# --- 2.2 Internet lenta -------------------------------------------------------------------
def handle_slow_where(turn: Turn) -> str:
    """IPTV apps not homologated are not a connection problem; otherwise measure."""
    if (choice(turn, 2) or read_option(turn, content.menu("lentidao").options)) == 1:
        turn.say("suporte.lentidao_iptv")
        turn.resolved()
        return CLOSING
    turn.data["diagnosis"] = [{"question": "Onde percebe a lentidão?", "answer": "em geral"}]
    return SLOW_SPEED_TEST


def handle_slow_speed_test(turn: Turn) -> str:
    """Below half the contracted speed: stability test; otherwise Wi-Fi tips."""
    below_half = speed_below_half(turn)
    note_answer(turn, "Teste por cabo abaixo da metade do contratado?", below_half)
    if below_half:
        return SLOW_STABILITY
    turn.say("suporte.dicas_wifi")
    turn.data["reopen"] = turn.state
    turn.resolved()
    return CLOSING


def speed_below_half(turn: Turn) -> bool:
    """The customer's words when they answer plainly ("não, deu 280"), else their figures."""
    if turn.confirmed is not None or turn.message.choice_id is not None:
        return yes_no(turn)
    answer, sure = read_hints(answers().words(turn.state), turn.text)
    if answer is not None and sure:
        return answer
    ratio = speed_ratio(turn)
    return ratio < 0.5 if ratio is not None else yes_no(turn)


def speed_ratio(turn: Turn) -> float | None:
    """The measured speed over the contracted one, from the figures in the message.

    "veio 80 de 500" and "deu 100, o plano é 500" give both figures; a lone
    measure ("deu 40 mega") is compared with the plan of a known customer.
    """
    if nlu.parse_choice(turn.text, 2) is not None:
        return None  # "1" / "2" answer the question, they are not speeds
    measured = answers().speeds(turn.text)
    contracted = answers().speeds(turn.text, "velocidade_plano")
    if len(measured) >= 2 and not contracted:  # "veio 80 de 500"
        measured, contracted = measured[:1], [max(measured)]
    if not measured:
        return None
    if not contracted:
        customer = known_customer(turn)
        plan = turn.bot.business.plan(customer.plan_id) if customer else None
        if plan is None:  # "deu 30" with no plan to compare: ask rather than guess
            raise Unsure(
                content.text("suporte.confirmar_velocidade", velocidade=measured[0]),
                [content.text("geral.sim"), content.text("geral.nao")],
                [True, False],
            )
        contracted = [plan.speed_mbps]
    return min(measured) / max(contracted)


def handle_slow_stability(turn: Turn) -> str:
    """Better after restarting: resolved; still slow: technician visit."""
    improved = yes_no(turn)
    note_answer(turn, "Melhorou após reiniciar o modem?", improved)
    if improved:
        return resolved(turn, "suporte.lentidao_resolvida")
    return start_visit(turn, "internet_lenta")


# --- 2.3 Modem desligado -----------------------------------------------------------------
def handle_modem_power(turn: Turn) -> str:
    """Did the modem turn on after checking power?"""
    turned_on = yes_no(turn)
    turn.data["diagnosis"] = []
    note_answer(turn, "Modem ligou após conferir energia?", turned_on)
    problem = nlu.detect_intent(turn.text) if turned_on else None
    if problem in (nlu.SEM_INTERNET, nlu.SUPORTE):
        return enter_no_internet(turn)  # "tá ligado, mas sem internet": diagnose the connection
    if problem == nlu.LENTA:
        return SLOW_WHERE
    if turned_on:
        return resolved(turn, "suporte.modem_ligou")
    return start_visit(turn, "modem_desligado")


# --- 2.4 Outro problema -------------------------------------------------------------------
def carries_description(text: str) -> bool:
    """ "Como troco a senha do wifi?" already describes it; "outro problema" does not."""
    return len(nlu.normalize(text).split()) >= 5


def handle_other_describe(turn: Turn) -> str:
    """Record the described problem as a ticket and hand over to a person."""
    description = turn.text.strip()
    if len(description) < 3:
        raise Invalid(content.text("suporte.descricao_vazia"))
    details = {"description": scrub(description), "customer": turn.data.get("customer_id", "")}
    customer = known_customer(turn)
    if customer is not None:
        message = content.text("ordem.chamado", descricao=scrub(description))
        details["erp_order"] = service_order(turn, customer, "ticket", message)
    turn.record("ticket", details)
    turn.say("suporte.chamado_registrado")
    return handoff(turn, "other_problem")


# --- Technician visit ---------------------------------------------------------------------
def start_visit(turn: Turn, problem: str) -> str:
    """Diagnosis says a technician must come: identify the customer, then the period."""
    turn.data["visit_problem"] = problem
    turn.say("suporte.precisa_visita")
    return with_customer(turn, VISIT_DOCUMENT, visit_for)


def visit_for(turn: Turn, customer: Customer) -> str:
    """A visit only for an account that suspension or an outage does not explain."""
    if not turn.data.get("account_checked"):
        explained = account_state(turn, customer)
        if explained is not None:
            return explained
    turn.data["customer_id"] = customer.id
    return book_visit_for(turn, customer)


# A technician goes to the address: for the holder only (LGPD). Saying the account is
# suspended or inside an outage needs no more than the boleto does, so it comes first.
book_visit_for = holder_only("visit", lambda turn, customer: VISIT_PERIOD)


def service_order(turn: Turn, customer: Customer, kind: ServiceOrderKind, message: str) -> str:
    """Open the order in the provider's system; "" when it keeps none or is out of reach.

    Theo's own record is kept either way, so the team sees the request even when the
    ERP missed it.
    """
    protocol = turn.data["protocol"]
    text = content.text("ordem.cabecalho", protocolo=protocol) + "\n" + message
    try:
        return turn.bot.business.open_service_order(customer, kind, protocol, text) or ""
    except BackendUnavailable as problem:
        log.warning("service order not opened in the ERP (%s): kept in Theo's records", problem)
        return ""


def handle_visit_period(turn: Turn) -> str:
    """Record the visit request with the diagnosis and the preferred period."""
    picked = choice(turn, 2) or read_option(turn, content.menu("periodo").options)
    period = PERIODS[picked - 1]
    said = content.text("visita.qualquer") if period == ANY_PERIOD else period
    customer = known_customer(turn)
    details = {
        "customer": customer.id if customer else "",
        "problem": turn.data.get("visit_problem", ""),
        "diagnosis": turn.data.get("diagnosis", []),
        "period": period,
    }
    if customer is not None:
        details["erp_order"] = service_order(turn, customer, "visit", visit_order_text(details))
    turn.record("visit", details)
    turn.say("visita.confirmada", periodo=said)
    return CLOSING


def visit_order_text(details: dict) -> str:
    """The visit as the technician reads it in the ERP: problem, period, diagnosis."""
    answers_given = "; ".join(f"{d['question']} {d['answer']}" for d in details["diagnosis"])
    return content.text(
        "ordem.visita",
        problema=details["problem"],
        periodo=details["period"],
        diagnostico=answers_given or "-",
    )


FLOW = Flow(
    steps={
        SUPPORT_MENU: Step(
            ask_menu("suporte"),
            handle_support_menu,
            back=START,
            none_of_these=none_of_the_problems,
        ),
        SUPPORT_DOCUMENT: document_step(
            SUPPORT_DOCUMENT, "documento.pedir_suporte", check_connection, back=SUPPORT_MENU
        ),
        RED_LIGHT: yes_no_step(
            RED_LIGHT, "suporte.luz_vermelha", handle_red_light, back=SUPPORT_MENU, recall=True
        ),
        FIBER_CHECK: yes_no_step(
            FIBER_CHECK, "suporte.verificar_fibra", handle_fiber_check, back=SUPPORT_MENU
        ),
        MODEM_RESTART: yes_no_step(
            MODEM_RESTART,
            "suporte.reiniciar_modem",
            handle_modem_restart,
            back=SUPPORT_MENU,
            recall=True,
        ),
        SLOW_WHERE: Step(ask_menu("lentidao"), handle_slow_where, back=SUPPORT_MENU),
        SLOW_SPEED_TEST: yes_no_step(
            SLOW_SPEED_TEST, "suporte.teste_velocidade", handle_slow_speed_test, back=SUPPORT_MENU
        ),
        SLOW_STABILITY: yes_no_step(
            SLOW_STABILITY,
            "suporte.teste_estabilidade",
            handle_slow_stability,
            back=SUPPORT_MENU,
            recall=True,
        ),
        MODEM_POWER: yes_no_step(
            MODEM_POWER, "suporte.modem_energia", handle_modem_power, back=SUPPORT_MENU
        ),
        OTHER_DESCRIBE: Step(
            say_text("suporte.descrever_problema"),
            handle_other_describe,
            back=SUPPORT_MENU,
            free_text=True,
            person_on_request=False,  # it records the description, then hands over anyway
            answer_in_request=carries_description,
        ),
        VISIT_DOCUMENT: document_step(
            VISIT_DOCUMENT, "documento.pedir_visita", visit_for, back=SUPPORT_MENU
        ),
        VISIT_PERIOD: Step(
            ask_menu("periodo"), handle_visit_period, back=SUPPORT_MENU, holds_on_questions=True
        ),
        TRUST_UNLOCK_OFFER: yes_no_step(
            TRUST_UNLOCK_OFFER,
            "desbloqueio.oferta",
            handle_trust_unlock_offer,
            back=SUPPORT_MENU,
        ),
    },
    # "periodo" shows two; "tanto faz" (3) is read from words, not shown.
    menus={"suporte": len(SUPPORT_MENU_INTENTS), "lentidao": 2, "periodo": len(PERIODS) - 1},
    entries={
        nlu.SUPORTE: lambda turn: SUPPORT_MENU,
        nlu.SEM_INTERNET: enter_no_internet,
        nlu.PREVISAO: enter_outage_status,
        nlu.LENTA: lambda turn: SLOW_WHERE,
        nlu.MODEM_DESLIGADO: lambda turn: MODEM_POWER,
        nlu.OUTRO_PROBLEMA: lambda turn: OTHER_DESCRIBE,
    },
)
