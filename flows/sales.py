"""3. Contratar internet and 4. Consultar cobertura: CEP, plans, the lead.

Plans are read by number or by words ("o de 500", "o mais barato"): the
words for "cheapest", "fastest" and "the middle one" are in
`content/answers.toml` under `[planos]`.
"""

from __future__ import annotations

import re

import content
import understanding as nlu
from answers import affirmed, answers, yes_no
from business_data import Plan
from conversation import (
    Flow,
    Invalid,
    Step,
    Turn,
    ask_short,
    choice,
    expected_choice,
    say_text,
    yes_no_step,
)
from documents import format_cep, parse_cep
from flows.boleto import CLOSING
from flows.identify import START
from replies import Reply

SALES_CEP = "sales_cep"
SALES_PLAN = "sales_plan"
SALES_NAME = "sales_name"
SALES_NOTIFY = "sales_notify"
COVERAGE_CEP = "coverage_cep"
COVERAGE_CONTRACT = "coverage_contract"
CEP_STATES = frozenset({SALES_CEP, COVERAGE_CEP})
NOT_IN_A_NAME = re.compile(r"[^\w\s.'-]|[\d_]")  # emoji and symbols are not part of a name
PLANS = "planos"  # the answers table of words that name a plan


# --- Reading a CEP and a plan ------------------------------------------------------------
def carries_cep(text: str) -> bool:
    return parse_cep(text) is not None


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


def plan_options(plans: list[Plan], current: str = "") -> tuple[list[str], list[str]]:
    """Plan names and "R$ 99,90/mês" descriptions, marking the customer's plan."""
    titles = [
        plan.name + (f" {content.text('plano.plano_atual')}" if plan.id == current else "")
        for plan in plans
    ]
    prices = [f"{content.brl(plan.monthly_price)}/mês" for plan in plans]
    return titles, prices


def _names_plan(said: str, plan: Plan) -> bool:
    """Whether `said` names `plan` by its name, its speed or its price ("99,90", "o de 99")."""
    price = f"{plan.monthly_price:.2f}".replace(".", " ")
    return (
        nlu.normalize(plan.name) in said
        or re.search(rf"\b{plan.speed_mbps}\b", said) is not None
        or re.search(rf"\b({price}|{int(plan.monthly_price)})\b", said) is not None
    )


def plan_named(text: str, plans: list[Plan], *, current: str = "") -> Plan | None:
    """The plan the words name: "o de 500", "1 giga", "o mais barato"; None if unclear.

    When the words name the customer's `current` plan and another ("do 500 pro 1
    giga"), the other one is meant.
    """
    if not plans:
        return None
    said = answers().in_mega(text)
    kept = answers().in_mega(affirmed(text))  # "o de 300 não, quero o de 500"
    named = [plan for plan in plans if _names_plan(kept, plan)]
    if len(named) != 1:
        named = [plan for plan in plans if _names_plan(said, plan)]
    if len(named) > 1 and answers().says("correcao", text):
        named = [_last_named(text, named)]  # "o de 300... não, pera, melhor o de 500"
    if len(named) > 1:
        named = [plan for plan in named if plan.id != current]
    if len(named) == 1:
        return named[0]
    by_words = answers().words(PLANS).options or {}
    if _says(by_words.get(2, ()), said) and len(plans) == 3:
        return plans[1]
    if _says(by_words.get(1, ()), said):
        return min(plans, key=lambda plan: plan.monthly_price)
    if _says(by_words.get(3, ()), said):
        return max(plans, key=lambda plan: plan.speed_mbps)
    return None


def _last_named(text: str, plans: list[Plan]) -> Plan:
    """Of the plans named in `text`, the one named last."""
    for clause in reversed(answers().clauses(text)):
        named = [plan for plan in plans if _names_plan(answers().in_mega(clause), plan)]
        if len(named) == 1:
            return named[0]
    return plans[-1]


def _says(patterns: tuple[re.Pattern[str], ...], said: str) -> bool:
    return any(pattern.search(said) for pattern in patterns)


