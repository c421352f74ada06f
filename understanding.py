"""What a customer's WhatsApp text means for Theo's state machine.

Pure functions, no I/O after import, no sessions: `normalize` a text, read a
numbered choice, a yes/no, a global command, or the intent named in free words.

The words themselves live in `content/understanding.toml` (read and checked by
vocabulary.py), so that someone who is not a programmer can add a phrase; this
module holds only the algorithm. `Understanding` compiles one vocabulary, and
the module functions use the one shipped with Theo.

How `detect_intent` decides:

1. The text is cut into sentences at punctuation, normalized, and words that
   are clearly typos of a keyword are corrected (rapidfuzz, keywords of 5+ letters).
2. Every phrase of the vocabulary that occurs is a *match* (articles and possessives
   may stand between its words; a phrase stays inside one sentence unless it says `;`
   where it may cross a comma). A match lying inside a
   longer match is dropped ("atendimento tecnico" hides "atendimento"); the
   `[ignorar]` phrases exist only to hide what they contain ("paguei o boleto").
3. A request negated right before it is dropped ("nao quero cancelar").
4. `frases` are strong evidence, `pistas` (hints) weak: hints count only when no
   strong phrase matched, and hints pointing to different menus give None.
5. Several intents left: the first in `[prioridade]` wins. Explicit requests beat
   problem descriptions, because the request is what the customer asks Theo to
   do ("nao consigo pagar o boleto porque estou sem internet" -> BOLETO;
   "quero cancelar, a internet vive caindo" -> CANCELAR). Inside the support
   menu the most specific problem wins, and cancel + change together mean the
   generic plan menu (PLANO).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from vocabulary import (
    ALTERAR_PLANO,
    ATENDENTE,
    BOLETO,
    CANCELAR,
    CMD_BACK,
    CMD_EXIT,
    CMD_MENU,
    COBERTURA,
    COBRANCA_INDEVIDA,
    CONTRATAR,
    FAQ,
    LENTA,
    MINHA_CONTA,
    MODEM_DESLIGADO,
    MUDANCA,
    NOTA_FISCAL,
    OUTRO_PROBLEMA,
    PAGAMENTO_CARTAO,
    PAGO_CORTADO,
    PLANO,
    PREVISAO,
    RECLAMACAO,
    SEM_INTERNET,
    SUPORTE,
    SUSPENDER,
    VENCIMENTO,
    VISITA,
    ChoiceWords,
    FaqEntry,
    NegationWords,
    Vocabulary,
    Words,
    YesNoWords,
    default_vocabulary,
)

__all__ = [
    "ABBREVIATIONS",
    "ALTERAR_PLANO",
    "ATENDENTE",
    "BILLING_INTENTS",
    "BOLETO",
    "CANCELAR",
    "CMD_BACK",
    "CMD_EXIT",
    "CMD_MENU",
    "COBERTURA",
    "COBRANCA_INDEVIDA",
    "COMMON_WORDS",
    "CONTRATAR",
    "FAQ",
    "FILLER_WORDS",
    "FUZZY_KEYWORDS",
    "GROUPS",
    "IGNORED",
    "LENTA",
    "MAIN_MENU_INTENTS",
    "MAX_CHARS",
    "MAX_LOOSE_WORDS",
    "MAX_WORDS",
    "MINHA_CONTA",
    "MODEM_DESLIGADO",
    "MUDANCA",
    "NOTA_FISCAL",
    "OUTRO_PROBLEMA",
    "PAGAMENTO_CARTAO",
    "PAGO_CORTADO",
    "PLANO",
    "PLAN_MENU_INTENTS",
    "PREVISAO",
    "PRIORITY",
    "RECLAMACAO",
    "SEM_INTERNET",
    "SUPORTE",
    "SUPPORT_MENU_INTENTS",
    "SUSPENDER",
    "VENCIMENTO",
    "VISITA",
    "VOCABULARY",
    "Understanding",
    "Words",
    "corrected",
    "detect_command",
    "detect_intent",
    "faq_entry",
    "intent_is_guessed",
    "normalize",
    "parse_choice",
    "parse_yes_no",
]

# --- Menus -----------------------------------------------------------------------------------
MAIN_MENU_INTENTS: tuple[str, ...] = (BOLETO, SUPORTE, CONTRATAR, COBERTURA, PLANO, ATENDENTE)
SUPPORT_MENU_INTENTS: tuple[str, ...] = (SEM_INTERNET, LENTA, MODEM_DESLIGADO, OUTRO_PROBLEMA)
PLAN_MENU_INTENTS: tuple[str, ...] = (CANCELAR, ALTERAR_PLANO)
# Started by words only, not by a menu option (flows/paid.py, flows/billing.py).
BILLING_INTENTS: tuple[str, ...] = (
    PAGO_CORTADO,
    VENCIMENTO,
    COBRANCA_INDEVIDA,
    NOTA_FISCAL,
    PAGAMENTO_CARTAO,
)

IGNORED = ""  # pseudo-intent of phrases that only hide the words inside them

_MENU_OF = {intent: PLANO for intent in (PLANO, *PLAN_MENU_INTENTS)} | {
    intent: SUPORTE for intent in (SUPORTE, *SUPPORT_MENU_INTENTS)
}

# Real requests are short: these bound the work on a pasted wall of text. Emoji and invisible
# characters vanish in normalize, so they do not use up the word budget.
MAX_CHARS = 20_000
MAX_WORDS = 150

# A hint alone decides only when at most this many other meaningful words surround it.
MAX_LOOSE_WORDS = 1

# A global command is a short message: longer ones are sentences that mention the word.
_MAX_COMMAND_WORDS = 4

# --- Normalizing -----------------------------------------------------------------------------
_DROPPED_CATEGORIES = {"Mn", "Me", "Cf"}  # accents, keycap/variation marks, zero-width & bidi marks
_NON_WORD = re.compile(r"[\W_]+")
_LONG_RUN = re.compile(r"([a-z])\1{2,}")  # "boletooo", "siiim": no pt word has a letter 3x
_WIFI = re.compile(r"\bwi fi\b")  # "wi-fi" lost its hyphen above


def _squeeze(word: str) -> str:
    """The word with repeated letters collapsed ("simm" -> "sim", "nn" -> "n")."""
    return re.sub(r"([a-z])\1+", r"\1", word)


def _squeezed(words: Iterable[str]) -> frozenset[str]:
    """Each word squeezed, to compare squeezed answers."""
    return frozenset(_squeeze(word) for word in words)


# --- Vocabulary phrases as regexes -----------------------------------------------------------
# The phrase syntax is documented at the top of content/understanding.toml.
_GAP = r"(?: \w+){0,3}"
_MAX_SKIPPED = 2  # articles and possessives between two words of a phrase ("o meu")
_SENTENCE_BREAK = re.compile(r"[,;:!?\n\r()\[\]]+|(?<!\d)\.|\.(?!\d)")


def _word_regex(word: str) -> str:
    """One word of a phrase as a regex: a number, a CEP, a prefix or the literal word."""
    if word == "<num>":
        return r"\d+"
    if word == "<cep>":
        return r"\d{5} ?\d{3}"
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"\w*"
    return re.escape(word)


def _alternatives(piece: str, groups: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The choices of one phrase piece, groups expanded: "{modem}/fonte" -> modem, ..., fonte."""
    found: list[str] = []
    for alternative in piece.split("/"):
        group = alternative[1:-1] if alternative.startswith("{") else None
        found += groups[group] if group else [alternative]
    return found


