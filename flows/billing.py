"""Billing requests: change the due day, a disputed charge, the nota fiscal, card payment.

Answered from the business data where it has the answer (the current due day,
the invoices, the nota fiscal link); recorded with the protocol for the billing
team where a person must act (a new due day, a dispute, a missing nota fiscal).
"""

from __future__ import annotations

import content
import understanding as nlu
from answers import answers
from business_data import Customer
from conversation import Flow, Invalid, Step, Turn, choice, expected_choice
from flows.boleto import CLOSING
from flows.identify import START, document_step, holder_only, with_customer
from flows.plan import deadline
from privacy import scrub
from replies import Reply

DUE_DOCUMENT = "due_document"
DUE_DAY = "due_day"
DISPUTE_DOCUMENT = "dispute_document"
DISPUTE_INVOICE = "dispute_invoice"
DISPUTE_DESCRIBE = "dispute_describe"
NOTE_DOCUMENT = "note_document"
NOTE_PICK = "note_pick"

MAX_LISTED = 5  # invoices offered to choose from


def invoice_summaries(turn: Turn, customer: Customer) -> list[dict]:
    """Open and recently paid invoices, newest due first, as plain session data."""
    business = turn.bot.business
    found = [
        {"id": i.id, "month": i.reference_month, "due": i.due_date.isoformat(),
         "amount": str(i.amount), "paid": False, "note": i.fiscal_note_url}
        for i in business.open_invoices(customer)
    ] + [
        {"id": p.id, "month": p.reference_month, "due": p.due_date.isoformat(),
         "amount": str(p.amount), "paid": True, "note": p.fiscal_note_url}
        for p in business.paid_invoices(customer)
    ]  # fmt: skip
    return sorted(found, key=lambda item: item["due"], reverse=True)[:MAX_LISTED]


def invoice_title(item: dict) -> str:
    """ "outubro/2026 — R$ 99,90 (paga)" """
    return content.text(
        "cobranca.fatura_paga" if item["paid"] else "cobranca.fatura_aberta",
        mes=content.reference_month(item["month"]),
        valor=content.brl(item["amount"]),
    )


def picked_item(turn: Turn, items: list[dict]) -> dict:
    """The invoice chosen by number or by a word only its title has ("outubro")."""
    picked = choice(turn, len(items))
    item = items[picked - 1] if picked is not None else item_named(turn.text, items)
    if item is None:
        raise Invalid(expected_choice(len(items)))
    return item


def item_named(text: str, items: list[dict]) -> dict | None:
    """The one invoice whose title has a word of `text` ("outubro"), if only one has."""
    words = set(nlu.normalize(text).split())
    named = [
        item
        for item in items
        if words & {w for w in nlu.normalize(invoice_title(item)).split() if len(w) >= 4}
    ]
    return named[0] if len(named) == 1 else None


def ask_items(key: str, data_key: str) -> object:
    """An asker listing the invoices kept under `data_key`, with the question `key`."""

    def ask(turn: Turn) -> list[Reply]:
        titles = [invoice_title(item) for item in turn.data.get(data_key, [])]
        return [content.choice_reply(content.text(key), titles)]

    return ask


# --- Due day ----------------------------------------------------------------------------
def enter_due_date(turn: Turn) -> str:
    """A new due day acts on the account: the holder only."""
    return with_customer(turn, DUE_DOCUMENT, due_for)


def current_due_day(turn: Turn, customer: Customer) -> int | None:
    """The due day of the latest invoice, open or paid; None when there is none."""
    dues = [i.due_date for i in turn.bot.business.open_invoices(customer)]
    dues += [p.due_date for p in turn.bot.business.paid_invoices(customer)]
    return max(dues).day if dues else None


def _due_day_for(turn: Turn, customer: Customer) -> str:
    turn.data["customer_id"] = customer.id
    turn.data["due_current"] = current_due_day(turn, customer)
    said = " ".join(turn.data.get("said", []))
    days = [int(m.group(1)) for m in answers().find("dia_do_mes", said)]
    if len(days) == 1 and days[0] in turn.bot.billing.due_days:
        return change_due_day(turn, days[0])  # "mudar pro dia 20": already said
    return DUE_DAY


due_for = holder_only("due_date_change", _due_day_for)


def ask_due_day(turn: Turn) -> list[Reply]:
    current = turn.data.get("due_current")
    allowed = allowed_days(turn)
    if current:
        return [Reply(content.text("vencimento.pedir_dia", atual=current, dias=allowed))]
    return [Reply(content.text("vencimento.pedir_dia_sem_atual", dias=allowed))]


def allowed_days(turn: Turn) -> str:
    """ "5, 10, 15, 20 ou 25" """
    days = [str(day) for day in turn.bot.billing.due_days]
    if len(days) == 1:
        return days[0]
    return content.text("vencimento.lista_dias", dias=", ".join(days[:-1]), ultimo=days[-1])


def handle_due_day(turn: Turn) -> str:
    """A day among the allowed ones is recorded; another one is told the allowed days."""
    numbers = [int(m.group(1)) for m in answers().find("numero_do_dia", turn.text)]
    if len(set(numbers)) != 1:
        raise Invalid(content.text("vencimento.dia_invalido", dias=allowed_days(turn)))
    day = numbers[0]
    if day not in turn.bot.billing.due_days:
        problem = content.text("vencimento.dia_nao_permitido", dia=day, dias=allowed_days(turn))
        raise Invalid(problem, may_jump=False)
    return change_due_day(turn, day)


