"""My account: plan, monthly price, next due date, loyalty period and cancellation fee.

Answered directly once the holder is confirmed (showing the plan is for the holder
only), never through the cancellation flow. `say_loyalty` is shared with the
cancellation, which answers a question about the fee before asking to confirm.
"""

from __future__ import annotations

from datetime import date

import content
import understanding as nlu
from answers import answers
from business_data import Customer
from conversation import Flow, Turn
from flows.boleto import CLOSING
from flows.identify import START, document_step, holder_only, with_customer

ACCOUNT_DOCUMENT = "account_document"


def enter_account(turn: Turn) -> str:
    """Identify the holder (skipped when known), then answer."""
    return with_customer(turn, ACCOUNT_DOCUMENT, show_account)


def _show_account(turn: Turn, customer: Customer) -> str:
    """Plan, price, next due date and loyalty, in one message."""
    turn.data["customer_id"] = customer.id
    plan = turn.bot.business.plan(customer.plan_id)
    turn.say(
        "conta.resumo",
        plano=plan.name if plan else customer.plan_id,
        valor=content.brl(plan.monthly_price) if plan else "-",
        vencimento=_next_due(turn, customer),
    )
    say_loyalty(turn, customer)
    turn.resolved()
    return CLOSING


show_account = holder_only("my_account", _show_account)


def _next_due(turn: Turn, customer: Customer) -> str:
    """The next open invoice's due date; overdue ones are mentioned first."""
    today = turn.now.date()
    invoices = turn.bot.business.open_invoices(customer)
    overdue = [invoice for invoice in invoices if invoice.is_overdue(today)]
    coming = [invoice for invoice in invoices if not invoice.is_overdue(today)]
    if coming:
        text = content.text("conta.proximo_vencimento", data=content.day(coming[0].due_date))
    else:
        text = content.text("conta.sem_fatura_aberta")
    if overdue:
        return content.text("conta.tem_vencida", quantidade=len(overdue)) + " " + text
    return text


def asks_fee(text: str) -> bool:
    """Whether the customer asks about the loyalty period or the cancellation fee."""
    return answers().says("multa", text)


def say_loyalty(turn: Turn, customer: Customer) -> None:
    """The loyalty period and the fee to cancel today, as far as the data knows them."""
    today: date = turn.now.date()
    if customer.loyalty_end is None:
        turn.say("conta.fidelidade_desconhecida")
    elif customer.loyalty_end < today:
        turn.say("conta.fidelidade_encerrada", data=content.day(customer.loyalty_end))
    elif customer.cancellation_fee is None:  # the ERP keeps the end but not the fee
        turn.say("conta.fidelidade_multa_desconhecida", data=content.day(customer.loyalty_end))
    elif customer.cancellation_fee:
        turn.say(
            "conta.fidelidade_com_multa",
            data=content.day(customer.loyalty_end),
            multa=content.brl(customer.cancellation_fee),
        )
    else:
        turn.say("conta.fidelidade_sem_multa", data=content.day(customer.loyalty_end))


FLOW = Flow(
    steps={
        ACCOUNT_DOCUMENT: document_step(
            ACCOUNT_DOCUMENT, "conta.pedir_documento", show_account, back=START
        ),
    },
    entries={nlu.MINHA_CONTA: enter_account},
)
