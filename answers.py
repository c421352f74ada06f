"""How Theo reads the answer to one question, with how sure it is of the reading.

The words of each question live in `content/answers.toml`, under the name of
the state that asks it; this module holds the algorithm only:

- a number, a tapped option or a confirmed reading is certain;
- the message is cut into clauses (punctuation, "mas", "porque"…): a negation
  or a phrase never reaches across two of them;
- a phrase that decides alone (`sim_certo`, `nao_certo`) wins;
- each hint (`sim`, `nao`) counts for its meaning, or for the opposite when a
  negation governs it ("nenhuma acesa em vermelho" is "no red light", "a
  vermelha não apaga" is "red light");
- a "sim"/"não" standing alone as a clause agrees or disagrees with them;
- readings that all agree are taken; readings that disagree, or a `talvez`
  phrase, raise `Unsure`, and the engine asks the customer which one was meant.

A customer still doing what was asked ("peraí, vou fazer") is told Theo waits;
one who cannot answer gets the question's own help.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import content
import understanding as nlu
from conversation import Invalid, Turn, Unsure, expected_choice
from vocabulary import INTENTS

ANSWERS_FILE = Path(__file__).resolve().parent / "content" / "answers.toml"
ALL_INTENTS = frozenset(INTENTS)
GENERAL = "geral"  # the table of words every question shares
EMOJI = "emoji"  # the table of emoji read as words ("🔴" is "vermelho")
NOT_STATES = frozenset({"planos"})  # tables of words that belong to no single question
# How many words before a hint a negation still governs it, inside one clause.
NEGATION_REACH = 4
NEGATORS = frozenset({"nao", "nem", "nenhum", "nenhuma", "nunca", "jamais", "sem", "nada"})
PUNCTUATION_BREAK = re.compile(r"[,;:!?\n()]+|(?<!\d)\.|\.(?!\d)")
Patterns = tuple[re.Pattern[str], ...]


class AnswersError(ValueError):
    """`content/answers.toml` is unreadable or names something that does not exist."""


@dataclass(frozen=True)
class QuestionWords:
    """The words that answer one question (see `content/answers.toml`)."""

    state: str
    yes: Patterns = ()
    no: Patterns = ()
    sure_yes: Patterns = ()
    sure_no: Patterns = ()
    maybe: Patterns = ()
    cannot_answer: Patterns = ()
    recall_yes: Patterns = ()
    recall_no: Patterns = ()
    options: dict[int, Patterns] = field(default_factory=dict)
    cannot_answer_key: str = ""
    invalid_key: str = ""
    own_intents: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Answers:
    """Every question's words, the words all questions share, and emoji read as words."""

    questions: dict[str, QuestionWords]
    general: dict[str, Patterns]
    emoji: dict[str, str]

    def words(self, state: str) -> QuestionWords:
        return self.questions.get(state) or QuestionWords(state)

    def says(self, kind: str, text: str) -> bool:
        """Whether `text` matches one of the shared phrases of `kind` (e.g. "esperar")."""
        said = nlu.normalize(self.emoji_as_words(text))
        return any(pattern.search(said) for pattern in self.general[kind])

    def find(self, kind: str, text: str) -> list[re.Match[str]]:
        """Every match of the shared phrases of `kind` in the normalized `text`."""
        said = nlu.normalize(self.emoji_as_words(text))
        return [match for pattern in self.general[kind] for match in pattern.finditer(said)]

    def in_mega(self, text: str) -> str:
        """The normalized `text` with "1 giga" written as "1000" (speeds compare in Mega)."""
        said = nlu.normalize(self.emoji_as_words(text))
        for pattern in self.general["giga"]:
            said = pattern.sub("1000", said)
        return said

    def speeds(self, text: str, kind: str = "velocidade") -> list[int]:
        """The speed figures of `kind` the customer wrote, in Mega, in order ("deu 80")."""
        said = self.in_mega(text)
        found = {m.start(1): int(m.group(1)) for p in self.general[kind] for m in p.finditer(said)}
        return [found[start] for start in sorted(found) if 1 <= found[start] <= 10_000]

    def split(self, kind: str, text: str) -> list[str]:
        """Normalized `text` cut where the shared phrases of `kind` occur."""
        parts = [text]
        for pattern in self.general[kind]:
            parts = [piece for part in parts for piece in pattern.split(part) if piece]
        return [part for part in parts if part.strip()]

    def every_clause(self, kind: str, text: str) -> bool:
        """Whether each clause of `text` is wholly one of the shared phrases of `kind`."""
        clauses = self.clauses(text)
        patterns = self.general[kind]
        return bool(clauses) and all(any(p.fullmatch(c) for p in patterns) for c in clauses)

    def without_echoed_question(self, text: str) -> str:
        """`text` without a part that repeats the question ("luz vermelha? não")."""
        kept = re.sub(r"[^?.!,;\n]*\?", " ", text)
        return kept if self.clauses(kept) else text

    def plain_answer(self, text: str) -> bool:
        """Whether the whole message is a plain yes or no ("sim", "não, não", "👍")."""
        clauses = self.clauses(text)
        alone = self.general["resposta_sozinha"]
        return bool(clauses) and all(any(p.fullmatch(c) for p in alone) for c in clauses)

    def emoji_as_words(self, text: str) -> str:
        for emoji, word in self.emoji.items():
            text = text.replace(emoji, f" {word} ")
        return text

    def clauses(self, text: str) -> list[str]:
        """The message cut into normalized clauses (punctuation, "mas", "porque"…)."""
        found = []
        for part in PUNCTUATION_BREAK.split(self.emoji_as_words(text)):
            said = nlu.normalize(part)
            for pattern in self.general["quebra"]:
                said = pattern.sub(" ; ", said)
            found += said.split(";")
        return [clause.strip() for clause in found if clause.strip()]


