"""The pieces every flow is built from: a `Turn`, a `Step`, and how answers are read.

A flow module (`flows/*.py`) declares its states as `Step`s and its entry
points as handlers; the engine (`bot_logic.py`) dispatches between them. This
module sits below both, so that flows and engine share one vocabulary without
importing each other.

A handler reads the customer's answer with `pick`, `yes_no` or its own reader.
An answer that does not fit raises `Invalid`; an answer that could mean two
things raises `Unsure`, and the engine asks the customer which one was meant
instead of guessing (taking the wrong branch is the worst outcome).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import content
import flow_stats
import understanding as nlu
from flow_stats import HANDED_OVER, RESOLVED
from inbound import Incoming
from replies import Reply
from sessions import HUMAN as HUMAN  # re-exported: flows and engine name it here
from sessions import Session

if TYPE_CHECKING:
    from bot_logic import BotLogic
    from records import RecordedRequest

log = logging.getLogger("theo.bot")

# States the engine itself owns; every flow may return them.
# HUMAN (from sessions, which lists them for ops): a person attends; Theo stays silent.
END = "end"  # conversation closed: the session is dropped
CONFIRM = "confirm"  # Theo asked which of two readings the customer meant


class Invalid(Exception):
    """The answer does not fit the current step; `message` says what is expected."""

    def __init__(self, message: str, *, may_jump: bool = True, strike: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.may_jump = may_jump  # False when the text clearly tried to answer the step
        self.strike = strike  # False when the customer is not wrong, just not done yet


class Unsure(Exception):
    """The answer could mean either of `values`: ask `question` with `labels` as options."""

    def __init__(
        self, question: str, labels: list[str], values: list[Any], *, jump: bool = False
    ) -> None:
        super().__init__(question)
        self.question = question
        self.labels = labels
        self.values = values
        self.jump = jump  # the values are intents to start (a request read through a typo)


@dataclass
class Turn:
    """One customer message being handled: the session, the message, the replies."""

    bot: BotLogic
    session: Session
    message: Incoming
    now: datetime
    out: list[Reply] = field(default_factory=list)
    confirmed: Any = None  # the reading the customer picked at a confirmation question
    run_before: dict = field(init=False)  # the flow run as the turn found it (flow_stats)

    def __post_init__(self) -> None:
        self.run_before = dict(self.data.get("run") or {})

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def data(self) -> dict:
        return self.session.data

    @property
    def state(self) -> str:
        return self.session.state

    def say(self, key: str, **values: object) -> None:
        """Queue the sentence `key` as one WhatsApp message."""
        self.out.append(Reply(content.text(key, **values)))

    def record(self, kind: str, details: dict, *, outcome: bool = True) -> RecordedRequest:
        """Record a request under the conversation's protocol (stored before we confirm it).

        The request is the flow's outcome (a handoff hands it over, any other resolves
        it) unless `outcome` is False (a note for the team, the flow goes on).
        """
        request = self.bot.records.record(
            kind, self.data["protocol"], self.message.phone, details, now=self.now
        )
        log.info("recorded %s under protocol %s", kind, self.data["protocol"])
        if kind == "handoff":
            self.bot.metrics.handoffs.inc()
        if outcome:
            flow_stats.mark(self.data, HANDED_OVER if kind == "handoff" else RESOLVED)
        return request

    def resolved(self) -> None:
        """The flow reached its outcome without a request (invoices sent, problem solved)."""
        flow_stats.mark(self.data, RESOLVED)


Handler = Callable[[Turn], str]
Asker = Callable[[Turn], list[Reply]]
Aside = Callable[[Turn], bool]


@dataclass(frozen=True)
class Step:
    """A state: the question it asks, how it reads the answer, where `voltar` leads.

    `free_text`: any text is an answer, so free words start no other flow.
    `person_on_request`: in a free-text step, words asking for a person hand over.
    `answer_in_request`: the words that jumped here may already hold the answer
    (a CPF in "2ª via, cpf 529…"): the step reads them at once.
    `same_question`: states that words naming a flow would lead to and that only
    ask this question again ("não sei o CEP" while Theo asks for the CEP).
    `brief`: a short form of the question, for "alô?" and "???" mid-flow.
    `none_of_these`: what "nenhuma dessas opções" leads to at a menu.
    `takes_media`: an image or document is an answer here (the payment receipt).
    `recall`: words said earlier in the flow ("já reiniciei 3 vezes", "a luz
    vermelha tá piscando") answer this question without asking it.
    """

    ask: Asker
    handle: Handler
    back: str
    free_text: bool = False
    person_on_request: bool = True
    answer_in_request: Callable[[str], bool] | None = None
    same_question: frozenset[str] = frozenset()
    brief: Asker | None = None
    recall: bool = False  # an answer already given earlier in the flow is not asked again
    none_of_these: Handler | None = None  # "nenhuma dessas": where a menu's way out leads
    takes_media: bool = False  # a file (photo, PDF) answers this step; elsewhere only text
    # The next answer records a request: a question asked here gets the step's help
    # (`ajuda.<state>`) and the question again, never another flow half-way.
    holds_on_questions: bool = False


@dataclass(frozen=True)
class Flow:
    """What one flow module contributes: its states and the intents it starts on."""

    steps: dict[str, Step]
    entries: dict[str, Handler] = field(default_factory=dict)
    # The menus (content/messages.toml [menus.<name>]) it shows, with how many options its
    # handlers read: `make check` refuses a menu edited to another size.
    menus: dict[str, int] = field(default_factory=dict)
    # The key each entry intent is counted under in /admin/stats and /metrics; an intent
    # not named here counts under the module's name ("boleto", "support"...).
    stats_keys: dict[str, str] = field(default_factory=dict)
    # Intents answered in passing mid-flow (a short answer): the aside says its answer and
    # returns True, then the engine asks the flow's question again instead of leaving it.
    asides: dict[str, Aside] = field(default_factory=dict)


# --- Questions ------------------------------------------------------------------
def say_text(key: str) -> Asker:
    """An asker for a plain sentence."""
    return lambda turn: [Reply(content.text(key))]


def ask_menu(name: str) -> Asker:
    """An asker for a numbered menu."""
    return lambda turn: [content.menu_reply(name)]


def ask_yes_no(key: str) -> Asker:
    """An asker for a yes/no question."""
    return lambda turn: [content.yes_no_reply(content.text(key))]


def ask_nothing(turn: Turn) -> list[Reply]:
    return []


def ask_short(state: str) -> Asker:
    """The one-line form of a yes/no question (`curta.<state>`), for reminders."""
    return lambda turn: [content.yes_no_reply(content.text(f"curta.{state}"))]


def yes_no_step(state: str, key: str, handle: Handler, *, back: str, recall: bool = False) -> Step:
    """A yes/no question `key`, repeated briefly as `curta.<state>`."""
    return Step(ask_yes_no(key), handle, back=back, brief=ask_short(state), recall=recall)


def goodbye(turn: Turn) -> str:
    """Say goodbye with the protocol and close the conversation."""
    turn.say("geral.despedida", protocolo=turn.data["protocol"])
    return END


# --- Reading answers ------------------------------------------------------------
def choice(turn: Turn, count: int) -> int | None:
    """The option number the customer picked (typed, emoji, tapped, confirmed), or None."""
    if isinstance(turn.confirmed, int) and not isinstance(turn.confirmed, bool):
        return turn.confirmed
    if turn.message.choice_id is not None:
        picked = nlu.parse_choice(turn.message.choice_id, count)
        if picked is not None:
            return picked
    return nlu.parse_choice(turn.text, count)


def expected_choice(count: int) -> str:
    """What to say when the answer is not one of `count` numbered options."""
    if count == 2:
        return content.text("geral.opcao_invalida_duas")
    return content.text("geral.opcao_invalida", total=count)


def pick(turn: Turn, count: int, expected: str = "") -> int:
    """The option number, or Invalid saying `expected` (default: which numbers)."""
    picked = choice(turn, count)
    if picked is None:
        raise Invalid(expected or expected_choice(count))
    return picked
