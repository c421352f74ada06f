"""How Theo reads the answer to one question, with how sure it is of the reading.

The words of each question live in `content/answers.toml`, under the name of
the state that asks it; this module holds the algorithm only:

- a number, a tapped option or a confirmed reading is certain;
- each hint found in the message counts for its meaning, or for the opposite
  when a negation governs it ("nenhuma acesa em vermelho" is "no red light",
  "a vermelha não apaga" is "red light");
- the usual yes/no words count where no hint explains them;
- readings that all agree are taken; readings that disagree raise `Unsure`,
  and the engine asks the customer which one was meant.

A customer who says they are still doing what was asked ("peraí, vou fazer")
is told Theo waits; one who cannot answer gets the question's own help.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import content
import understanding as nlu
from conversation import Invalid, Turn, Unsure, expected_choice

ANSWERS_FILE = Path(__file__).resolve().parent / "content" / "answers.toml"
GENERAL = "geral"
ALL_INTENTS = frozenset(
    nlu.MAIN_MENU_INTENTS + nlu.SUPPORT_MENU_INTENTS + nlu.PLAN_MENU_INTENTS
)  # the table of words every question shares
# How many words before a hint a negation still governs it, inside one clause.
NEGATION_REACH = 3
NEGATORS = frozenset({"nao", "nem", "nenhum", "nenhuma", "nunca", "jamais", "sem"})
# Clauses: a negation or a hint never reaches across these.
PUNCTUATION_BREAK = re.compile(r"[,;:!?\n()]+|(?<!\d)\.|\.(?!\d)")
CONTRAST_BREAK = re.compile(r"\b(?:mas|porem|so que|entretanto|contudo)\b")


class AnswersError(ValueError):
    """`content/answers.toml` is unreadable or names something that does not exist."""


@dataclass(frozen=True)
class QuestionWords:
    """The words that answer one question (see `content/answers.toml`)."""

    state: str
    yes: tuple[re.Pattern[str], ...] = ()
    no: tuple[re.Pattern[str], ...] = ()
    sure_yes: tuple[re.Pattern[str], ...] = ()
    sure_no: tuple[re.Pattern[str], ...] = ()
    options: dict[int, tuple[re.Pattern[str], ...]] | None = None
    cannot_answer: tuple[re.Pattern[str], ...] = ()
    recall_yes: tuple[re.Pattern[str], ...] = ()
    recall_no: tuple[re.Pattern[str], ...] = ()
    cannot_answer_key: str = ""
    invalid_key: str = ""
    own_intents: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Answers:
    """Every question's words, and the words all questions share."""

    questions: dict[str, QuestionWords]
    general: dict[str, tuple[re.Pattern[str], ...]]

    def words(self, state: str) -> QuestionWords:
        return self.questions.get(state) or QuestionWords(state)

    def says(self, kind: str, text: str) -> bool:
        """Whether `text` matches one of the shared phrases of `kind` (e.g. "esperar")."""
        said = nlu.normalize(text)
        return any(pattern.search(said) for pattern in self.general.get(kind, ()))


# --- Loading ------------------------------------------------------------------------
GENERAL_KINDS = (
    "esperar",
    "pergunta",
    "chamado",
    "nenhuma",
    "sem_documento",
    "continua",
    "encerrar",
    "nao_nome",
    "resposta_no_inicio",
)
NOT_STATES = frozenset({"planos"})  # tables of words that belong to no single question
QUESTION_KEYS = {
    "sim": "yes",
    "nao": "no",
    "sim_certo": "sure_yes",
    "nao_certo": "sure_no",
    "nao_sabe": "cannot_answer",
    "lembrar_sim": "recall_yes",
    "lembrar_nao": "recall_no",
}


@cache
def answers(path: Path = ANSWERS_FILE) -> Answers:
    """The shipped answers file, loaded and checked once."""
    return load_answers(path)


def load_answers(path: Path) -> Answers:
    """Read and check an answers file; AnswersError names the file and line of a problem."""
    raw_text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(raw_text)
    except tomllib.TOMLDecodeError as problem:
        raise AnswersError(f"{path.name}: erro de sintaxe TOML: {problem}") from None
    general = {
        kind: _patterns(path, raw_text, raw.get(GENERAL, {}), kind) for kind in GENERAL_KINDS
    }
    unknown = set(raw.get(GENERAL, {})) - set(GENERAL_KINDS)
    if unknown:
        raise AnswersError(f"{path.name}: [{GENERAL}] tem chaves desconhecidas: {sorted(unknown)}")
    questions = {
        state: _question(path, raw_text, state, table)
        for state, table in raw.items()
        if state != GENERAL
    }
    return Answers(questions, general)