# --- Loading ------------------------------------------------------------------------
GENERAL_KINDS = (
    "esperar",
    "pergunta",
    "chamado",
    "nenhuma",
    "sem_documento",
    "sem_cep",
    "de_novo",
    "continua",
    "funcionou",
    "encerrar",
    "nao_nome",
    "fim_do_nome",
    "prefixo_do_nome",
    "pular",
    "outro_pedido",
    "velocidade",
    "giga",
    "negacao_depois",
    "negado",
    "desistir",
    "duvida",
    "correcao",
    "velocidade_plano",
    "resposta_sozinha",
    "quebra",
    "motivo",
    "ja_pagou",
    "dia_do_mes",
    "numero_do_dia",
    # faq branch: the period and start of a temporary suspension.
    "pausa_dias",
    "pausa_semanas",
    "pausa_meses",
    "inicio_hoje",
    "inicio_dia_seguinte",
    "inicio_dia",
    # account: the fee question, another document than the number's account
    "multa",
    "outro_documento",
)
QUESTION_KEYS = {
    "sim": "yes",
    "nao": "no",
    "sim_certo": "sure_yes",
    "nao_certo": "sure_no",
    "talvez": "maybe",
    "nao_sabe": "cannot_answer",
    "lembrar_sim": "recall_yes",
    "lembrar_nao": "recall_no",
}
OTHER_KEYS = {"opcoes", "mensagem_nao_sabe", "mensagem_invalida", "pedidos", "resultado"}


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
        found = re.search(r"at line (\d+)", str(problem))
        line = found.group(1) if found else "?"
        raise AnswersError(f"{path.name}:{line}: erro de sintaxe TOML ({problem})") from None
    shared = raw.get(GENERAL, {})
    unknown = sorted(set(shared) - set(GENERAL_KINDS))
    if unknown:
        line = _line_of(raw_text, f"{unknown[0]} =")
        raise AnswersError(f"{path.name}:{line}: [{GENERAL}] chave desconhecida {unknown[0]!r}")
    general = {kind: _patterns(path, raw_text, shared, kind) for kind in GENERAL_KINDS}
    questions = {
        state: _question(path, raw_text, state, table, general)
        for state, table in raw.items()
        if state not in (GENERAL, EMOJI)
    }
    emoji = {str(key): str(value) for key, value in raw.get(EMOJI, {}).items()}
    return Answers(questions, general, emoji)


