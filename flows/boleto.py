"""1. Segunda via de boleto: identify the holder, then send the open invoices.

`send_invoices` is also what the support flow sends to a suspended customer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import content
import understanding as nlu
from business_data import Customer, Invoice
from conversation import Flow, Turn
from flows.identify import START, document_step, with_customer
from payment_codes import PaymentCodeError, check_barcode_line, check_pix_code, mask_code
from replies import Reply

log = logging.getLogger("theo.bot")

BOLETO_DOCUMENT = "boleto_document"
CLOSING = "anything_else"  # the menu flow's "Posso ajudar em algo mais?"
MAX_INVOICES_SHOWN = 3


def enter_boleto(turn: Turn) -> str:
    """The invoices of the customer already identified, or ask the document."""
    return with_customer(turn, BOLETO_DOCUMENT, answer_invoices)


def answer_invoices(turn: Turn, customer: Customer) -> str:
    """The invoices, with the suspension notice around them when the contract is cut."""
    turn.data["customer_id"] = customer.id
    if customer.suspended:
        turn.say("boleto.suspenso")
    send_invoices(turn, customer)
    if customer.suspended:
        turn.say("suporte.religacao")
    turn.resolved()
    return CLOSING


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
        invoice = turn.bot.business.payment_details(invoice)
        turn.out.extend(invoice_replies(invoice, turn.now))
    if len(invoices) > MAX_INVOICES_SHOWN:
        turn.say("boleto.mais_faturas", total=len(invoices) - MAX_INVOICES_SHOWN)


def invoice_replies(invoice: Invoice, now: datetime) -> list[Reply]:
    """One invoice as WhatsApp messages: details (with the PDF), then each valid code alone."""
    barcode, pix = checked_codes(invoice, now)
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
        lines.append(content.text("boleto.pdf"))
    lines.append(content.text(codes_notice(barcode, pix, bool(invoice.pdf_url))))
    details = Reply(
        "\n".join(lines),
        document_url=invoice.pdf_url,
        document_name=f"boleto-{invoice.reference_month}" if invoice.pdf_url else "",
    )
    return [details] + [Reply(code, alone=True) for code in (barcode, pix) if code]


def codes_notice(barcode: str, pix: str, has_pdf: bool) -> str:
    """Which codes follow, or where to pay when none passed the check."""
    if barcode and pix:
        return "boleto.codigos_a_seguir"
    if barcode:
        return "boleto.so_linha_digitavel"
    if pix:
        return "boleto.so_pix"
    return "boleto.so_pdf" if has_pdf else "boleto.sem_codigos"


def checked_codes(invoice: Invoice, now: datetime) -> tuple[str, str]:
    """The linha digitável and PIX code that pass their check digits; "" for the others.

    A code the backend got wrong is never shown: a customer would pay nothing, or the
    wrong account. It is logged masked for the team to fix at the source.
    """
    barcode = _checked(
        invoice,
        "linha digitável",
        invoice.barcode_line,
        lambda code: check_barcode_line(code, reference=now.date()).digits,
    )
    pix = _checked(invoice, "PIX code", invoice.pix_code, lambda code: check_pix_code(code).payload)
    return barcode, pix


def _checked(invoice: Invoice, name: str, code: str, check: Callable[[str], str]) -> str:
    """`check(code)`, or "" (logged masked) when the code is absent or refused."""
    if not code:
        return ""
    try:
        return check(code)
    except PaymentCodeError as problem:
        log.warning(
            "invoice %s: %s %s refused (%s)", invoice.id, name, mask_code(code), problem.reason
        )
        return ""


FLOW = Flow(
    steps={
        BOLETO_DOCUMENT: document_step(
            BOLETO_DOCUMENT, "documento.pedir_boleto", answer_invoices, back=START
        ),
    },
    entries={nlu.BOLETO: enter_boleto},
)
