"""6. Falar com um atendente: say the hours, record the handoff, then stay silent.

Any flow hands over through `handoff`; the engine keeps Theo silent while the
session is in HUMAN, until the customer writes `menu` or the silence expires.
"""

from __future__ import annotations

import understanding as nlu
from conversation import HUMAN, Flow, Turn
from hours import describe_moment


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


FLOW = Flow(steps={}, entries={nlu.ATENDENTE: lambda turn: handoff(turn, "customer_request")})