def _question(path: Path, raw_text: str, state: str, table: Any, general: dict) -> QuestionWords:
    if not isinstance(table, dict):
        line = _line_of(raw_text, f"{state} =")
        raise AnswersError(f"{path.name}:{line}: [{state}] deve ser uma tabela")
    unknown = sorted(set(table) - set(QUESTION_KEYS) - OTHER_KEYS)
    if unknown:
        line = _line_of(raw_text, f"{unknown[0]} =")
        raise AnswersError(f"{path.name}:{line}: [{state}] chave desconhecida {unknown[0]!r}")
    fields: dict[str, Any] = {
        name: _patterns(path, raw_text, table, key) for key, name in QUESTION_KEYS.items()
    }
    if table.get("resultado"):  # "a internet voltou?": the shared words of a result count too
        fields["yes"] += general["funcionou"]
        fields["sure_no"] += general["continua"]
    options = table.get("opcoes", {})
    fields["options"] = {
        _option_number(path, raw_text, state, key): _patterns(path, raw_text, options, key)
        for key in options
    }
    _check_intents(path, raw_text, state, table.get("pedidos", []))
    return QuestionWords(
        state=state,
        cannot_answer_key=str(table.get("mensagem_nao_sabe", "")),
        invalid_key=str(table.get("mensagem_invalida", "")),
        own_intents=frozenset(table.get("pedidos", [])),
        **fields,
    )


def _option_number(path: Path, raw_text: str, state: str, key: str) -> int:
    if not key.isdigit():
        line = _line_of(raw_text, f"{key} =")
        raise AnswersError(f"{path.name}:{line}: [{state}.opcoes] {key!r} não é um número")
    return int(key)


def _patterns(path: Path, raw_text: str, table: dict, key: str) -> Patterns:
    values = table.get(key, [])
    if isinstance(values, str):
        values = [values]
    compiled = []
    for value in values:
        try:
            compiled.append(re.compile(value))
        except (re.error, TypeError) as problem:
            line = _line_of(raw_text, str(value))
            raise AnswersError(
                f"{path.name}:{line}: expressão inválida {value!r}: {problem}"
            ) from None
    return tuple(compiled)


def _check_intents(path: Path, raw_text: str, state: str, intents: list[str]) -> None:
    for intent in intents:
        if intent not in ALL_INTENTS:
            line = _line_of(raw_text, f'"{intent}"')
            raise AnswersError(f"{path.name}:{line}: [{state}] pedido desconhecido {intent!r}")


def _line_of(raw_text: str, needle: str) -> int:
    """The line where `needle` is written (TOML parsers give no positions)."""
    for number, line in enumerate(raw_text.splitlines(), start=1):
        if needle in line:
            return number
    return 0


def check_states(known_states: set[str], path: Path = ANSWERS_FILE) -> None:
    """Every question named in the answers file must be a state of some flow."""
    unknown = sorted(set(answers(path).questions) - known_states - NOT_STATES)
    if unknown:
        line = _line_of(path.read_text(encoding="utf-8"), f"[{unknown[0]}")
        raise AnswersError(f"{path.name}:{line}: pergunta desconhecida {unknown[0]!r}")


# --- Reading the clauses ----------------------------------------------------------------
def _negation_before(text: str) -> str | None:
    """The negation word among the last few words of `text` (what comes before a hint)."""
    before = text.split()[-NEGATION_REACH:]
    return next((word for word in reversed(before) if word in NEGATORS), None)


def _negated_after(clause: str, end: int) -> bool:
    """ "de manhã não", "o de 300 não": a negation right after a named option."""
    after = clause[end:].split()
    return bool(after) and after[0] in NEGATORS


def _negation_after(text: str) -> str | None:
    """ "a luz vermelha não tem nenhuma": words right after a hint that deny it, if any."""
    for pattern in answers().general["negacao_depois"]:
        found = pattern.match(text)
        if found:
            return found.group(0)
    return None


def _evidence(clause: str, hints: list[tuple[Patterns, bool]]) -> list[tuple[bool, str]]:
    """Each hint found, in order: its meaning (flipped by the negation that governs it) and
    the words it used. A negation governs only up to the hint before or after it."""
    matches = sorted(
        (match.start(), match.end(), meaning)
        for patterns, meaning in hints
        for pattern in patterns
        for match in pattern.finditer(clause)
    )
    found = []
    consumed = 0  # where the words used by the previous hint end
    for index, (start, end, meaning) in enumerate(matches):
        next_start = matches[index + 1][0] if index + 1 < len(matches) else len(clause)
        before = _negation_before(clause[max(consumed, 0) : start]) if start >= consumed else None
        after = None if before else _negation_after(clause[end:next_start])
        covered = clause[start:end] + (f" {before or after}" if before or after else "")
        found.append((meaning != bool(before or after), covered))
        consumed = end + (len(after) if after else 0)
    return found


