"""5. Cancelamento ou alteração de plano: identify, show the account, record the request."""

from __future__ import annotations

import content
import understanding as nlu
from answers import answers, read_hints, read_option, yes_no
from business_data import Customer
from conversation import (
    Flow,
    Invalid,
    Step,
    Turn,
    ask_menu,
    choice,
    say_text,
    yes_no_step,
)
from flows.account import asks_fee, say_loyalty
from flows.attendant import handoff
from flows.boleto import CLOSING
from flows.identify import START, document_step, holder_only, known_customer, with_customer
from flows.sales import plan_by_answer, plan_named, plan_options
from privacy import mask_name, scrub
from replies import Reply

PLAN_MENU = "plan_menu"
PLAN_DOCUMENT = "plan_document"
CANCEL_CONFIRM = "cancel_confirm"
CANCEL_REASON = "cancel_reason"
CHANGE_CHOICE = "change_choice"
PLAN_MENU_INTENTS = nlu.PLAN_MENU_INTENTS
KEEP_PLAN = 0  # "então não quero mudar": the change list's way out


def enter_plan_action(action: str):
    """An entry that remembers whether to cancel or change, then identifies the holder."""

    def enter(turn: Turn) -> str:
        turn.data["plan_action"] = action
        return with_customer(turn, PLAN_DOCUMENT, plan_action_for)

    return enter


def handle_plan_menu(turn: Turn) -> str:
    """Cancellation or plan change."""
    picked = choice(turn, len(PLAN_MENU_INTENTS)) or read_option(
        turn, content.menu("plano").options
    )
    return turn.bot.jump(turn, PLAN_MENU_INTENTS[picked - 1])


def _plan_action_for(turn: Turn, customer: Customer) -> str:
    """Show the account found, then confirm the cancellation or list the plans."""
    confirm_account(turn, customer)
    if turn.data.get("plan_action") == "cancel":
        asked = any(asks_fee(said) for said in [*turn.data.get("said", [])[-3:], turn.text])
        if asked or in_loyalty(turn, customer):
            # "qual o valor da multa?" is answered, and a fee still running is always said,
            # before the customer confirms.
            say_loyalty(turn, customer)
        return CANCEL_CONFIRM
    if not turn.bot.business.plans_for_cep(customer.cep):
        turn.say("plano.sem_planos")
        turn.resolved()
        return CLOSING
    return CHANGE_CHOICE


# Cancelling, changing and even showing the plan are for the holder only (LGPD).
plan_action_for = holder_only("plan_action", _plan_action_for)


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
    if days == 1:
        return content.text("plano.prazo_um_dia")
    return content.text("plano.prazo_dias", dias=days)


def handle_cancel_confirm(turn: Turn) -> str:
    """Confirmed: ask the reason; declined: keep the contract; the fee asked: tell it first."""
    customer = known_customer(turn)
    if customer is not None and asks_fee(turn.text):
        say_loyalty(turn, customer)  # "sim, mas e a multa?" is not a yes yet
        return CANCEL_CONFIRM
    if yes_no(turn):
        return CANCEL_REASON
    turn.say("plano.cancelamento_desistiu")
    turn.resolved()  # the customer keeps the contract
    return CLOSING


def in_loyalty(turn: Turn, customer: Customer) -> bool:
    """The loyalty period of the contract is still running."""
    return customer.loyalty_end is not None and customer.loyalty_end >= turn.now.date()


def handle_cancel_reason(turn: Turn) -> str:
    """Record the cancellation request, with the reason unless skipped or withdrawn.

    A question about the fee is no reason: it is answered and the cancellation confirmed
    again, so nobody cancels without knowing what it costs.
    """
    customer = known_customer(turn)
    if customer is not None and asks_fee(turn.text):
        say_loyalty(turn, customer)
        return CANCEL_CONFIRM
    if read_hints(answers().words(CANCEL_CONFIRM), turn.text) == (False, True):
        turn.say("plano.cancelamento_desistiu")  # "mudei de ideia, não quero mais cancelar"
        turn.resolved()
        return CLOSING
    reason = turn.text.strip()
    if not reason or answers().says("pular", reason):
        reason = ""
    details = {"customer": turn.data.get("customer_id", ""), "reason": scrub(reason)}
    turn.record("cancellation", details)
    turn.say("plano.cancelamento_registrado", prazo=deadline(turn))
    return CLOSING


def ask_change_choice(turn: Turn) -> list[Reply]:
    customer = known_customer(turn)
    plans = turn.bot.business.plans_for_cep(customer.cep) if customer else None
    titles, prices = plan_options(plans or [], customer.plan_id if customer else "")
    question = content.text("plano.qual_novo_plano")
    return [content.choice_reply(question, titles, descriptions=prices, list_title="Planos")]


def handle_change_choice(turn: Turn) -> str:
    """Record the plan-change request for the chosen plan, or keep the current one."""
    customer = known_customer(turn)
    plans = (turn.bot.business.plans_for_cep(customer.cep) if customer else None) or []
    current = customer.plan_id if customer else ""
    named = choice(turn, len(plans)) or plan_named(turn.text, plans, current=current)
    if named is None and keeps_plan(turn):
        turn.say("plano.alteracao_desistiu")
        turn.resolved()
        return CLOSING
    if named is None and nlu.detect_intent(turn.text) == nlu.MINHA_CONTA:
        # "qual é o meu plano atual?" here: the list marks it; answer and keep choosing
        raise Invalid(content.text("conta.plano_atual_na_lista"), may_jump=False, strike=False)
    plan = plan_by_answer(turn, plans, current=current)
    if customer is not None and plan.id == customer.plan_id:
        raise Invalid(content.text("plano.mesmo_plano"), may_jump=False)
    details = {
        "customer": turn.data.get("customer_id", ""),
        "from_plan": current,
        "to_plan": plan.id,
    }
    turn.record("plan_change", details)
    turn.say("plano.alteracao_registrada", plano=plan.name, prazo=deadline(turn))
    return CLOSING


def keeps_plan(turn: Turn) -> bool:
    """Whether the customer says they no longer want to change ("deixa como está")."""
    try:
        return read_option(turn, ()) == KEEP_PLAN
    except Invalid:
        return False


FLOW = Flow(
    steps={
        PLAN_MENU: Step(
            ask_menu("plano"),
            handle_plan_menu,
            back=START,
            none_of_these=lambda turn: handoff(turn, "other_request"),
        ),
        PLAN_DOCUMENT: document_step(
            PLAN_DOCUMENT, "documento.pedir_plano", plan_action_for, back=PLAN_MENU
        ),
        CANCEL_CONFIRM: yes_no_step(
            CANCEL_CONFIRM, "plano.confirmar_cancelamento", handle_cancel_confirm, back=PLAN_MENU
        ),
        CANCEL_REASON: Step(
            say_text("plano.motivo"), handle_cancel_reason, back=PLAN_MENU, free_text=True
        ),
        CHANGE_CHOICE: Step(
            ask_change_choice,
            handle_change_choice,
            back=PLAN_MENU,
            same_question=frozenset({PLAN_MENU, PLAN_DOCUMENT}),
        ),
    },
    menus={"plano": len(PLAN_MENU_INTENTS)},
    entries={
        nlu.PLANO: lambda turn: PLAN_MENU,
        nlu.CANCELAR: enter_plan_action("cancel"),
        nlu.ALTERAR_PLANO: enter_plan_action("change"),
    },
)
