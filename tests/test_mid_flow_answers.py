"""Mid-flow answers typed the way customers type: seed a state, answer, check the branch.

Tables are in tests/phrasings.py. Each case seeds the session in a state (no
greeting), sends one customer message through the webhook and checks where Theo
went: a state, END (session dropped) or CONFIRM (a one-line confirmation asked
by the state that was answered).
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from phrasings import (
    CONFIRM,
    END,
    PROTOCOL,
    ROWS,
    SALES_NAME,
    SETUP,
    VIA,
    WRONG_TURNS,
)

from conftest import says
from sessions import Session

PLANS = {
    p["id"]: p["name"]
    for p in json.loads((Path(__file__).parents[1] / "data/plans.json").read_text("utf-8"))["plans"]
}
REFUSAL = re.compile(r"\?|\b(nao|pra que|por que|porque|prefiro|quer|quero)\b")


def plain(text: str) -> str:
    """Lowercase without accents, for comparisons."""
    decomposed = unicodedata.normalize("NFKD", str(text).lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def case_id(state: str, text: str) -> str:
    return f"{state}|{plain(text)}"


def rows():
    for state, table in ROWS.items():
        for text, expected, *check in table:
            checks = check[0] if check else ()
            checks = (checks,) if isinstance(checks, str) else checks
            yield pytest.param(state, text, expected, checks, id=case_id(state, text))


def start_in(app, chat, state: str) -> None:
    """Put the customer in `state` (seeded, or reached via earlier messages)."""
    seed_state, messages = VIA.get(state, (state, []))
    data = {"protocol": PROTOCOL, **SETUP[seed_state]}
    app.extensions["theo"].sessions.save(chat.phone, Session(seed_state, dict(data)))
    for message in messages:
        chat.say(message)
    assert chat.state() == state, f"could not reach {state}: got {chat.state()}"


def outcome(app, chat, asked: str) -> str:
    """END, CONFIRM (asked by `asked`), or the session's state."""
    session = app.extensions["theo"].sessions.get(chat.phone)
    if session is None:
        return END
    if session.state == CONFIRM:
        return (
            CONFIRM if session.data.get("confirm", {}).get("state") == asked else "confirm(other)"
        )
    return session.state


def recorded(app) -> list:
    return app.extensions["theo"].records.requests_for_protocol(PROTOCOL)


def verify(app, chat, check: str, reply: str) -> None:
    """One optional check from a row (see phrasings.py)."""
    records = recorded(app)
    kinds = [r.kind for r in records]
    if check.startswith("key:"):
        keys = check[4:].split("|")
        assert any(says(reply, key) for key in keys), f"reply says none of {keys}: {reply!r}"
    elif check.startswith("says:"):
        raise AssertionError(f"{check}: refer to Theo's sentence by key ('key:...'), not wording")
    elif check.startswith("!"):
        assert check[1:] not in kinds, f"{check[1:]} recorded: {records}"
    elif "=" in check:
        key, value = check.split("=")
        session = app.extensions["theo"].sessions.get(chat.phone)
        got = session.data.get(key) if session else None
        assert got == value, f"data[{key!r}] is {got!r}, expected {value!r}"
    else:
        kind, _, detail = check.partition(":")
        found = [r for r in records if r.kind == kind]
        assert found, f"no {kind} recorded (got {kinds})"
        if kind == "visit" and detail:
            period = plain(found[-1].details.get("period", ""))
            other = {"manha": "tarde", "tarde": "manh"}[detail]
            assert detail[:4] in period and other not in period, f"visit period {period!r}"
        elif detail:
            text = json.dumps(found[-1].details, ensure_ascii=False)
            assert detail in text or PLANS[detail] in text, f"{kind} is {text}, expected {detail}"


@pytest.mark.parametrize("state, text, expected, checks", list(rows()))
def test_answer_goes_to_the_expected_step(app, chat, state, text, expected, checks):
    start_in(app, chat, state)
    reply = chat.say(text)
    got = outcome(app, chat, state)
    acceptable = expected if isinstance(expected, tuple) else (expected,)
    assert reply, "Theo stayed silent"
    assert got in acceptable, f"{state} | {text!r}: expected {expected}, got {got}"
    for check in checks:
        try:
            verify(app, chat, check, reply)
        except AssertionError as failure:
            raise AssertionError(f"{state} | {text!r}: check {check}: {failure}") from None
    if state == SALES_NAME:  # a lead's name is never a question or a refusal
        for lead in (r for r in recorded(app) if r.kind == "lead"):
            name = plain(lead.details.get("name", ""))
            assert not REFUSAL.search(name), f"lead recorded with name {name!r}"


@pytest.mark.parametrize(
    "state, text, wrong",
    [pytest.param(s, t, w, id=case_id(s, t)) for s, t, w in WRONG_TURNS],
)
def test_answer_never_takes_the_opposite_branch(app, chat, state, text, wrong):
    start_in(app, chat, state)
    chat.say(text)
    got = outcome(app, chat, state)
    assert got != wrong, f"{state} | {text!r}: went to {got}, the opposite of what was said"