def _question(path: Path, raw_text: str, state: str, table: dict) -> QuestionWords:
    if not isinstance(table, dict):
        raise AnswersError(
            f"{path.name}:{_line_of(raw_text, state)}: [{state}] deve ser uma tabela"
        )
    known = {*QUESTION_KEYS, "opcoes", "mensagem_nao_sabe", "mensagem_invalida", "pedidos"}
    unknown = set(table) - known
    if unknown:
        line = _line_of(raw_text, sorted(unknown)[0])
        raise AnswersError(
            f"{path.name}:{line}: [{state}] tem chaves desconhecidas: {sorted(unknown)}"
        )
    fields: dict[str, Any] = {
        name: _patterns(path, raw_text, table, key) for key, name in QUESTION_KEYS.items()
    }
    if "opcoes" in table:
        fields["options"] = {
            int(number): _patterns(path, raw_text, table["opcoes"], number)
            for number in table["opcoes"]
        }
    _check_intents(path, raw_text, state, table.get("pedidos", []))
    return QuestionWords(
        state=state,
        cannot_answer_key=str(table.get("mensagem_nao_sabe", "")),
        invalid_key=str(table.get("mensagem_invalida", "")),
        own_intents=frozenset(table.get("pedidos", [])),
        **fields,
    )


def _patterns(path: Path, raw_text: str, table: dict, key: str) -> tuple[re.Pattern[str], ...]:
    values = table.get(key, [])
    if isinstance(values, str):
        values = [values]
    compiled = []
    for value in values:
        try:
            compiled.append(re.compile(value))
        except re.error as problem:
            line = _line_of(raw_text, value)
            raise AnswersError(
                f"{path.name}:{line}: expressão inválida {value!r}: {problem}"
            ) from None
    return tuple(compiled)


def _check_intents(path: Path, raw_text: str, state: str, intents: list[str]) -> None:
    for intent in intents:
        if intent not in ALL_INTENTS:
            line = _line_of(raw_text, intent)
            raise AnswersError(f"{path.name}:{line}: [{state}] pedido desconhecido {intent!r}")


def _line_of(raw_text: str, needle: str) -> int:
    """The line where `needle` is written (TOML parsers give no positions)."""
    for number, line in enumerate(raw_text.splitlines(), start=1):
        if needle in line or repr(needle)[1:-1] in line:
            return number
    return 0


def check_states(known_states: set[str], path: Path = ANSWERS_FILE) -> None:
    """Every question named in the answers file must be a state of some flow."""
    unknown = sorted(set(answers(path).questions) - known_states - NOT_STATES)
    if unknown:
        raw_text = path.read_text(encoding="utf-8")
        line = _line_of(raw_text, f"[{unknown[0]}")
        raise AnswersError(f"{path.name}:{line}: pergunta desconhecida {unknown[0]!r}")


# --- Reading --------------------------------------------------------------------------
def _clauses(said_raw: str) -> list[str]:
    """The message cut into clauses, each normalized."""
    clauses = []
    for part in PUNCTUATION_BREAK.split(said_raw):
        clauses += CONTRAST_BREAK.split(nlu.normalize(part))
    return [clause.strip() for clause in clauses if clause.strip()]


def _governed(clause: str, start: int) -> str | None:
    """The negation word that governs the word at `start`, if any."""
    before = clause[:start].split()[-NEGATION_REACH:]
    return next((word for word in reversed(before) if word in NEGATORS), None)


def _evidence(
    clause: str, patterns: tuple[re.Pattern[str], ...], meaning: bool
) -> list[tuple[bool, str]]:
    """Each hint found: its meaning (flipped by a governing negation) and what it covered."""
    found = []
    for pattern in patterns:
        for match in pattern.finditer(clause):
            negation = _governed(clause, match.start())
            covered = match.group(0) + (f" {negation}" if negation else "")
            found.append((meaning != bool(negation), covered))
    return found


def hint_readings(words: QuestionWords, text: str) -> tuple[set[bool], str]:
    """The meanings the question's hints give, and the text they leave unexplained."""
    meanings: set[bool] = set()
    rest = []
    for clause in _clauses(text):
        found = _evidence(clause, words.yes, True) + _evidence(clause, words.no, False)
        leftover = clause
        for meaning, covered in found:
            meanings.add(meaning)
            for word in covered.split():
                leftover = re.sub(rf"\b{re.escape(word)}\b", " ", leftover, count=1)
        rest.append(leftover)
    return meanings, " , ".join(rest)


def _sure_reading(words: QuestionWords, text: str) -> bool | None:
    """A phrase that decides alone ("nem a metade"); None if none, _BOTH if both ways.

    Clauses are joined by " ; " so that a phrase never spans two of them
    ("melhorou, não está mais lenta" is not "melhorou não").
    """
    said = " ; ".join(_clauses(text))
    found = set()
    if any(pattern.search(said) for pattern in words.sure_yes):
        found.add(True)
    if any(pattern.search(said) for pattern in words.sure_no):
        found.add(False)
    return found.pop() if len(found) == 1 else (None if not found else _BOTH)


_BOTH = object()  # sure phrases pointing both ways