def _hints(words: QuestionWords, clauses: list[str]) -> tuple[set[bool], list[str]]:
    """The meanings the question's hints give, and each clause without the words they used."""
    meanings: set[bool] = set()
    rest = []
    for clause in clauses:
        leftover = clause
        for meaning, covered in _evidence(clause, [(words.yes, True), (words.no, False)]):
            meanings.add(meaning)
            for word in covered.split():
                leftover = re.sub(rf"\b{re.escape(word)}\b", " ", leftover, count=1)
        rest.append(leftover.strip())
    return meanings, rest


def _standalone(clauses: list[str]) -> set[bool]:
    """The "sim"/"não" that stand alone as a clause ("não, tá tudo verde")."""
    alone = answers().general["resposta_sozinha"]
    # "quero não" reads as neither yes nor no word by word: only a plain yes is a yes.
    return {
        nlu.parse_yes_no(clause) is True
        for clause in clauses
        if clause and any(pattern.fullmatch(clause) for pattern in alone)
    }


def _sure(words: QuestionWords, clauses: list[str]) -> set[bool]:
    """The meanings of the phrases that decide alone; joined by " ; " so none spans two clauses."""
    said = " ; ".join(clauses)
    found = set()
    if any(pattern.search(said) for pattern in words.sure_yes):
        found.add(True)
    if any(pattern.search(said) for pattern in words.sure_no):
        found.add(False)
    return found


def read_hints(words: QuestionWords, text: str) -> tuple[bool | None, bool]:
    """(answer, sure) from the question's phrases and lone yes/no words; (None, False) if none."""
    text = answers().without_echoed_question(text)
    clauses = answers().clauses(text)
    decided = _sure(words, clauses)
    if len(decided) == 1:
        return decided.pop(), True
    if decided:
        return True, False  # decisive phrases both ways
    meanings, rest = _hints(words, clauses)
    meanings |= _standalone(rest)
    if len(meanings) == 1:
        return meanings.pop(), not answers().says("duvida", text)  # "acho que é vermelha"
    if meanings:
        return True, False  # hints pointing both ways
    maybe = any(pattern.search(" ; ".join(clauses)) for pattern in words.maybe)
    return (True, False) if maybe or _reads_after_typo_fix(words, text) else (None, False)


def _reads_after_typo_fix(words: QuestionWords, text: str) -> bool:
    """Whether hints appear once typos are corrected ("vermelah"): worth a confirmation."""
    fixed = nlu.corrected(text)
    if fixed == nlu.normalize(text):
        return False
    return bool(
        _sure(words, answers().clauses(fixed)) or _hints(words, answers().clauses(fixed))[0]
    )


def read_yes_no(words: QuestionWords, text: str) -> tuple[bool | None, bool]:
    """(answer, sure): the question's phrases first, then the usual yes/no words."""
    answer, sure = read_hints(words, text)
    if answer is not None:
        return answer, sure
    usual = nlu.parse_yes_no(text)
    return usual, usual is not None


# --- Reading an answer in a turn ------------------------------------------------------------
def yes_no(turn: Turn) -> bool:
    """The customer's yes/no to the current question; Unsure or Invalid otherwise."""
    if isinstance(turn.confirmed, bool):
        return turn.confirmed
    if turn.message.choice_id in ("1", "2"):
        return turn.message.choice_id == "1"
    words = answers().words(turn.state)
    answer, sure = read_hints(words, turn.text)
    if answer is None:
        answer, sure = _plain_answer(turn, words), True
    if sure:
        return answer
    raise Unsure(
        content.text("geral.confirmar", pergunta=content.lower_first(f"curta.{turn.state}")),
        [content.text("geral.sim"), content.text("geral.nao")],
        [True, False],
    )