def _piece_regex(piece: str, groups: Mapping[str, tuple[str, ...]]) -> str:
    # Longest first: the regex takes the first alternative that fits ("data de vencimento").
    alternatives = (alt.replace("_", " ") for alt in _alternatives(piece, groups))
    spaced = sorted(alternatives, key=len, reverse=True)
    words = (" ".join(map(_word_regex, alternative.split())) for alternative in spaced)
    return "(?:" + "|".join(words) + ")"


def _compile(
    phrase: str, groups: Mapping[str, tuple[str, ...]], skippable: Iterable[str] = ()
) -> re.Pattern[str]:
    """One vocabulary phrase as a regex over " " + normalized text.

    Between two words of the phrase, up to two `skippable` words may stand ("trocar a senha
    do meu wifi" for "trocar senha do wifi"): customers put articles and possessives anywhere.
    """
    skip = f"(?: (?:{_any_of(skippable)})){{0,{_MAX_SKIPPED}}}"
    parts: list[str] = []
    after_word = False  # the skippable words stand only between two words
    for piece in phrase.split():
        if piece == ";":
            parts.append(r"(?: ;)?")
        elif piece == "...":
            parts.append(_GAP)
        elif piece == "^":
            parts.append(r"(?<![^;])")
        elif piece == "$":
            parts.append(r"(?= ;|$)")
        elif piece.endswith("?"):
            parts.append(f"(?:{skip if after_word else ''} {_piece_regex(piece[:-1], groups)})?")
        else:
            parts.append(f"{skip if after_word else ''} {_piece_regex(piece, groups)}")
        after_word = piece not in ("...", "^", "$", ";")
    return re.compile("".join(parts) + r"(?!\w)")


