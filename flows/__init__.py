"""Theo's flows, one module each, gathered into the tables the engine dispatches on.

Each module declares a `FLOW`: its states (`Step`s) and the intents that start
it. Adding a flow means writing its module and listing it here; the engine in
`bot_logic.py` knows no flow by name.
"""

from __future__ import annotations

from conversation import Flow, Handler, Step
from flows import account, attendant, boleto, identify, menu, moving, plan, sales, support, visits

MODULES = (menu, identify, boleto, support, sales, plan, attendant, account, visits, moving)
START = menu.MAIN_MENU  # where a conversation starts and `menu` leads
CLOSING = menu.ANYTHING_ELSE  # "Posso ajudar em algo mais?"
UNAVAILABLE = attendant.SYSTEM_UNAVAILABLE  # the provider's system is out of reach


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


STEPS, ENTRIES = _gather([module.FLOW for module in MODULES])
MENUS = {name: size for module in MODULES for name, size in module.FLOW.menus.items()}
