"""6. Falar com um atendente: say the hours, record the handoff, then stay silent.

Any flow hands over through `handoff`; the engine keeps Theo silent while the
session is in HUMAN, until the customer writes `menu` or the silence expires.
"""

from __future__ import annotations

import content
import understanding as nlu
from answers import read_option
from conversation import HUMAN, Flow, Step, Turn, choice
from hours import describe_moment
from replies import Reply

# The provider's system is out of reach (the engine's fallback): try again, a person, or
# the menu. The failed question is kept in `retry_state`.
SYSTEM_UNAVAILABLE = "backend_down"
MENU = "main_menu"  # the menu's state name


def handoff(turn: Turn, reason: str) -> str:
    """Hand the conversation to a person; the hours are told only when the team is away."""
    hours = turn.bot.hours
    within_hours = hours.is_open(turn.now)
    details = {
        "reason": reason,
        "within_hours": within_hours,
        "customer": turn.data.get("customer_id", ""),
    }
    turn.record("handoff", details)
    # Theo keeps quiet while the team may still answer: longer when closed until it reopens.
    turn.session.ttl = turn.bot.human_ttl
    if within_hours:
        turn.say("atendente.transferindo", protocolo=turn.data["protocol"])
        return HUMAN
    reopening = hours.next_opening(turn.now)
    turn.session.ttl += max(0.0, (reopening - turn.now).total_seconds())
    turn.say("atendente.horario", horario=hours.describe())
    moment = describe_moment(reopening, turn.now)
    turn.say("atendente.fora_do_horario", reabertura=moment, protocolo=turn.data["protocol"])
    return HUMAN


def ask_unavailable(turn: Turn) -> list[Reply]:
    intro = content.text("sistema.indisponivel", protocolo=turn.data["protocol"])
    menu = content.menu("sistema_fora")
    return [content.choice_reply("", menu.options, list_title=menu.title, intro=intro)]


def handle_unavailable(turn: Turn) -> str:
    """Try the question again, hand over, or go back to the menu."""
    picked = choice(turn, 3) or read_option(turn, content.menu("sistema_fora").options)
    if picked == 1:
        return turn.data.pop("retry_state", MENU)
    return handoff(turn, "system_unavailable") if picked == 2 else MENU


FLOW = Flow(
    steps={SYSTEM_UNAVAILABLE: Step(ask_unavailable, handle_unavailable, back=MENU)},
    entries={nlu.ATENDENTE: lambda turn: handoff(turn, "customer_request")},
    menus={"sistema_fora": 3},
)