def _any_of(phrases: Iterable[str]) -> str:
    """A regex alternation of literal phrases; one that never matches when there are none."""
    escaped = [re.escape(" ".join(phrase.split())) for phrase in phrases]
    return "|".join(escaped) if escaped else "(?!)"


def _negation_regex(words: NegationWords) -> re.Pattern[str]:
    """A negation, maybe a verb, any linking words, then the end: what follows is negated."""
    return re.compile(
        rf"(?:^|\s)(?:{_any_of(words.words)})(?: (?:{_any_of(words.verbs)}))?"
        rf"(?: (?:{_any_of(words.links)}))*$"
    )


@dataclass(frozen=True)
class _Rule:
    intent: str
    strong: bool
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class _Match:
    intent: str
    strong: bool
    start: int
    end: int

    def inside(self, other: _Match) -> bool:
        """True when `other` covers this match and is longer (or hides it on purpose)."""
        covers = other.start <= self.start and self.end <= other.end
        longer = other.end - other.start > self.end - self.start
        return covers and other is not self and (longer or (other.intent == IGNORED != self.intent))


def _compile_rules(vocabulary: Vocabulary, table: Mapping[str, Words]) -> tuple[_Rule, ...]:
    """Every phrase and hint of the table compiled once."""
    rules = []
    for intent, words in table.items():
        rules += [_rule(vocabulary, intent, True, phrase) for phrase in words.phrases]
        rules += [_rule(vocabulary, intent, False, phrase) for phrase in words.hints]
    return tuple(rules)


def _rule(vocabulary: Vocabulary, intent: str, strong: bool, phrase: str) -> _Rule:
    try:
        pattern = _compile(phrase, vocabulary.groups, vocabulary.skippable_words)
        return _Rule(intent, strong, pattern)
    except re.error as problem:
        # Words are escaped, so only a bug here gets this far: name the phrase that shows it.
        message = f'a frase "{phrase}" não vira uma expressão regular válida ({problem}).'
        raise vocabulary.phrase_error(intent, phrase, message) from None


def _spelled_words(groups: Mapping[str, tuple[str, ...]], table: Mapping[str, Words]) -> set[str]:
    """Every word the vocabulary spells out: such a word is never taken for a typo."""
    phrases = [p for words in table.values() for p in (*words.phrases, *words.hints)]
    entries = [entry for group in groups.values() for entry in group]
    return set(re.findall(r"[a-z]+", " ".join([*entries, *phrases])))


def _by_initial(keywords: Iterable[str]) -> dict[str, list[str]]:
    """Keywords by first letter: a typo rarely hits the first letter, and it halves false fixes."""
    found: dict[str, list[str]] = {}
    for keyword in sorted(keywords):
        found.setdefault(keyword[0], []).append(keyword)
    return found


