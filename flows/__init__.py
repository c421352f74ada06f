"""Theo's flows, one module each, gathered into the tables the engine dispatches on.

Each module declares a `FLOW`: its states (`Step`s) and the intents that start
it. Adding a flow means writing its module and listing it here; the engine in
`bot_logic.py` knows no flow by name.
"""

from __future__ import annotations

from conversation import Aside, Flow, Handler, Step
from flows import (
    account,
    attendant,
    billing,
    boleto,
    complaint,
    faq,
    identify,
    menu,
    moving,
    paid,
    plan,
    sales,
    support,
    survey,
    suspension,
    visits,
)

MODULES = (
    menu, identify, boleto, support, sales, plan, attendant, paid, billing,
    faq, suspension, complaint, account, visits, moving, survey,
)  # fmt: skip
START = menu.MAIN_MENU  # where a conversation starts and `menu` leads
CLOSING = menu.ANYTHING_ELSE  # "Posso ajudar em algo mais?"
UNAVAILABLE = attendant.SYSTEM_UNAVAILABLE  # the provider's system is out of reach


def closing_for(data: dict, csat_enabled: bool) -> str:
    """Where a finished flow leads: the satisfaction question once, else "algo mais?"."""
    return survey.SURVEY if csat_enabled and survey.survey_due(data) else CLOSING


def _gather(flows: list[Flow]) -> tuple[dict[str, Step], dict[str, Handler]]:
    """All steps and entries; a state or intent declared twice is a programming error."""
    steps: dict[str, Step] = {}
    entries: dict[str, Handler] = {}
    for flow in flows:
        for name, table in (("state", flow.steps), ("intent", flow.entries)):
            target = steps if name == "state" else entries
            repeated = set(table) & set(target)
            if repeated:
                raise RuntimeError(f"{name} declared by two flows: {sorted(repeated)}")
            target.update(table)  # type: ignore[arg-type]
    return steps, entries


def _stats_keys() -> dict[str, str]:
    """The key each entry intent is counted under: declared by its flow, else the module name."""
    return {
        intent: module.FLOW.stats_keys.get(intent, module.__name__.rsplit(".", 1)[-1])
        for module in MODULES
        for intent in module.FLOW.entries
    }


STEPS, ENTRIES = _gather([module.FLOW for module in MODULES])
STATS_KEYS = _stats_keys()  # entry intent -> flow key of /admin/stats and /metrics
ASIDES: dict[str, Aside] = {
    intent: aside for module in MODULES for intent, aside in module.FLOW.asides.items()
}
MENUS = {name: size for module in MODULES for name, size in module.FLOW.menus.items()}