def plan_by_answer(turn: Turn, plans: list[Plan], current: str = "") -> Plan:
    """The plan picked by number or named by words; Invalid otherwise."""
    picked = choice(turn, len(plans))
    if picked is not None:
        return plans[picked - 1]
    named = plan_named(turn.text, plans, current=current)
    if named is not None:
        return named
    raise Invalid(expected_choice(len(plans)))


# --- Questions --------------------------------------------------------------------------
def ask_sales_plan(turn: Turn) -> list[Reply]:
    plans = turn.bot.business.plans_for_cep(turn.data["cep"]) or []
    titles, prices = plan_options(plans)
    question = content.text("vendas.qual_plano")
    return [content.choice_reply(question, titles, descriptions=prices, list_title="Planos")]


def ask_not_covered(turn: Turn) -> list[Reply]:
    question = content.text("vendas.nao_coberto", cep=format_cep(turn.data["cep"]))
    return [content.yes_no_reply(question)]


# --- Handlers ---------------------------------------------------------------------------
def enter_sales(turn: Turn) -> str:
    """A prospect: welcome, then the plans of a CEP already given, or ask the CEP."""
    turn.say("vendas.boas_vindas")
    if turn.data.get("cep") and turn.bot.business.plans_for_cep(turn.data["cep"]):
        return SALES_PLAN
    return SALES_CEP


def covered_plans(turn: Turn) -> list[Plan]:
    """Read the CEP in the message and keep it; the plans offered there (none: not covered)."""
    turn.data["cep"] = read_cep(turn)
    return turn.bot.business.plans_for_cep(turn.data["cep"]) or []


def handle_sales_cep(turn: Turn) -> str:
    """Coverage decides: plans to choose from, or an offer to be notified."""
    plans = covered_plans(turn)
    if not plans:
        return SALES_NOTIFY
    turn.say("vendas.coberto", cep=format_cep(turn.data["cep"]))
    return _plan_said_before(turn, plans) or SALES_PLAN


def _plan_said_before(turn: Turn, plans: list[Plan]) -> str | None:
    """A plan named earlier ("quanto custa o de 1 giga?") is not asked again: go to the name."""
    named = {plan_named(text, plans) for text in turn.data.get("said", [])} - {None}
    if len(named) != 1:
        return None
    plan = named.pop()
    turn.data["plan"] = plan.id
    turn.say("vendas.plano_escolhido", plano=plan.name)
    return SALES_NAME


def handle_sales_plan(turn: Turn) -> str:
    """Which plan the prospect wants; then ask the name."""
    plans = turn.bot.business.plans_for_cep(turn.data["cep"]) or []
    plan = plan_by_answer(turn, plans)
    turn.data["plan"] = plan.id
    turn.say("vendas.plano_escolhido", plano=plan.name)
    return SALES_NAME


def handle_sales_name(turn: Turn) -> str:
    """Record the lead with the name, phone, CEP, plan and any note that came with the name."""
    try:
        name, note = clean_name(turn.text)
    except Invalid:
        if nlu.detect_intent(turn.text) == nlu.ATENDENTE:  # no name, only "quero um atendente"
            return turn.bot.jump(turn, nlu.ATENDENTE)
        raise
    plan = turn.bot.business.plan(turn.data["plan"])
    details = {"name": name, "cep": turn.data["cep"], "plan": turn.data["plan"]}
    if note:
        details["note"] = note
    turn.record("lead", details)
    turn.say(
        "vendas.lead_registrado",
        plano=plan.name if plan else turn.data["plan"],
        cep=format_cep(turn.data["cep"]),
    )
    return CLOSING


def clean_name(text: str) -> tuple[str, str]:
    """The name and the rest of the message as a note.

    The name is the first piece of the message (between punctuation) that looks
    like one: "ok, Marcos Vinicius" skips the "ok"; in "meu nome é João, pode me
    ligar à tarde?" the request is the note.
    """
    pieces = [piece.strip() for piece in re.split(r"[,;.!?\n]+| - ", text) if piece.strip()]
    for index, piece in enumerate(pieces):
        name, tail = _name_in(piece)
        if looks_like_name(name):
            note = " ".join([tail, *pieces[index + 1 :]]).strip(" ,.-")
            return name, note
    raise Invalid(content.text("vendas.nome_invalido"))