def change_due_day(turn: Turn, day: int) -> str:
    """Record the new due day for the billing team (the same day needs nothing)."""
    current = turn.data.get("due_current")
    if day == current:
        turn.say("vencimento.ja_e_esse", dia=day)
        turn.resolved()
        return CLOSING
    details = {"customer": turn.data.get("customer_id", ""), "current_day": current, "new_day": day}
    turn.record("due_date_change", details)
    turn.say("vencimento.registrado", dia=day, prazo=deadline(turn))
    return CLOSING


# --- Disputed or double charge --------------------------------------------------------
def enter_dispute(turn: Turn) -> str:
    """A charge the customer disputes: identify, then which invoice."""
    turn.data["dispute_request"] = scrub(turn.text)[:300]
    return with_customer(turn, DISPUTE_DOCUMENT, list_for_dispute)


def list_for_dispute(turn: Turn, customer: Customer) -> str:
    """Offer the customer's invoices to choose from; none known → just the description."""
    turn.data["customer_id"] = customer.id
    items = invoice_summaries(turn, customer)
    turn.data["dispute_items"] = items
    if not items:
        turn.data["dispute_invoice"] = None
        return DISPUTE_DESCRIBE
    return DISPUTE_INVOICE


def handle_dispute_invoice(turn: Turn) -> str:
    """Keep the invoice disputed; then ask what happened."""
    item = picked_item(turn, turn.data.get("dispute_items", []))
    turn.data["dispute_invoice"] = item
    return DISPUTE_DESCRIBE


def handle_dispute_describe(turn: Turn) -> str:
    """Record the dispute as a ticket for the billing team, with the invoice."""
    description = turn.text.strip()
    if len(description) < 3:
        raise Invalid(content.text("cobranca.descricao_vazia"))
    invoice = turn.data.get("dispute_invoice") or {}
    details = {
        "customer": turn.data.get("customer_id", ""),
        "invoice": invoice.get("id", ""),
        "reference_month": invoice.get("month", ""),
        "amount": invoice.get("amount", ""),
        "request": turn.data.get("dispute_request", ""),
        "description": scrub(description),
    }
    turn.record("billing_dispute", details)
    turn.say("cobranca.registrada", prazo=deadline(turn))
    return CLOSING


# --- Nota fiscal ----------------------------------------------------------------------
def enter_note(turn: Turn) -> str:
    """The nota fiscal shows the address: the holder only."""
    return with_customer(turn, NOTE_DOCUMENT, note_for)


def _notes_for(turn: Turn, customer: Customer) -> str:
    turn.data["customer_id"] = customer.id
    items = [item for item in invoice_summaries(turn, customer) if item["note"]]
    if not items:
        turn.record("fiscal_note", {"customer": customer.id})
        turn.say("nota.registrada", prazo=deadline(turn))
        return CLOSING
    if len(items) == 1:
        return send_note(turn, items[0])
    asked = item_named(" ".join(turn.data.get("said", [])), items)  # "a nf de outubro"
    if asked is not None:
        return send_note(turn, asked)
    turn.data["note_items"] = items
    return NOTE_PICK


note_for = holder_only("fiscal_note", _notes_for)


def handle_note_pick(turn: Turn) -> str:
    """Send the nota fiscal of the invoice chosen."""
    return send_note(turn, picked_item(turn, turn.data.get("note_items", [])))


def send_note(turn: Turn, item: dict) -> str:
    month = content.reference_month(item["month"])
    turn.out.append(
        Reply(
            content.text("nota.link", mes=month, link=item["note"]),
            document_url=item["note"],
            document_name=f"nota-fiscal-{item['month']}",
        )
    )
    turn.resolved()
    return CLOSING


# --- Card or debit --------------------------------------------------------------------
def card_in_passing(turn: Turn) -> bool:
    """Mid-flow: the same short answer; the engine asks the flow's question again."""
    turn.say("cobranca.cartao")
    return True


def enter_card(turn: Turn) -> str:
    """A short answer from content: how card and automatic debit work here."""
    turn.say("cobranca.cartao")
    turn.resolved()
    return CLOSING


FLOW = Flow(
    steps={
        DUE_DOCUMENT: document_step(DUE_DOCUMENT, "documento.pedir_cobranca", due_for, back=START),
        DUE_DAY: Step(ask_due_day, handle_due_day, back=START, holds_on_questions=True),
        DISPUTE_DOCUMENT: document_step(
            DISPUTE_DOCUMENT, "documento.pedir_cobranca", list_for_dispute, back=START
        ),
        DISPUTE_INVOICE: Step(
            ask_items("cobranca.qual_fatura", "dispute_items"),
            handle_dispute_invoice,
            back=START,
        ),
        DISPUTE_DESCRIBE: Step(
            lambda turn: [Reply(content.text("cobranca.descrever"))],
            handle_dispute_describe,
            back=START,
            free_text=True,
        ),
        NOTE_DOCUMENT: document_step(
            NOTE_DOCUMENT, "documento.pedir_cobranca", note_for, back=START
        ),
        NOTE_PICK: Step(ask_items("nota.qual_mes", "note_items"), handle_note_pick, back=START),
    },
    entries={
        nlu.VENCIMENTO: enter_due_date,
        nlu.COBRANCA_INDEVIDA: enter_dispute,
        nlu.NOTA_FISCAL: enter_note,
        nlu.PAGAMENTO_CARTAO: enter_card,
    },
    # "aceita cartão?" asked while giving the CPF for the boleto: answered, then the
    # question again, instead of leaving the flow the customer is in.
    asides={nlu.PAGAMENTO_CARTAO: card_in_passing},
)
