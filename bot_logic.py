"""Theo's conversation engine: dispatch a message to the step of the current state.

Modelled on python-telegram-bot's ConversationHandler: every state maps to a
`Step` whose `handle` reads the customer's answer and returns the next state;
the engine then asks that state's question. The steps and the intents that
start them come from the flow modules (`flows/`); this module knows none of
them by name. What it declares once, for every flow:

- global commands (`menu`, `voltar`, `sair`) and a person asked for by name;
- the fallback when an answer does not fit: free words that name another
  request start it; a greeting or "???" gets the question again, briefly; a
  question asked back gets the step's help; otherwise a strike, and after
  three strikes the attendant is offered;
- confirmation: a step unsure of a reading raises `Unsure`, and the engine
  asks the customer which reading was meant (no strike);
- silence while a person attends (HUMAN), and the end of a conversation.

`BotLogic.handle` takes one message and returns the replies. It does no HTTP:
sending is the caller's job.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import content
import understanding as nlu
from answers import answers, check_states, recalled
from business_data import BackendUnavailable, BusinessData
from conversation import (
    CONFIRM,
    END,
    HUMAN,
    Invalid,
    Step,
    Turn,
    Unsure,
    ask_nothing,
    choice,
    goodbye,
)
from documents import fold
from flows import ASIDES, CLOSING, ENTRIES, START, STEPS, UNAVAILABLE
from hours import AttendanceHours
from inbound import Incoming
from privacy import mask_phone, scrub
from records import RecordsStore
from replies import Reply, join_plain
from sessions import Session, SessionStore

__all__ = ["CONFIRM", "END", "HUMAN", "BotLogic", "Step", "Turn"]

log = logging.getLogger("theo.bot")

RECALLED_TEXTS = 4  # the customer's last messages in a flow that may answer a later question


ENGINE_STEPS: dict[str, Step] = {
    HUMAN: Step(ask_nothing, lambda turn: HUMAN, back=HUMAN),
    END: Step(ask_nothing, lambda turn: END, back=END),
}


# Changes when a deploy adds, renames or removes a state: older sessions are checked on load.
FLOWS_VERSION = hashlib.sha256(" ".join(sorted(STEPS)).encode()).hexdigest()[:12]
STATE_KEYS = ("retry_state", "reopen")  # session data that names a state


def _family(intent: str) -> str:
    """The main-menu option an intent belongs to (all support problems are one)."""
    if intent in nlu.SUPPORT_MENU_INTENTS:
        return nlu.SUPORTE
    if intent == nlu.COBERTURA:
        return nlu.CONTRATAR  # coverage leads on to contracting: one subject
    return nlu.PLANO if intent in nlu.PLAN_MENU_INTENTS else intent


class BotLogic:
    """Theo's state machine, keyed by phone; takes a message, returns the replies."""

    def __init__(
        self,
        sessions: SessionStore,
        business: BusinessData,
        records: RecordsStore,
        hours: AttendanceHours,
        *,
        clock: Callable[[], float] = time.time,
        timezone: str = "America/Sao_Paulo",
        max_invalid_attempts: int = 3,
        request_deadline_days: int = 2,
        human_ttl_seconds: float = 4 * 3600,
        lookups_per_day: int = 5,
        identity_failures_per_day: int = 3,
        identity_key: bytes = b"theo",
        handback_command: str = "#theo",
    ) -> None:
        self.sessions = sessions
        self.business = business
        self.records = records
        self.hours = hours
        self.clock = clock
        self.timezone = ZoneInfo(timezone)
        self.max_invalid_attempts = max_invalid_attempts
        self.request_deadline_days = request_deadline_days
        self.human_ttl = human_ttl_seconds
        # LGPD limits (flows/identify.py); the key hashes documents kept for counting.
        self.lookups_per_day = lookups_per_day
        self.identity_failures_per_day = identity_failures_per_day
        self.identity_key = identity_key
        self.handback_command = handback_command
        # CONFIRM's question is asked when a step raises Unsure; its answer goes back there.
        confirm = Step(ask_nothing, self._confirmed, back=START)
        self.steps = {**STEPS, **ENGINE_STEPS, CONFIRM: confirm}
        check_states(set(self.steps))  # content/answers.toml names only real questions

    def handle(
        self, message: Incoming, *, deliver: Callable[[list[Reply]], None] | None = None
    ) -> list[Reply]:
        """Advance the conversation of `message.phone` and return Theo's replies.

        `deliver` stores the replies before the new state is saved: if storing
        fails, the conversation stays where it was and the message can be redone.
        """
        now = datetime.fromtimestamp(self.clock(), self.timezone)
        session = self.sessions.get(message.phone)
        if message.kind == "takeover":
            replies = self._take_over(message, session, now)
            if deliver is not None and replies:
                deliver(replies)
            return replies
        if session is None:
            protocol = self.records.new_protocol(message.phone, now)
            turn = Turn(self, Session(state=START, data={"protocol": protocol}), message, now)
            self._guarded(turn, self._greet)
        else:
            turn = Turn(self, session, message, now)
            self._upgrade(turn)
            self._guarded(turn, self._advance)
        replies = join_plain(turn.out)
        if deliver is not None:
            deliver(replies)
        self._store(turn)
        return replies

    def _guarded(self, turn: Turn, advance: Callable[[Turn], None]) -> None:
        """Advance the turn; the provider's system out of reach is said, recorded, and offered."""
        before = turn.state
        try:
            advance(turn)
        except BackendUnavailable as problem:
            log.warning("provider's system unavailable at %s: %s", before, problem)
            del turn.out[:]  # half an answer would mislead: say only what happened
            turn.session.state = before
            details = {"state": before, "request": scrub(turn.text)[:300]}
            turn.record("system_unavailable", details)
            turn.data["retry_state"] = before
            self._enter(turn, UNAVAILABLE)

    def with_human(self, phone: str) -> bool:
        """True while a person attends `phone` (Theo must not say anything)."""
        session = self.sessions.get(phone)
        return session is not None and session.state == HUMAN

    def step(self, state: str) -> Step:
        """The step of `state` (flows call it to hand a message to another step)."""
        return self.steps[state]

    def jump(self, turn: Turn, intent: str) -> str:
        """Start the flow `intent` names; answer it at once if the text already holds the answer."""
        if turn.state in (START, CLOSING):
            # A new subject: only the words that started it may answer its questions.
            turn.data["said"] = [scrub(turn.text)[:300]]
        state = ENTRIES[intent](turn)
        step = self.steps[state]
        if step.answer_in_request is not None and step.answer_in_request(turn.text):
            turn.session.state = state
            try:
                return step.handle(turn)
            except Invalid as problem:
                turn.out.append(Reply(problem.message))
            except Unsure as unsure:
                return self._ask_to_confirm(turn, unsure)
        return state

    def jump_to_words(self, turn: Turn, intent: str) -> str:
        """Start the request free words name; one read through a corrected typo is confirmed."""
        if nlu.intent_is_guessed(turn.text):
            subject = content.text(f"assuntos.{intent}")
            raise Unsure(
                content.text("geral.confirmar_assunto", assunto=subject),
                [content.text("geral.sim"), content.text("geral.nao")],
                [intent, ""],
                jump=True,
            )
        return self.jump(turn, intent)

    # -- a new conversation --
    def _greet(self, turn: Turn) -> None:
        protocol = turn.data["protocol"]
        log.info("new conversation %s for %s", protocol, mask_phone(turn.message.phone))
        intent = self._first_request(turn)
        if intent is None:
            intro = content.text("geral.saudacao", protocolo=protocol)
            if turn.message.kind != "text":
                intro += "\n\n" + content.text("geral.so_texto_inicio")
            turn.out.append(content.menu_reply("principal", intro=intro))
            return
        turn.say("geral.saudacao_direta", protocolo=protocol)
        self._remember_second_request(turn, intent)
        self._enter(turn, self._jump_safely(turn, intent, words=turn.message.choice_id is None))

    def _first_request(self, turn: Turn) -> str | None:
        """What the first message asks: words, a main-menu number, or a tap on an old menu."""
        if turn.message.kind != "text" or nlu.detect_command(turn.text):
            return None
        if turn.message.choice_id is None:
            picked = nlu.parse_choice(turn.text, len(nlu.MAIN_MENU_INTENTS))
            if picked is not None:
                return nlu.MAIN_MENU_INTENTS[picked - 1]
        return nlu.detect_intent(turn.text)  # a tap's title names its option ("Internet lenta")

    def _jump_safely(self, turn: Turn, intent: str, *, words: bool = True) -> str:
        try:
            return self.jump_to_words(turn, intent) if words else self.jump(turn, intent)
        except Unsure as unsure:
            return self._ask_to_confirm(turn, unsure)

    # -- an ongoing conversation --
    def _advance(self, turn: Turn) -> None:
        state = turn.state
        if state == HUMAN:
            if turn.message.kind == "text" and nlu.detect_command(turn.text) == nlu.CMD_MENU:
                turn.session.ttl = None  # back with Theo: the usual expiry again
                self._enter(turn, START)
            return  # a person is attending: Theo stays silent
        step = self.steps.get(state)
        if step is None:
            log.warning("unknown state %r: back to the main menu", state)
            self._enter(turn, START)
            return
        if turn.message.kind == "text":
            self._keep_said(turn)
        self._enter(turn, self._next_state(turn, step))

    def _keep_said(self, turn: Turn) -> None:
        said = turn.data.setdefault("said", [])
        said.append(scrub(turn.text)[:300])
        del said[:-RECALLED_TEXTS]

    def _next_state(self, turn: Turn, step: Step) -> str:
        if turn.message.kind != "text":
            turn.say("geral.so_texto")
            return self._again(turn)
        command = nlu.detect_command(turn.text)
        if command == nlu.CMD_MENU:
            turn.data.pop("invalid", None)
            return START
        if command == nlu.CMD_BACK:
            return turn.data.pop("confirm", {}).get("state", step.back)
        if command == nlu.CMD_EXIT:
            return goodbye(turn)
        if step.free_text and step.person_on_request and self._asks_for_person(turn):
            return self.jump(turn, nlu.ATENDENTE)  # not a name, a reason or a description
        return self._answer(turn, step)

    def _asks_for_person(self, turn: Turn) -> bool:
        return nlu.detect_intent(turn.text) == nlu.ATENDENTE

    def _answer(self, turn: Turn, step: Step) -> str:
        """Let the step read the answer; Unsure asks to confirm, Invalid falls back."""
        try:
            return step.handle(turn)
        except Unsure as unsure:
            return self._ask_to_confirm(turn, unsure)
        except Invalid as problem:
            return self._fallback(turn, step, problem)

    # -- confirmation of an unsure reading --
    def _ask_to_confirm(self, turn: Turn, unsure: Unsure) -> str:
        """Ask which reading was meant; the answer goes back to the step that was unsure."""
        turn.data["confirm"] = {"state": turn.state, "values": unsure.values, "jump": unsure.jump}
        log.info("unsure reading at %s: asking to confirm", turn.state)
        turn.out.append(content.choice_reply(unsure.question, unsure.labels, style="buttons"))
        turn.session.state = CONFIRM
        return CONFIRM

    def _confirmed(self, turn: Turn) -> str:
        """The customer's pick at a confirmation, or a fresh answer to the original question."""
        pending = turn.data.pop("confirm", {"state": START, "values": []})
        values = pending["values"]
        turn.session.state = pending["state"]
        picked = choice(turn, len(values))
        yes_no = pending.get("jump") or values == [True, False]
        if picked is None and yes_no and answers().plain_answer(turn.text):
            picked = 1 if nlu.parse_yes_no(turn.text) else 2
        # Anything else is a fresh answer to the question itself ("na verdade não voltou").
        if pending.get("jump") and picked is not None:
            return self._confirmed_request(turn, values[picked - 1])
        if picked is not None:
            turn.confirmed = values[picked - 1]
        return self._answer(turn, self.steps[turn.state])

    def _confirmed_request(self, turn: Turn, intent: str) -> str:
        """Yes: start the request read through a typo; no: back to the question."""
        if intent:
            return self.jump(turn, intent)
        turn.say("geral.entao_nao")
        return self._again(turn)

    # -- answers that do not fit --
    def _fallback(self, turn: Turn, step: Step, problem: Invalid) -> str:
        state = turn.state
        target = self._jump_on_words(turn, step, problem)
        if target is not None:
            return target
        if not problem.strike:
            return self._say_and_ask_again(turn, problem.message)
        if answers().every_clause("desistir", turn.text):
            turn.say("geral.tudo_bem")  # "ah tá, esquece": the request is dropped, not wrong
            return CLOSING
        if step.none_of_these is not None and answers().says("nenhuma", turn.text):
            return step.none_of_these(turn)
        if answers().says("chamado", turn.text):
            turn.say("geral.estou_aqui")  # "alô?", "???": not a wrong answer, just waiting
            return self._again(turn)
        if answers().says("pergunta", turn.text) and content.has(f"ajuda.{state}"):
            turn.say(f"ajuda.{state}")  # a question asked back gets its answer, then ours again
            return self._again(turn)
        strikes = turn.data.get("invalid", 0) + 1
        if strikes >= self.max_invalid_attempts:
            turn.data.pop("invalid", None)
            turn.say("geral.muitas_tentativas")
            return START
        turn.data["invalid"] = strikes
        return self._say_and_ask_again(turn, problem.message)

    def _say_and_ask_again(self, turn: Turn, message: str) -> str:
        """Say what is expected, then the question briefly, unless the message already asks it."""
        turn.out.append(Reply(message))
        # A help that ends with its own question (the speed test's) is not followed by ours.
        turn.data["brief"] = None if message.rstrip().endswith("?") else True
        return turn.state

    def _jump_on_words(self, turn: Turn, step: Step, problem: Invalid) -> str | None:
        """Free words naming another request start it (not those naming this question)."""
        if not problem.may_jump or step.free_text:
            return None
        intent = nlu.detect_intent(turn.text)
        if intent is None:
            return None
        if intent in ASIDES and turn.state not in (START, CLOSING) and ASIDES[intent](turn):
            return self._again(turn)  # answered in passing: the flow's question again
        state, said_so_far = turn.state, len(turn.out)
        target = self._jump_safely(turn, intent)
        if target in step.same_question or target == state:
            del turn.out[said_so_far:]  # the words only name the flow we are already in
            turn.session.state = state
            return None
        self._remember_second_request(turn, intent)
        return target

    def _again(self, turn: Turn) -> str:
        """Stay in the current state; ask its short question next instead of the full one."""
        turn.data["brief"] = True
        return turn.state

    def _remember_second_request(self, turn: Turn, intent: str) -> None:
        """Keep a second request of the same message, to offer it when this flow ends."""
        for clause in answers().clauses(turn.text):
            for part in answers().split("outro_pedido", clause):
                if answers().says("negado", part):
                    continue  # "não é boleto não": not a request
                other = nlu.detect_intent(part)
                if other is not None and _family(other) != _family(intent):
                    turn.data["pending"] = other
                    return

    # -- asking the next question --
    def _enter(self, turn: Turn, state: str) -> None:
        turn.confirmed = None  # a confirmed reading answers one question only
        if state != turn.state:
            turn.data.pop("invalid", None)
        turn.session.state = state
        step = self.steps[state]
        brief = turn.data.pop("brief", False)
        if step.recall and self._recall(turn, state, step):
            return
        if brief is None:
            return  # the last message already asked the question
        asker = step.brief if brief and step.brief is not None else step.ask
        turn.out.extend(asker(turn))

    def _recall(self, turn: Turn, state: str, step: Step) -> bool:
        """Answer the question from what the customer already said in this flow."""
        answer = recalled(state, turn.data.get("said", []))
        if answer is None:
            return False
        turn.say("geral.ja_disse", resposta=content.text(f"lembrado.{state}.{str(answer).lower()}"))
        turn.confirmed = answer
        self._enter(turn, self._answer(turn, step))
        return True

    def _upgrade(self, turn: Turn) -> None:
        """A session from an older deploy: drop what names states that no longer exist."""
        session = turn.session
        if session.version == FLOWS_VERSION:
            return
        for key in STATE_KEYS:
            if turn.data.get(key) not in (None, *self.steps):
                turn.data.pop(key)
        if turn.data.get("confirm", {}).get("state") not in (None, *self.steps):
            turn.data.pop("confirm")
            session.state = START
        if session.state not in self.steps:
            log.warning("state %r of an older version is gone: back to the menu", session.state)
            turn.say("geral.atualizado")
            session.state = START
        session.version = FLOWS_VERSION

    def _store(self, turn: Turn) -> None:
        turn.session.version = FLOWS_VERSION
        if turn.state == END:
            self.sessions.drop(turn.message.phone)
        else:
            self.sessions.save(turn.message.phone, turn.session)

    def _take_over(self, message: Incoming, session: Session | None, now: datetime) -> list[Reply]:
        """A person typed on the company phone: Theo steps back in this chat (or, told
        `#theo`, takes it back and offers the menu)."""
        if session is not None and self._hands_back(message.text):
            return self._take_back(message, session, now)
        if session is None:
            session = Session(
                state=HUMAN, data={"protocol": self.records.new_protocol(message.phone, now)}
            )
        session.state = HUMAN
        # Never shorten a longer silence (e.g. an out-of-hours handoff waiting for reopening).
        session.ttl = max(session.ttl or 0, self.human_ttl)
        self.sessions.save(message.phone, session)
        log.info("attendant took over %s", mask_phone(message.phone))
        return []  # nothing to say: a person is talking

    def _hands_back(self, typed: str) -> bool:
        """The attendant's message starts with the hand-back command (case and accents aside)."""
        words = fold(typed).split()
        return bool(words) and words[0] == fold(self.handback_command)

    def _take_back(self, message: Incoming, session: Session, now: datetime) -> list[Reply]:
        turn = Turn(self, session, message, now)
        turn.session.ttl = None  # back with Theo: the usual expiry again
        intro = content.text("atendente.devolvido", protocolo=turn.data["protocol"])
        turn.out.append(content.menu_reply("principal", intro=intro))
        turn.session.state = START
        self._store(turn)
        log.info("attendant handed %s back to Theo", mask_phone(message.phone))
        return turn.out