def _name_in(piece: str) -> tuple[str, str]:
    """(name, what follows it) in one piece: the lead-in words dropped, a request cut off."""
    piece = NOT_IN_A_NAME.sub(" ", piece)  # "Juliana 😊" is "Juliana"
    words = piece.split()
    prefix = answers().find("prefixo_do_nome", piece)
    if prefix:
        words = words[len(prefix[0].group(0).split()) :]
    said = nlu.normalize(" ".join(words))
    for pattern in answers().general["fim_do_nome"]:
        found = pattern.search(said)
        if found and found.start() > 0:
            kept = len(said[: found.start()].split())
            return " ".join(words[:kept]), " ".join(words[kept:])
    return " ".join(words), ""


def looks_like_name(name: str) -> bool:
    """A name: letters, at most 6 words, not an answer word, a question or a refusal."""
    said = nlu.normalize(name)
    letters = sum(ch.isalpha() for ch in name)
    if letters < 2 or any(ch.isdigit() for ch in name) or len(name) > 80 or len(said.split()) > 6:
        return False
    if " " not in name and nlu.parse_yes_no(name) is not None:  # "sim", "ok"
        return False
    return not answers().says("nao_nome", name) and nlu.detect_intent(name) is None


def handle_sales_notify(turn: Turn) -> str:
    """Not covered: record the interest when the customer wants to be told."""
    if yes_no(turn):
        turn.record("coverage_interest", {"cep": turn.data["cep"]})
        turn.say("vendas.aviso_registrado", cep=format_cep(turn.data["cep"]))
    else:
        turn.say("vendas.aviso_recusado")
        turn.resolved()  # answered: not covered, and no notice wanted
    return CLOSING


def handle_coverage_cep(turn: Turn) -> str:
    """Covered: list the plans and offer to contract; not covered: offer notice."""
    plans = covered_plans(turn)
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
    wants = yes_no_or_none(turn)
    named = None if wants is False else plan_named(turn.text, plans)  # "não, achei caro o de 500"
    if named is not None:
        turn.data["plan"] = named.id
        turn.say("vendas.plano_escolhido", plano=named.name)
        return SALES_NAME
    if wants if wants is not None else yes_no(turn):
        return SALES_PLAN
    turn.say("vendas.sem_contratar")
    turn.resolved()  # the coverage question is answered
    return CLOSING


def yes_no_or_none(turn: Turn) -> bool | None:
    """The yes/no when the message gives one, else None (a plan name may answer instead)."""
    try:
        return yes_no(turn)
    except Invalid:
        return None


FLOW = Flow(
    steps={
        SALES_CEP: Step(
            say_text("vendas.pedir_cep"),
            handle_sales_cep,
            back=START,
            answer_in_request=carries_cep,
            same_question=CEP_STATES,
        ),
        SALES_PLAN: Step(ask_sales_plan, handle_sales_plan, back=START),
        SALES_NAME: Step(
            say_text("vendas.pedir_nome"),
            handle_sales_name,
            back=START,
            free_text=True,
            person_on_request=False,  # "pode me ligar?" is a note on the lead, not a handoff
        ),
        SALES_NOTIFY: Step(
            ask_not_covered, handle_sales_notify, back=START, brief=ask_short(SALES_NOTIFY)
        ),
        COVERAGE_CEP: Step(
            say_text("vendas.pedir_cep_cobertura"),
            handle_coverage_cep,
            back=START,
            answer_in_request=carries_cep,
            same_question=CEP_STATES,
        ),
        COVERAGE_CONTRACT: yes_no_step(
            COVERAGE_CONTRACT, "vendas.quer_contratar", handle_coverage_contract, back=START
        ),
    },
    entries={nlu.CONTRATAR: enter_sales, nlu.COBERTURA: lambda turn: COVERAGE_CEP},
    stats_keys={nlu.CONTRATAR: "contract", nlu.COBERTURA: "coverage"},
)
