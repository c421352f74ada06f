"""The satisfaction survey (CSAT_ENABLED): one 1-5 question after a flow Theo resolved.

It takes the place of "Posso ajudar em algo mais?" once per resolved flow. A score
is kept with the flow run (and its protocol) and thanked; anything else is read as
the answer to the closing question, so the survey never traps a customer with a
new request ("e o boleto?") or a goodbye.
"""

from __future__ import annotations

import content
import flow_stats
from conversation import Flow, Step, Turn, choice
from flows.menu import ANYTHING_ELSE, MAIN_MENU, handle_anything_else
from replies import Reply

SURVEY = "survey"
SCORES = len(flow_stats.CSAT_SCORES)


def survey_due(data: dict) -> bool:
    """The flow just resolved and its customer was not asked yet."""
    run = data.get("run")
    return bool(run) and run["outcome"] == flow_stats.RESOLVED and not data.get("surveyed")


def ask_survey(turn: Turn) -> list[Reply]:
    turn.data["surveyed"] = True
    protocol = Reply(content.text("geral.protocolo", protocolo=turn.data["protocol"]))
    return [protocol, content.menu_reply("avaliacao")]


def handle_survey(turn: Turn) -> str:
    """A score 1-5 is kept and thanked; any other message answers "algo mais?"."""
    score = choice(turn, SCORES)
    if score is None:
        turn.session.state = ANYTHING_ELSE  # not asked again: a wrong answer meets the closing
        return handle_anything_else(turn)
    flow_stats.rate(turn.data, score)
    turn.say("avaliacao.agradecimento")
    return ANYTHING_ELSE


FLOW = Flow(
    steps={SURVEY: Step(ask_survey, handle_survey, back=MAIN_MENU)},
    menus={"avaliacao": SCORES},
)
