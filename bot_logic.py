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
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

import content
import flow_stats
import understanding as nlu
from answers import answers, check_states, recalled
from billing_rules import BillingRules
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
from flow_stats import ABANDONED, HANDED_OVER, FlowRuns
from flows import ASIDES, CLOSING, ENTRIES, START, STATS_KEYS, STEPS, UNAVAILABLE, closing_for
from hours import AttendanceHours, describe_moment
from inbound import Incoming
from metrics import Metrics
from outages import Outage, OutageStore
from privacy import mask_phone, scrub
from records import RecordsStore
from replies import Reply, join_plain
from sessions import Session, SessionStore
from timers import EXPIRY, HANDBACK, REMINDER, Timer, TimerStore
from transactions import one_commit

__all__ = ["CONFIRM", "END", "HUMAN", "BotLogic", "Step", "Turn"]

log = logging.getLogger("theo.bot")

RECALLED_TEXTS = 4  # the customer's last messages in a flow that may answer a later question
# Not mid-flow: no "Ainda está aí?" while the menu or "Posso ajudar em algo mais?" waits.
NO_REMINDER_STATES = frozenset({START, CLOSING, HUMAN})
# What each timer says (with {protocolo}); checks.py finds keys kept in *_KEY constants.
REMINDER_KEY = "inatividade.ainda_ai"
EXPIRY_KEY = "inatividade.expirou"
HANDBACK_KEY = "inatividade.atendente_sumiu"


ENGINE_STEPS: dict[str, Step] = {
    HUMAN: Step(ask_nothing, lambda turn: HUMAN, back=HUMAN),
    END: Step(ask_nothing, lambda turn: END, back=END),
}