# --- Choices and yes/no ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Choice:
    """A numbered option named on its own, maybe with polite words around it."""

    numbers: Mapping[str, int]
    lead: frozenset[str]
    tail: frozenset[str]
    last: frozenset[str]

    @classmethod
    def of(cls, words: ChoiceWords) -> _Choice:
        return cls(
            words.numbers, frozenset(words.lead), frozenset(words.tail), frozenset(words.last)
        )

    def parse(self, words: list[str], count: int) -> int | None:
        while words and words[0] in self.lead:
            words.pop(0)
        while words and words[-1] in self.tail:
            words.pop()
        if len(words) != 1:
            return None
        number = self._number(words[0], count)
        return number if number is not None and 1 <= number <= count else None

    def _number(self, word: str, count: int) -> int | None:
        if word.isdigit():
            return int(word) if len(word) <= 2 else None
        if word in self.last:
            return count
        return self.numbers.get(word)


@dataclass(frozen=True)
class _YesNo:
    """The words of a yes/no answer, compiled."""

    emoji: Mapping[str, str]
    affirm: frozenset[str]
    done: frozenset[str]
    deny: frozenset[str]
    still: frozenset[str]
    alone_yes: frozenset[str]
    yes_phrases: re.Pattern[str]
    no_phrases: re.Pattern[str]
    unsure: re.Pattern[str]
    denied_result: re.Pattern[str]

    @classmethod
    def of(cls, words: YesNoWords) -> _YesNo:
        return cls(
            emoji={emoji: f" {answer} " for emoji, answer in words.emoji.items()},
            affirm=_squeezed(words.yes),
            done=_squeezed(words.done),
            deny=_squeezed(words.no),
            still=_squeezed(words.still),
            alone_yes=frozenset(" ".join(phrase.split()) for phrase in words.alone_yes),
            yes_phrases=re.compile(rf"\b(?:{_any_of(words.yes_phrases)})\b"),
            no_phrases=re.compile(rf"\b(?:{_any_of(words.no_phrases)})\b"),
            unsure=re.compile(rf"\b(?:{_any_of(words.unsure)})\b"),
            # A negated result, maybe one word in between: "nao voltou", "nem sequer ligou".
            denied_result=re.compile(
                rf"\b(?:{_any_of(words.result_negators)})(?: \w+)? "
                rf"(?:{_any_of(words.denied_results)})\b"
            ),
        )

    def weigh(self, said: str) -> bool | None:
        """Decide from the words found; an explicit negation wins over a result word."""
        words = {_squeeze(word) for word in said.split()}
        if self.no_phrases.search(said):
            return False  # "deixa quieto", "não, só isso": a whole phrase that declines
        affirmed = bool(words & self.affirm) or bool(self.yes_phrases.search(said))
        denied = bool(words & self.deny)
        if denied and affirmed:
            return False if self.denied_result.search(said) else None
        if denied:
            return False
        if affirmed:
            return True
        if words & self.still:
            return False
        return True if words & self.done else None


