"""1. Segunda via de boleto: identify the holder, then send the open invoices.

`send_invoices` is also what the support flow sends to a suspended customer.
"""

from __future__ import annotations

from datetime import datetime

import content
import understanding as nlu
from business_data import Customer, Invoice
from conversation import Flow, Turn
from flows.identify import START, document_step, with_customer
from replies import Reply

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


FLOW = Flow(
    steps={
        BOLETO_DOCUMENT: document_step(
            BOLETO_DOCUMENT, "documento.pedir_boleto", answer_invoices, back=START
        ),
    },
    entries={nlu.BOLETO: enter_boleto},
)