# Changes when a deploy adds, renames or removes a state: older sessions are checked on load.
FLOWS_VERSION = hashlib.sha256(" ".join(sorted(STEPS)).encode()).hexdigest()[:12]
STATE_KEYS = ("retry_state", "reopen")  # session data that names a state
# States that are no flow's question: a run stopped "at" them stopped at its last question.
NOT_A_STEP = frozenset({START, CLOSING, HUMAN, END, CONFIRM})


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
        outages: OutageStore,
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
        timers: TimerStore | None = None,
        session_ttl_seconds: float = 1800,
        idle_reminder_seconds: float = 0,
        runs: FlowRuns | None = None,
        metrics: Metrics | None = None,
        csat_enabled: bool = False,
        billing: BillingRules | None = None,
    ) -> None:
        self.sessions = sessions
        self.business = business
        self.records = records
        self.hours = hours
        self.outages = outages
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
        # Due messages after each turn (timers.py): reminder, goodbye at expiry, hand-back.
        self.timers = timers
        self.session_ttl = session_ttl_seconds
        self.idle_reminder = idle_reminder_seconds
        # How each flow run ends (/admin/stats), on the records' database by default.
        self.runs = runs if runs is not None else FlowRuns(records.engine)
        self.metrics = metrics if metrics is not None else Metrics()
        self.csat_enabled = csat_enabled
        self.billing = billing or BillingRules()  # due days, unlock and clearing times
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
        if message.kind != "takeover" and session is not None and self._human_over(session):
            log.info("attendant quiet too long: Theo takes %s back", mask_phone(message.phone))
            session = None  # a new conversation, as after any expiry
        if message.kind == "takeover":
            replies = self._take_over(message, session, now)
            if deliver is not None and replies:
                deliver(replies)
            return replies
        # A new protocol is committed on its own: the turn's transaction then writes only
        # at its end, and never holds SQLite's write lock while the ERP is asked something.
        protocol = self.records.new_protocol(message.phone, now) if session is None else ""
        # The turn's writes (requests, replies, timers, the flow's run) are committed
        # together; the session moves on only once they are stored.
        with one_commit(self.records.engine):
            if session is None:
                turn = Turn(self, Session(state=START, data={"protocol": protocol}), message, now)
                self._guarded(turn, self._greet)
            else:
                turn = Turn(self, session, message, now)
                self._upgrade(turn)
                self._guarded(turn, self._advance)
            replies = join_plain(turn.out)
            if deliver is not None:
                deliver(replies)
            self._write_turn(turn)
        self._keep_session(turn)
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
            turn.record("system_unavailable", details, outcome=False)
            turn.data["retry_state"] = before
            self._enter(turn, UNAVAILABLE)

    def with_human(self, phone: str) -> bool:
        """True while a person attends `phone` (Theo must not say anything)."""
        session = self.sessions.get(phone)
        return session is not None and session.state == HUMAN and not self._human_over(session)

    def _human_over(self, session: Session) -> bool:
        """A person held the chat but wrote nothing for the hand-back time: Theo is back.

        Only the attendant's messages (and the handoff) set `human_until`: a customer
        writing "alô??" to an absent team must not keep Theo silent forever.
        """
        until = session.data.get("human_until")
        return session.state == HUMAN and until is not None and self.clock() >= until

    def step(self, state: str) -> Step:
        """The step of `state` (flows call it to hand a message to another step)."""
        return self.steps[state]

    def jump(self, turn: Turn, intent: str) -> str:
        """Start the flow `intent` names; answer it at once if the text already holds the answer."""
        if turn.state in (START, CLOSING):
            # A new subject: only the words that started it may answer its questions.
            turn.data["said"] = [scrub(turn.text)[:300]]
        flow_stats.start(turn.data, STATS_KEYS[intent])
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
            intro = content.text("geral.saudacao", protocolo=protocol) + self._outage_note(turn)
            if turn.message.kind != "text":
                intro += "\n\n" + content.text("geral.so_texto_inicio")
            turn.out.append(content.menu_reply("principal", intro=intro))
            return
        turn.say("geral.saudacao_direta", protocolo=protocol)
        self._remember_second_request(turn, intent)
        self._enter(turn, self._jump_safely(turn, intent, words=turn.message.choice_id is None))

    def _outage_note(self, turn: Turn) -> str:
        """The outage this phone was told about, or the one over its customer's address.

        A phone on record is matched by the installation CEP; it is then counted as told
        (it gets the "service is back" message). Only the area is said: no account data.
        """
        phone, active = turn.message.phone, self.outages.listed(only_active=True)
        if not active:
            return ""  # the usual greeting: one query, no ERP lookup
        key, outage = "massiva.saudacao", self.outages.told_about(phone, turn.now, active)
        if outage is None:
            key, outage = "massiva.saudacao_area", self.outage_for_phone(phone, turn.now, active)
            if outage is None:
                return ""
            self.outages.note_told(outage, phone, turn.now)
        forecast = describe_moment(outage.expected_end.astimezone(turn.now.tzinfo), turn.now)
        return "\n\n" + content.text(key, mensagem=outage.message, previsao=forecast)

    def outage_for_phone(
        self, phone: str, now: datetime, active: list[Outage] | None = None
    ) -> Outage | None:
        """An outage over the address of a customer with this phone on record, if any.

        `active`: the active outages, when the caller has just listed them.
        """
        active = self.outages.listed(only_active=True) if active is None else active
        if not active:
            return None  # no outage at all: spare the ERP a phone lookup on every greeting
        try:
            customers = self.business.customers_by_phone(phone)
        except BackendUnavailable:
            return None  # a greeting never waits on the provider's system
        for customer in customers:
            outage = self.outages.for_cep(customer.cep, now, active)
            if outage is not None:
                return outage
        return None

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
        if turn.message.kind != "text" and not step.takes_media:
            turn.say("geral.so_texto")
            return self._again(turn)
        if turn.message.kind != "text":
            return self._answer(turn, step)
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
        if self._asks_back(turn, step):
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
        if intent not in ASIDES and step.holds_on_questions and self._asks_back(turn, step):
            return None  # _fallback answers the question with the step's help
        if intent in ASIDES and turn.state not in (START, CLOSING) and ASIDES[intent](turn):
            return self._again(turn)  # answered in passing: the flow's question again
        state, said_so_far, run = turn.state, len(turn.out), turn.data.get("run")
        target = self._jump_safely(turn, intent)
        if target in step.same_question or target == state:
            del turn.out[said_so_far:]  # the words only name the flow we are already in
            turn.session.state = state
            turn.data["run"] = run
            return None
        self._remember_second_request(turn, intent)
        return target

    def _asks_back(self, turn: Turn, step: Step) -> bool:
        """A question the step's help answers ("o que é isso?"); at a step about to record
        a request (`holds_on_questions`) any message ending in "?" counts, so it is not left.
        """
        if not content.has(f"ajuda.{turn.state}"):
            return False
        if answers().says("pergunta", turn.text):
            return True
        return step.holds_on_questions and turn.text.rstrip().endswith("?")

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
        if state == CLOSING:
            state = closing_for(turn.data, self.csat_enabled)  # maybe the CSAT question first
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
        with one_commit(self.records.engine):
            self._write_turn(turn)
        self._keep_session(turn)

    def _write_turn(self, turn: Turn) -> None:
        """The turn's stats and timers, in the turn's transaction."""
        turn.session.version = FLOWS_VERSION
        if turn.state == HUMAN:
            # Handed over in this turn: the silence counts from now (see _human_over).
            turn.data.setdefault("human_until", self.clock() + (turn.session.ttl or self.human_ttl))
        else:
            turn.data.pop("human_until", None)
        self._track_run(turn)
        # The timers carry this stamp; the session is saved with it (see _timer_message).
        turn.session.updated_at = self.clock()
        self._plan_timers(turn.message.phone, None if turn.state == END else turn.session)

    def _keep_session(self, turn: Turn) -> None:
        """Once the turn's writes are committed: the conversation moves on (or ends)."""
        if turn.state == END:
            self.sessions.drop(turn.message.phone)
        else:
            self.sessions.save(turn.message.phone, turn.session, at=turn.session.updated_at)

    # -- timers: what is due when the customer goes quiet --
    def _plan_timers(self, phone: str, session: Session | None) -> None:
        """Replace `phone`'s timers with those its conversation has now (none once ended)."""
        if self.timers is not None:
            self.timers.replace(phone, self._timers_for(session))

    def _timers_for(self, session: Session | None) -> list[Timer]:
        if session is None:
            return []
        protocol, mark = session.data.get("protocol", ""), repr(session.updated_at)

        def at(seconds: float) -> datetime:
            return datetime.fromtimestamp(seconds, UTC)

        if session.state == HUMAN:
            return [Timer(HANDBACK, at(session.data["human_until"]), protocol, mark)]
        ttl = session.ttl or self.session_ttl
        due = [Timer(EXPIRY, at(session.updated_at + ttl), protocol, mark)]
        if 0 < self.idle_reminder < ttl and session.state not in NO_REMINDER_STATES:
            reminder = at(session.updated_at + self.idle_reminder)
            due.append(Timer(REMINDER, reminder, protocol, mark))
        return due

    def on_timer(self, timer: Timer, *, deliver: Callable[[list[Reply]], None]) -> list[Reply]:
        """A timer is due: say what it is for, if the conversation is still where it was.

        The caller holds the phone's lock. Any turn since the timer was set replaced it,
        so a missing session means it expired untouched (a goodbye is due), not ended.
        """
        session = self.sessions.get(timer.phone)
        key = self._timer_message(timer, session)
        if key is None:
            log.info("%s timer for %s no longer applies", timer.kind, mask_phone(timer.phone))
            return []
        replies = [Reply(content.text(key, protocolo=timer.protocol))]
        deliver(replies)
        if timer.kind != REMINDER:
            self.sessions.drop(timer.phone)
            self._end_runs(timer.protocol)
        log.info("%s timer fired for %s", timer.kind, mask_phone(timer.phone))
        return replies

    def _end_runs(self, protocol: str) -> None:
        """The conversation ended by itself: a flow left half-way is abandoned (stats)."""
        now = datetime.fromtimestamp(self.clock(), self.timezone)
        try:
            self.runs.session_ended(protocol, now)
        except SQLAlchemyError as error:
            log.warning("flow runs not closed: %s", type(error).__name__)

    def _timer_message(self, timer: Timer, session: Session | None) -> str | None:
        """The sentence a due timer says, or None when the conversation moved on."""
        if timer.kind == HANDBACK:
            if session is None or self._human_over(session):
                return HANDBACK_KEY
            return None
        if session is not None and (
            session.state == HUMAN or repr(session.updated_at) != timer.mark
        ):
            return None  # a person holds it, or the customer wrote since
        if timer.kind == EXPIRY:
            return EXPIRY_KEY
        return REMINDER_KEY if session is not None else None

    def _track_run(self, turn: Turn) -> None:
        """Note the run's question, or that `sair` ended it, and store what changed."""
        if turn.state not in NOT_A_STEP:
            flow_stats.note_step(turn.data, turn.state)
        if turn.state == END:
            flow_stats.mark(turn.data, ABANDONED, only_open=True)
        self._flush_run(turn.data, turn.run_before, turn.now)

    def _flush_run(self, data: dict, before: dict, now: datetime) -> None:
        """One write at most; the stats failing never costs the customer the conversation."""
        run = data.get("run")
        try:
            change = self.runs.flush(data["protocol"], before, run, now)
        except SQLAlchemyError as error:
            log.warning("flow run not stored: %s", type(error).__name__)
            return
        if change.started:
            self.metrics.count_flow(change.started, started=True)
        if change.completed:
            self.metrics.count_flow(run["flow"], outcome=change.completed)

    def _take_over(self, message: Incoming, session: Session | None, now: datetime) -> list[Reply]:
        """A person typed on the company phone: Theo steps back in this chat (or, told
        `#theo`, takes it back and offers the menu)."""
        if session is not None and self._hands_back(message.text):
            return self._take_back(message, session, now)
        with one_commit(self.records.engine):
            if session is None:
                session = Session(
                    state=HUMAN, data={"protocol": self.records.new_protocol(message.phone, now)}
                )
            run_before = dict(session.data.get("run") or {})
            flow_stats.mark(session.data, HANDED_OVER, only_open=True)
            self._flush_run(session.data, run_before, now)
            session.state = HUMAN
            # Never shorten a longer silence (e.g. an out-of-hours handoff waiting to reopen).
            session.ttl = max(session.ttl or 0, self.human_ttl)
            # Each attendant message keeps the silence alive for the whole hand-back time.
            until = max(session.data.get("human_until", 0), self.clock() + self.human_ttl)
            session.data["human_until"] = until
            session.updated_at = self.clock()
            self._plan_timers(message.phone, session)
        self.sessions.save(message.phone, session, at=session.updated_at)
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