# --- Understanding ---------------------------------------------------------------------------
class Understanding:
    """Theo's reading of customers' texts, compiled from one vocabulary."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.table: dict[str, Words] = {**vocabulary.intents, IGNORED: Words(vocabulary.ignored)}
        self.abbreviations: dict[str, str] = dict(vocabulary.abbreviations)
        self._choice = _Choice.of(vocabulary.choice)
        self._yes_no = _YesNo.of(vocabulary.yes_no)
        self._commands = {
            _squeeze(phrase): command
            for command, phrases in vocabulary.commands.items()
            for phrase in phrases
        }
        self._command_fillers = frozenset(vocabulary.command_fillers)
        self._rules = _compile_rules(vocabulary, self.table)
        known = _spelled_words(vocabulary.groups, self.table) | set(vocabulary.common_words)
        self._known_words = frozenset(known)
        self._fuzzy_by_initial = _by_initial(vocabulary.fuzzy_keywords)
        self._filler_words = frozenset(vocabulary.filler_words)
        self._negated = _negation_regex(vocabulary.negation)
        self._faq_rules = tuple(
            (entry, _compile(phrase, vocabulary.groups, vocabulary.skippable_words))
            for entry in vocabulary.faq
            for phrase in entry.phrases
        )
        # Per instance, so that two vocabularies never share corrections.
        self._correct = lru_cache(maxsize=4096)(self._correct_word)

    def normalize(self, text: str) -> str:
        """Lowercase text without accents, emoji or punctuation, abbreviations expanded."""
        # Keycaps: "1️⃣" is 1 + U+FE0F + U+20E3; 🔟 is one character. "2° via" means "2ª via".
        text = text.replace("\u20e3", " ").replace("\U0001f51f", " 10 ").replace("°", "o")
        text = unicodedata.normalize("NFKD", text.casefold())
        text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
        text = _LONG_RUN.sub(r"\1", _NON_WORD.sub(" ", text))
        words = (self.abbreviations.get(_squeeze(word), word) for word in text.split())
        return _WIFI.sub("wifi", " ".join(words))

    def parse_choice(self, text: str, count: int) -> int | None:
        """The option 1..count the text names on its own, else None."""
        return self._choice.parse(self.normalize(text).split(), count)

    def parse_yes_no(self, text: str) -> bool | None:
        """True for yes, False for no, None when the answer is neither or unsure."""
        for emoji, word in self._yes_no.emoji.items():
            text = text.replace(emoji, word)
        said = self.normalize(text)
        choice = self.parse_choice(said, 2)
        if choice is not None:
            return choice == 1
        if not said or self._yes_no.unsure.search(said):
            return None
        if said in self._yes_no.alone_yes:
            return True
        return self._yes_no.weigh(said)

    def detect_command(self, text: str) -> str | None:
        """CMD_MENU / CMD_BACK / CMD_EXIT when the whole message is that command, else None."""
        words = [word for word in self.normalize(text).split() if word not in self._command_fillers]
        if not words or len(words) > _MAX_COMMAND_WORDS:
            return None
        return self._commands.get(_squeeze(" ".join(words)))

    def detect_intent(self, text: str, without: frozenset[str] = frozenset()) -> str | None:
        """The most specific intent the free words name, or None when nothing is clear.

        `without`: intents to leave out ("and apart from the complaint, what is wrong?").
        """
        return self._detect(" " + self._prepare(text), without)

    def faq_entry(self, text: str) -> FaqEntry | None:
        """The short answer (content/faq.toml) whose phrase covers most of `text`, if any."""
        padded = " " + self._prepare(text)
        best: tuple[int, FaqEntry] | None = None
        for entry, pattern in self._faq_rules:
            for found in pattern.finditer(padded):
                if self._negated.search(padded[: found.start()]):
                    continue  # "nao quero saber o horario"
                length = found.end() - found.start()
                if best is None or length > best[0]:
                    best = (length, entry)
        return best[1] if best else None

    def corrected(self, text: str) -> str:
        """`text` normalized with typos of keywords corrected ("vermelah" -> "vermelha")."""
        return self._prepare(text).replace(" ; ", ", ")

    def intent_is_guessed(self, text: str) -> bool:
        """True when the intent found rests on a typo correction: worth confirming."""
        return self.detect_intent(text) != self._detect(" " + self._prepare(text, correct=False))

    def _detect(self, padded: str, without: frozenset[str] = frozenset()) -> str | None:
        matches = self._find_matches(padded)
        kept = [m for m in matches if self._keep(m, matches, padded) and m.intent != IGNORED]
        kept = [m for m in kept if m.intent not in without]
        if not any(m.strong for m in kept) and self._loose_words(padded, kept) > MAX_LOOSE_WORDS:
            return None  # a weak hint inside a longer message says too little
        return self._resolve(kept)

    def _correct_word(self, word: str) -> str:
        """`word`, or the keyword it is a typo of (one edit away, two for long words)."""
        if word in self._known_words or not word.isalpha():
            return word
        if _squeeze(word) in self._known_words:
            return _squeeze(word)  # "semm", "nett"
        if len(word) < 4:
            return word
        limit = 1 if len(word) < 9 else 2
        candidates = self._fuzzy_by_initial.get(word[0], ())
        found = process.extractOne(word, candidates, scorer=OSA.distance, score_cutoff=limit)
        return found[0] if found else word

    def _prepare(self, text: str, *, correct: bool = True) -> str:
        """Normalized sentences joined by " ; " (phrases never span two), typos corrected."""
        sentences = (self.normalize(part) for part in _SENTENCE_BREAK.split(text[:MAX_CHARS]))
        joined = " ; ".join(sentence for sentence in sentences if sentence)
        words = joined.split()[:MAX_WORDS]
        return " ".join(self._correct(word) for word in words) if correct else " ".join(words)

    def _find_matches(self, padded: str) -> list[_Match]:
        return [
            _Match(rule.intent, rule.strong, found.start(), found.end())
            for rule in self._rules
            for found in rule.pattern.finditer(padded)
        ]

    def _keep(self, match: _Match, matches: list[_Match], padded: str) -> bool:
        """A match counts unless a longer one covers it or a negation right before cancels it."""
        if any(match.inside(other) for other in matches):
            return False
        return not self._negated.search(padded[: match.start])

    def _resolve(self, matches: list[_Match]) -> str | None:
        """The intent the surviving matches point to (strong first, then the priority)."""
        strong = {m.intent for m in matches if m.strong}
        found = strong or {m.intent for m in matches}
        if not strong and len({_MENU_OF.get(intent, intent) for intent in found}) > 1:
            return None  # only weak hints, and they disagree
        winner = next((intent for intent in self.vocabulary.priority if intent in found), None)
        every = {m.intent for m in matches}
        if _MENU_OF.get(winner) == PLANO and set(PLAN_MENU_INTENTS) <= every:
            return PLANO  # "cancelar ou mudar de plano": the customer has not chosen yet
        return winner

    def _loose_words(self, padded: str, matches: list[_Match]) -> int:
        """How many meaningful words no match explains ("ja reiniciei o modem" -> ja, reiniciei)."""
        covered = {i for m in matches for i in range(m.start, m.end)}
        words = re.finditer(r"\w+", padded)
        return sum(
            1 for w in words if w.start() not in covered and w.group() not in self._filler_words
        )


# --- The shipped vocabulary ------------------------------------------------------------------
_DEFAULT = Understanding(default_vocabulary())

# The tables as read from content/understanding.toml (kept under their old names).
VOCABULARY: dict[str, Words] = _DEFAULT.table
PRIORITY: tuple[str, ...] = _DEFAULT.vocabulary.priority
GROUPS: dict[str, str] = {
    name: "/".join(entries) for name, entries in _DEFAULT.vocabulary.groups.items()
}
FUZZY_KEYWORDS: frozenset[str] = frozenset(_DEFAULT.vocabulary.fuzzy_keywords)
COMMON_WORDS: frozenset[str] = frozenset(_DEFAULT.vocabulary.common_words)
FILLER_WORDS: frozenset[str] = frozenset(_DEFAULT.vocabulary.filler_words)
ABBREVIATIONS: dict[str, str] = _DEFAULT.abbreviations


def normalize(text: str) -> str:
    """Lowercase text without accents, emoji or punctuation, abbreviations expanded."""
    return _DEFAULT.normalize(text)


def parse_choice(text: str, count: int) -> int | None:
    """The option 1..count the text names on its own ("1", "1️⃣", "opção 1", "dois"), else None."""
    return _DEFAULT.parse_choice(text, count)


def parse_yes_no(text: str) -> bool | None:
    """True for yes ("sim", "1", "voltou", "👍"), False for no ("não", "2", "não voltou")."""
    return _DEFAULT.parse_yes_no(text)


def detect_command(text: str) -> str | None:
    """CMD_MENU / CMD_BACK / CMD_EXIT when the whole message is that command, else None."""
    return _DEFAULT.detect_command(text)


def detect_intent(text: str, without: frozenset[str] = frozenset()) -> str | None:
    """The most specific intent the customer's free words name, or None when nothing is clear."""
    return _DEFAULT.detect_intent(text, without)


def faq_entry(text: str) -> FaqEntry | None:
    """The short answer of content/faq.toml that `text` asks for, or None."""
    return _DEFAULT.faq_entry(text)


def corrected(text: str) -> str:
    """`text` normalized, with typos of keywords corrected; sentences kept apart by commas."""
    return _DEFAULT.corrected(text)


def intent_is_guessed(text: str) -> bool:
    """True when the intent of `text` rests on a corrected typo ("bolto" read as "boleto")."""
    return _DEFAULT.intent_is_guessed(text)
