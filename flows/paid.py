""" "Paguei e continua cortado": check the payment before anything else.

Identify the holder, then look at what the backend shows: a recent payment, and
what is still open. Paid and nothing overdue → the unlock is on its way (or a
trust unlock where the backend supports it), then restart the modem, then a
technician. Not shown as paid yet → the clearing times (PIX in minutes, boleto
in business days) and the receipt: the only step where Theo takes a file, an
image or a PDF recorded with the protocol for the team to check.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import content
import understanding as nlu
from answers import answers, read_hints, yes_no
from business_data import Customer, Invoice, PaidInvoice
from conversation import Flow, Invalid, Step, Turn, yes_no_step
from flows.boleto import CLOSING
from flows.identify import START, document_step, known_customer, with_customer
from flows.support import TRUST_UNLOCK_OFFER, account_state, resolved, start_visit
from privacy import scrub
from replies import Reply

log = logging.getLogger("theo.bot")

PAID_DOCUMENT = "paid_document"
PAID_RESTART = "paid_restart"
PAID_RECEIPT = "paid_receipt"

# A payment older than this does not explain a cut of today.
RECENT_PAYMENT = timedelta(days=45)
RECEIPT_TYPES = ("image/", "application/pdf")


def enter_paid(turn: Turn) -> str:
    """Paid and still cut: identify the holder (skip if known), then check the payment."""
    return with_customer(turn, PAID_DOCUMENT, check_payment)


def check_payment(turn: Turn, customer: Customer) -> str:
    """Say what the backend shows of the payment and go where that leads."""
    turn.data["customer_id"] = customer.id
    latest = latest_payment(turn, customer)
    if latest is not None:
        turn.say(
            "pago.pagamento_encontrado",
            mes=content.reference_month(latest.reference_month),
            data=content.day(latest.paid_on),
            forma=payment_method(latest.method),
        )
    overdue = [
        i for i in turn.bot.business.open_invoices(customer) if i.is_overdue(turn.now.date())
    ]
    if customer.suspended and overdue:
        return not_shown_paid(turn, overdue, found=latest is not None)
    if customer.suspended:
        return unlock_on_its_way(turn, customer)
    explained = account_state(turn, customer)  # an outage explains it too
    if explained is not None:
        return explained
    turn.say("pago.contrato_ativo")
    return PAID_RESTART


def latest_payment(turn: Turn, customer: Customer) -> PaidInvoice | None:
    """The latest payment the backend shows, if recent enough to matter for a cut."""
    paid = turn.bot.business.paid_invoices(customer)
    recent = [p for p in paid if turn.now.date() - p.paid_on <= RECENT_PAYMENT]
    return max(recent, key=lambda p: p.paid_on, default=None)


def payment_method(method: str) -> str:
    """The payment method in words ("" → "pagamento")."""
    key = f"pago.forma.{method or 'desconhecida'}"
    return content.text(key if content.has(key) else "pago.forma.desconhecida")


def not_shown_paid(turn: Turn, overdue: list[Invoice], *, found: bool) -> str:
    """Still open: say which, how long a payment takes to clear, and take the receipt."""
    months = ", ".join(content.reference_month(i.reference_month) for i in overdue)
    rules = turn.bot.billing
    turn.say(
        "pago.ainda_em_aberto" if found else "pago.nao_consta",
        meses=months,
        dias=rules.boleto_clearing_days,
        data=content.day(rules.clearing_date(turn.now.date())),
    )
    turn.data["receipt_invoices"] = [i.id for i in overdue]
    return PAID_RECEIPT


def unlock_on_its_way(turn: Turn, customer: Customer) -> str:
    """Paid, nothing overdue, still blocked: the unlock comes; trust unlock where offered."""
    turn.say("pago.liberacao_a_caminho", minutos=turn.bot.billing.unlock_minutes)
    turn.resolved()  # the payment is there: the unlock follows by itself
    if turn.bot.business.supports_trust_unlock(customer):
        return TRUST_UNLOCK_OFFER
    turn.data["reopen"] = PAID_RESTART  # "continua sem internet" at the closing: a technician
    return CLOSING


# --- After the payment shows: restart, then a technician ------------------------------
def handle_paid_restart(turn: Turn) -> str:
    """Back after restarting the modem: solved; still down: a technician checks."""
    if yes_no(turn):
        return resolved(turn)
    turn.data.setdefault("diagnosis", []).append(
        {"question": "Pagamento confirmado; voltou após reiniciar o modem?", "answer": "não"}
    )
    return start_visit(turn, "pago_sem_conexao")


# --- The receipt ----------------------------------------------------------------------
def ask_receipt(turn: Turn) -> list[Reply]:
    return [Reply(content.text("pago.pedir_comprovante"))]


def handle_receipt(turn: Turn) -> str:
    """A photo or PDF of the receipt is recorded; "não tenho" goes on without it."""
    if turn.message.media_url or turn.message.kind == "media":
        return take_receipt(turn)
    intent = nlu.detect_intent(turn.text)
    if intent not in (None, nlu.PAGO_CORTADO):  # "quero um atendente": the engine starts it
        raise Invalid(content.text("pago.comprovante_em_texto"))
    answer, sure = read_hints(answers().words(turn.state), turn.text)
    if answer is None and answers().plain_answer(turn.text):
        answer, sure = nlu.parse_yes_no(turn.text), True
    if answer is False and sure:
        turn.say("pago.sem_comprovante")
        return after_receipt(turn)
    if answer is True or answers().says("esperar", turn.text):
        raise Invalid(content.text("pago.aguardando_comprovante"), may_jump=False, strike=False)
    raise Invalid(content.text("pago.comprovante_em_texto"))


def take_receipt(turn: Turn) -> str:
    """Record the file (where Z-API keeps it) with the protocol, for the team to check."""
    message = turn.message
    if not is_receipt_file(message.media_type, message.mime_type, message.file_name):
        raise Invalid(content.text("pago.comprovante_formato"), may_jump=False, strike=False)
    if not message.media_url:  # nothing the team could open: ask again rather than lose it
        raise Invalid(content.text("pago.comprovante_sem_arquivo"), may_jump=False, strike=False)
    details = {
        "customer": turn.data.get("customer_id", ""),
        "invoices": turn.data.get("receipt_invoices", []),
        "media_url": message.media_url,
        "mime_type": message.mime_type,
        "file_name": scrub(message.file_name),
        "caption": scrub(message.text)[:300],
    }
    turn.record("payment_receipt", details)
    turn.say("pago.comprovante_recebido", protocolo=turn.data["protocol"])
    return after_receipt(turn)


def is_receipt_file(media_type: str, mime_type: str, file_name: str) -> bool:
    """An image or a PDF (by MIME type; by the name or kind where the type is missing)."""
    mime = mime_type.lower().split(";")[0].strip()
    if mime:
        return mime.startswith(RECEIPT_TYPES[0]) or mime == RECEIPT_TYPES[1]
    return media_type == "image" or file_name.lower().endswith(".pdf")


def after_receipt(turn: Turn) -> str:
    """A trust unlock while the team checks, where the backend offers it; else close."""
    customer = known_customer(turn)
    if customer is not None and turn.bot.business.supports_trust_unlock(customer):
        return TRUST_UNLOCK_OFFER
    turn.say("suporte.religacao")
    turn.resolved()
    return CLOSING


FLOW = Flow(
    steps={
        PAID_DOCUMENT: document_step(
            PAID_DOCUMENT, "documento.pedir_pagamento", check_payment, back=START
        ),
        PAID_RESTART: yes_no_step(
            PAID_RESTART, "pago.reiniciar_modem", handle_paid_restart, back=START
        ),
        PAID_RECEIPT: Step(
            ask_receipt,
            handle_receipt,
            back=START,
            takes_media=True,
            same_question=frozenset({PAID_RECEIPT}),
            brief=lambda turn: [Reply(content.text("curta.paid_receipt"))],
        ),
    },
    entries={nlu.PAGO_CORTADO: enter_paid},
)