def _plain_answer(turn: Turn, words: QuestionWords) -> bool:
    """No phrase of the question: waiting, cannot answer, another request, or sim/não."""
    if answers().plain_answer(turn.text):  # "quero não", "claro que sim"
        return _standalone(answers().clauses(turn.text)) == {True}
    if answers().says("esperar", turn.text):  # "ok, peraí vou fazer" is not a "yes"
        raise Invalid(content.text("geral.aguardando"), may_jump=False, strike=False)
    said = nlu.normalize(turn.text)
    if any(pattern.search(said) for pattern in words.cannot_answer):
        raise Invalid(content.text(words.cannot_answer_key), may_jump=False)
    invalid = content.text(words.invalid_key or "geral.sim_ou_nao_invalido")
    intent = nlu.detect_intent(turn.text)
    if intent is not None:  # "quero um técnico" is a request, not a "quero" = yes
        raise Invalid(invalid, may_jump=intent not in words.own_intents)
    if answers().says("pergunta", turn.text):  # "o que é isso?" is no "isso" = yes
        raise Invalid(invalid, may_jump=False)
    usual = nlu.parse_yes_no(answers().emoji_as_words(turn.text))
    if usual is None:
        raise Invalid(invalid, may_jump=False)
    return usual


def read_option(turn: Turn, titles: Sequence[str]) -> int:
    """The option the customer's words name at the menu `titles` of the current state.

    The options' words are in the state's `opcoes` table (an extra number past
    the titles may stand for "any of them"). Two options named, or a `talvez`
    phrase: Unsure between them.
    """
    words = answers().words(turn.state)
    picked = options_named(words, turn.text) or _other_than_negated(words, turn.text, titles)
    if len(picked) == 1:
        return picked.pop()
    said = nlu.normalize(turn.text)
    if not picked and any(pattern.search(said) for pattern in words.maybe):
        picked = {1, 2}
    shown = sorted(number for number in picked if 1 <= number <= len(titles))
    if len(shown) == 2:
        raise Unsure(
            content.text("geral.confirmar_opcao"),
            [titles[number - 1] for number in shown],
            shown,
        )
    if any(pattern.search(said) for pattern in words.cannot_answer):
        raise Invalid(content.text(words.cannot_answer_key), may_jump=False)
    invalid = words.invalid_key
    raise Invalid(content.text(invalid) if invalid else expected_choice(len(titles)))


def _option_negated(clause: str, start: int, end: int) -> bool:
    return bool(_negation_before(clause[:start]) or _negated_after(clause, end))


def _other_than_negated(words: QuestionWords, text: str, titles: Sequence[str]) -> set[int]:
    """ "Não posso à tarde" at a two-option menu names the other option."""
    if len(titles) != 2:
        return set()
    refused = _named_in(words, answers().clauses(text), negated=True) & {1, 2}
    return {1, 2} - refused if len(refused) == 1 else set()


def options_named(words: QuestionWords, text: str) -> set[int]:
    """The option numbers named in `text`, not negated, ignoring a reason ("porque…") if needed."""
    clauses = answers().clauses(text)
    named = _named_in(words, clauses)
    if len(named) > 1:
        reasons = answers().general["motivo"]
        main = [c for c in clauses if not any(p.match(c) for p in reasons)]
        named = _named_in(words, main) or named
    return named


def _named_in(words: QuestionWords, clauses: list[str], *, negated: bool = False) -> set[int]:
    """The options named in `clauses` (or, with `negated`, the ones named under a negation)."""
    spans: list[tuple[int, int, int, int]] = []  # clause, start, end, option
    for index, clause in enumerate(clauses):
        for number, patterns in words.options.items():
            for pattern in patterns:
                spans += [
                    (index, m.start(), m.end(), number)
                    for m in pattern.finditer(clause)
                    if negated == _option_negated(clause, m.start(), m.end())
                ]
    # A match inside a longer match of another option does not count ("das 8 às 12").
    return {
        number
        for index, start, end, number in spans
        if not any(
            i == index and s <= start and end <= e and (e - s) > (end - start) and n != number
            for i, s, e, n in spans
        )
    }


def affirmed(text: str) -> str:
    """The clauses of `text` that no negation touches ("o de 300 não, quero o de 500")."""
    kept = [
        clause for clause in answers().clauses(text) if not NEGATORS.intersection(clause.split())
    ]
    return " ; ".join(kept)


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
        for clause in answers().clauses(text):
            evidence = _evidence(clause, [(words.recall_yes, True), (words.recall_no, False)])
            found.update(meaning for meaning, _ in evidence)
    return found.pop() if len(found) == 1 else None