def read_hints(words: QuestionWords, text: str) -> tuple[bool | None, bool]:
    """(answer, sure) from the question's own phrases and hints; (None, False) if none."""
    decided = _sure_reading(words, text)
    if decided is _BOTH:
        return True, False
    if decided is not None:
        return bool(decided), True
    meanings, rest = hint_readings(words, text)
    if meanings:
        leading = _leading_answer(rest)  # "não, tá tudo verde": the "não" agrees
        if leading is not None:
            meanings.add(leading)
    if len(meanings) == 1:
        return meanings.pop(), True
    return (True, False) if meanings else (None, False)


def _leading_answer(rest: str) -> bool | None:
    """The yes/no word that opens the message, if any: inside a sentence it negates other words."""
    first = rest.strip(" ,").split(" ")[0] if rest.strip(" ,") else ""
    return (
        nlu.parse_yes_no(first) if first and answers().says("resposta_no_inicio", first) else None
    )


def read_yes_no(words: QuestionWords, text: str) -> tuple[bool | None, bool]:
    """(answer, sure): the question's phrases first, then the usual yes/no words."""
    answer, sure = read_hints(words, text)
    if answer is not None:
        return answer, sure
    usual = nlu.parse_yes_no(text)
    return usual, usual is not None


def yes_no(turn: Turn) -> bool:
    """The customer's yes/no to the current question; Unsure or Invalid otherwise."""
    if isinstance(turn.confirmed, bool):
        return turn.confirmed
    if turn.message.choice_id in ("1", "2"):
        return turn.message.choice_id == "1"
    words = answers().words(turn.state)
    answer, sure = read_hints(words, turn.text)
    if answer is None:
        answer, sure = _plain_answer(turn, words)
    if sure:
        return bool(answer)
    raise Unsure(
        content.text("geral.confirmar", pergunta=content.text(f"curta.{turn.state}")),
        [content.text("geral.sim"), content.text("geral.nao")],
        [True, False],
    )


def _plain_answer(turn: Turn, words: QuestionWords) -> tuple[bool, bool]:
    """No phrase of the question: waiting, cannot answer, another request, or sim/não."""
    said = nlu.normalize(turn.text)
    if answers().says("esperar", turn.text):  # "ok, peraí vou fazer" is not a "yes"
        raise Invalid(content.text("geral.aguardando"), may_jump=False, strike=False)
    if any(pattern.search(said) for pattern in words.cannot_answer):
        raise Invalid(content.text(words.cannot_answer_key), may_jump=False)
    intent = nlu.detect_intent(turn.text)
    invalid = content.text(words.invalid_key or "geral.sim_ou_nao_invalido")
    if intent is not None and intent not in words.own_intents:
        raise Invalid(invalid)  # another request: the engine starts it
    usual = nlu.parse_yes_no(turn.text)
    if usual is None:
        raise Invalid(invalid, may_jump=False)
    return usual, True


def read_option(turn: Turn, titles: Sequence[str]) -> int:
    """The option the customer's words name at the menu `titles` of the current state.

    The options' words are in the state's `opcoes` table (an extra number past
    the titles may stand for "any of them"); a negated option is not picked
    ("de manhã não, só à tarde"). Two options named: Unsure.
    """
    words = answers().words(turn.state)
    picked = options_named(words, turn.text)
    if len(picked) == 1:
        return picked.pop()
    if len(picked) == 2 and all(number <= len(titles) for number in picked):
        first, second = sorted(picked)
        raise Unsure(
            content.text("geral.confirmar_opcao"),
            [titles[first - 1], titles[second - 1]],
            [first, second],
        )
    if any(pattern.search(nlu.normalize(turn.text)) for pattern in words.cannot_answer):
        raise Invalid(content.text(words.cannot_answer_key), may_jump=False)
    raise Invalid(
        content.text(words.invalid_key) if words.invalid_key else expected_choice(len(titles))
    )


def options_named(words: QuestionWords, text: str) -> set[int]:
    """The option numbers whose words occur, not negated, in `text`."""
    named: set[int] = set()
    for clause in _clauses(text):
        for number, patterns in (words.options or {}).items():
            for pattern in patterns:
                if any(not _governed(clause, m.start()) for m in pattern.finditer(clause)):
                    named.add(number)
    return named


def recalled(state: str, texts: list[str]) -> bool | None:
    """The answer to `state`'s question that the customer's earlier `texts` already gave.

    Only the question's `lembrar_*` phrases count ("já reiniciei 3 vezes"), each
    flipped by a negation that governs it; texts that disagree recall nothing.
    """
    words = answers().words(state)
    if not (words.recall_yes or words.recall_no):
        return None
    found: set[bool] = set()
    for text in texts:
        for clause in _clauses(text):
            evidence = _evidence(clause, words.recall_yes, True)
            evidence += _evidence(clause, words.recall_no, False)
            found.update(meaning for meaning, _ in evidence)
    return found.pop() if len(found) == 1 else None
