"""What Theo understands, read from `content/understanding.toml` and checked.

The words and phrases live in TOML so that someone who is not a programmer can
add one without touching Python. This module reads the file, checks it and
hands plain typed data to understanding.py, which compiles it. A mistake stops
Theo at start-up with a `VocabularyError` in pt-BR that names the file and the
line, because the person who fixes it edits the TOML, not the code.
"""

from __future__ import annotations

import re
import string
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

VOCABULARY_FILE = Path(__file__).resolve().parent / "content" / "understanding.toml"
FAQ_FILE_NAME = "faq.toml"  # beside the vocabulary file
# What an answer of content/faq.toml may name between braces (flows/faq.py fills them).
FAQ_PLACEHOLDERS = ("horario", "horario_hoje")
_FAQ_KEYS = ("frases", "resposta", "oferece_visita")

# --- The names the code acts on --------------------------------------------------------------
# The TOML may use only these names; understanding.py re-exports them as its API.
BOLETO = "boleto"
SUPORTE = "suporte"
SEM_INTERNET = "sem_internet"
LENTA = "lenta"
MODEM_DESLIGADO = "modem_desligado"
OUTRO_PROBLEMA = "outro_problema"
CONTRATAR = "contratar"
COBERTURA = "cobertura"
PLANO = "plano"
CANCELAR = "cancelar"
ALTERAR_PLANO = "alterar_plano"
ATENDENTE = "atendente"
PREVISAO = "previsao"  # "vai voltar quando?": the outage status
# Payments and billing requests (flows/paid.py, flows/billing.py).
PAGO_CORTADO = "pago_cortado"
VENCIMENTO = "vencimento"
COBRANCA_INDEVIDA = "cobranca_indevida"
NOTA_FISCAL = "nota_fiscal"
PAGAMENTO_CARTAO = "pagamento_cartao"
# Short answers, pausing the service and complaints (issue 11). FAQ's phrases live in
# content/faq.toml, one table per answer, and are gathered under this one intent.
FAQ = "faq"
SUSPENDER = "suspender"
RECLAMACAO = "reclamacao"
# account: "my account", technician visits, moving the service
MINHA_CONTA = "minha_conta"
VISITA = "visita"
MUDANCA = "mudanca"
INTENTS: tuple[str, ...] = (
    BOLETO,
    SUPORTE,
    SEM_INTERNET,
    LENTA,
    MODEM_DESLIGADO,
    OUTRO_PROBLEMA,
    CONTRATAR,
    COBERTURA,
    PLANO,
    CANCELAR,
    ALTERAR_PLANO,
    ATENDENTE,
    PREVISAO,
    PAGO_CORTADO,
    VENCIMENTO,
    COBRANCA_INDEVIDA,
    NOTA_FISCAL,
    PAGAMENTO_CARTAO,
    FAQ,
    SUSPENDER,
    RECLAMACAO,
    MINHA_CONTA,
    VISITA,
    MUDANCA,
)

CMD_MENU = "menu"
CMD_BACK = "back"
CMD_EXIT = "exit"
COMMANDS: tuple[str, ...] = (CMD_MENU, CMD_BACK, CMD_EXIT)

# Sections and keys the file may have; anything else is a typo worth stopping for.
_INTENT_KEYS = ("frases", "pistas")
_YES_NO_FIELDS = {  # key in [sim_nao] -> field of YesNoWords
    "sim": "yes",
    "nao": "no",
    "resolvido": "done",
    "continua": "still",
    "sim_sozinho": "alone_yes",
    "frases_sim": "yes_phrases",
    "frases_nao": "no_phrases",
    "duvida": "unsure",
    "negacoes_de_resultado": "result_negators",
    "resultados_negados": "denied_results",
}
_LAYOUT: dict[str, tuple[str, ...] | None] = {  # None: any name (groups, abbreviations)
    "grupos": None,
    "prioridade": ("ordem",),
    "intencoes": INTENTS,
    "ignorar": ("frases",),
    "correcao": ("palavras_chave", "palavras_comuns"),
    "enchimento": ("palavras", "dentro_das_frases"),
    "negacao": ("palavras", "verbos", "ligacoes"),
    "abreviacoes": None,
    "comandos": COMMANDS,
    "enchimento_de_comandos": ("palavras",),
    "escolha": ("antes", "depois", "ultima_opcao", "numeros"),
    "sim_nao": (*_YES_NO_FIELDS, "emojis"),
    "escolha.numeros": None,
    "sim_nao.emojis": None,
}
_IGNORED_SECTION = "ignorar"
_EMOJI_VALUES = ("sim", "nao")


class VocabularyError(ValueError):
    """The vocabulary file has a mistake; the message (pt-BR) names the file and the line."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path.name}, linha {line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


# --- The data handed to understanding.py -----------------------------------------------------
@dataclass(frozen=True)
class Words:
    """What tells an intent apart: strong `phrases` and weak `hints`."""

    phrases: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class NegationWords:
    """A request right after these is dropped: `words`, maybe a `verb`, any `links`."""

    words: tuple[str, ...]
    verbs: tuple[str, ...]
    links: tuple[str, ...]


@dataclass(frozen=True)
class ChoiceWords:
    """How a numbered option is named: number words, and words allowed around them."""

    numbers: Mapping[str, int]
    lead: tuple[str, ...]
    tail: tuple[str, ...]
    last: tuple[str, ...]


@dataclass(frozen=True)
class YesNoWords:
    """The words and phrases of a yes/no answer (see `[sim_nao]` in the file)."""

    yes: tuple[str, ...]
    no: tuple[str, ...]
    done: tuple[str, ...]
    still: tuple[str, ...]
    alone_yes: tuple[str, ...]
    yes_phrases: tuple[str, ...]
    no_phrases: tuple[str, ...]
    unsure: tuple[str, ...]
    result_negators: tuple[str, ...]
    denied_results: tuple[str, ...]
    emoji: Mapping[str, str]  # emoji -> "sim" / "nao"


@dataclass(frozen=True)
class SourceFile:
    """The raw text of the file, to name the line of a mistake (tomllib gives no positions)."""

    path: Path
    lines: tuple[str, ...]  # split at "\n" only, the way TOML counts lines

    def error(self, line: int, problem: str) -> VocabularyError:
        return VocabularyError(self.path, line, problem)

    def error_at_text(self, section: str, text: str, problem: str, nth: int = 1) -> VocabularyError:
        """An error at the line where `text` is written (quoted) inside `section`."""
        return self.error(self.text_line(section, text, nth), problem)

    def error_at_key(self, section: str, key: str, problem: str) -> VocabularyError:
        """An error at the line where `key` is set inside `section`."""
        return self.error(self.key_line(section, key), problem)

    def section_line(self, section: str) -> int:
        """The line of the `[section]` header, or 1 when it has none."""
        return self._span(section)[0]

    def text_line(self, section: str, text: str, nth: int = 1) -> int:
        """The line of the `nth` quoted `text` inside `section` (its header when not found)."""
        start, end = self._span(section)
        quoted = (f'"{text}"', f"'{text}'")
        found = [n for n in range(start, end + 1) if any(q in self.lines[n - 1] for q in quoted)]
        return found[nth - 1] if len(found) >= nth else start

    def key_line(self, section: str, key: str) -> int:
        """The line where `key` is set inside `section`, or the `[section.key]` header."""
        name = f"{section}.{key}" if section else key
        tables = (
            n for n, found in self._headers() if found == name or found.startswith(name + ".")
        )
        if (header := next(tables, None)) is not None:
            return header
        start, end = self._span(section)
        written = re.compile(rf"""^\s*(["']?){re.escape(key)}\1\s*=""")
        return next((n for n in range(start, end + 1) if written.match(self.lines[n - 1])), start)

    def first_header(self, prefix: str) -> int:
        """The first header whose name starts with `prefix`, or line 1."""
        return next((n for n, name in self._headers() if name.startswith(prefix)), 1)

    def _span(self, section: str) -> tuple[int, int]:
        """First and last line of `section`; the whole file when it has no header."""
        start = self._header(section)
        if start is None:
            return 1, len(self.lines)
        later = (n for n, _ in self._headers() if n > start)
        return start, next(later, len(self.lines) + 1) - 1

    def _header(self, section: str) -> int | None:
        return next((n for n, name in self._headers() if name == section), None)

    def _headers(self) -> list[tuple[int, str]]:
        """(line, name) of every `[section]` header, the name without spaces or quotes."""
        found = ((n, _HEADER.match(line)) for n, line in enumerate(self.lines, start=1))
        return [(n, re.sub(r"""[\s"']""", "", m.group(1))) for n, m in found if m]


_HEADER = re.compile(r"^\s*\[\[?([^\[\]]+)\]")


@dataclass(frozen=True)
class Vocabulary:
    """Everything Theo recognizes in a customer's text, as read from one file."""

    groups: Mapping[str, tuple[str, ...]]
    intents: Mapping[str, Words]
    ignored: tuple[str, ...]
    priority: tuple[str, ...]
    fuzzy_keywords: tuple[str, ...]
    common_words: tuple[str, ...]
    filler_words: tuple[str, ...]
    skippable_words: tuple[str, ...]  # may stand between two words of a phrase: "o", "minha"
    negation: NegationWords
    abbreviations: Mapping[str, str]
    commands: Mapping[str, tuple[str, ...]]
    command_fillers: tuple[str, ...]
    choice: ChoiceWords
    yes_no: YesNoWords
    source: SourceFile = field(repr=False, compare=False)
    faq: tuple[FaqEntry, ...] = ()
    faq_source: SourceFile | None = field(default=None, repr=False, compare=False)

    def phrase_error(self, intent: str, phrase: str, problem: str) -> VocabularyError:
        """An error at the line of `phrase` of `intent` ("" for the phrases to ignore)."""
        entry = next((e for e in self.faq if phrase in e.phrases), None)
        if intent == FAQ and entry is not None and self.faq_source is not None:
            return self.faq_source.error_at_text(entry.id, phrase, problem)
        section = f"intencoes.{intent}" if intent else _IGNORED_SECTION
        return self.source.error_at_text(section, phrase, problem)


@dataclass(frozen=True)
class FaqEntry:
    """One short answer of content/faq.toml: the phrases that ask it and what Theo answers."""

    id: str
    phrases: tuple[str, ...]
    answer: str
    offers_visit: bool = False  # "não consegui" after the answer leads to a technician visit


# --- Loading ---------------------------------------------------------------------------------
@cache
def default_vocabulary() -> Vocabulary:
    """The shipped `content/understanding.toml`, read and checked once."""
    return load_vocabulary(VOCABULARY_FILE)


def load_vocabulary(path: Path | str = VOCABULARY_FILE) -> Vocabulary:
    """Read and check a vocabulary file; a `VocabularyError` names the line of a mistake."""
    source = _read(Path(path))
    reader = _Reader(source, _parse(source))
    faq, faq_source = _faq(Path(path).parent / FAQ_FILE_NAME)
    vocabulary = Vocabulary(
        groups=_groups(reader),
        intents=_with_faq(_intents(reader), faq),
        ignored=reader.strings(_IGNORED_SECTION, "frases"),
        priority=_priority(reader),
        fuzzy_keywords=reader.strings("correcao", "palavras_chave"),
        common_words=reader.strings("correcao", "palavras_comuns"),
        filler_words=reader.strings("enchimento", "palavras"),
        skippable_words=reader.strings("enchimento", "dentro_das_frases"),
        negation=NegationWords(
            words=reader.strings("negacao", "palavras"),
            verbs=reader.strings("negacao", "verbos"),
            links=reader.strings("negacao", "ligacoes"),
        ),
        abbreviations=_abbreviations(reader),
        commands={name: reader.strings("comandos", name) for name in COMMANDS},
        command_fillers=reader.strings("enchimento_de_comandos", "palavras"),
        choice=_choice(reader),
        yes_no=_yes_no(reader),
        source=source,
        faq=faq,
        faq_source=faq_source,
    )
    _check_group_names(vocabulary)
    _check_one_intent_per_phrase(vocabulary)
    _check_one_command_per_phrase(vocabulary)
    return vocabulary


def _read(path: Path) -> SourceFile:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as problem:
        line = raw[: problem.start].count(b"\n") + 1
        raise VocabularyError(
            path, line, "o arquivo não está em UTF-8: salve-o de novo com a codificação UTF-8."
        ) from None
    return SourceFile(path, tuple(text.split("\n")))


def _parse(source: SourceFile) -> dict:
    try:
        return tomllib.loads("\n".join(source.lines))
    except tomllib.TOMLDecodeError as problem:
        # Python 3.11 has no `lineno` attribute yet: the position is only in the message.
        message = str(problem)
        line = getattr(problem, "lineno", None) or _line_in_message(message, source)
        detail = _POSITION.sub("", message).strip()
        raise source.error(
            line,
            "o arquivo não é um TOML válido: confira aspas, vírgulas e colchetes nesta linha e "
            f"na anterior (detalhe do leitor de TOML, em inglês: {detail}).",
        ) from None


_POSITION = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)")


def _line_in_message(message: str, source: SourceFile) -> int:
    found = _POSITION.search(message)
    if found and found.group(1):
        return int(found.group(1))
    written = [n for n, line in enumerate(source.lines, start=1) if line.strip()]
    return written[-1] if written else 1  # "at end of document": the last line written


class _Reader:
    """Typed access to the parsed TOML; every surprise becomes a VocabularyError."""

    def __init__(self, source: SourceFile, data: dict) -> None:
        self.source = source
        self.data = data
        self._only("", data, [name for name in _LAYOUT if "." not in name], "seção")

    def table(self, section: str) -> dict:
        """The table `section` ("escolha.numeros"), its keys checked against the layout."""
        node: object = self.data
        for part in section.split("."):
            if not isinstance(node, dict) or part not in node:
                line = self.source.section_line(section.rsplit(".", 1)[0])
                raise self.source.error(line, f"falta a seção [{section}].")
            node = node[part]
        if not isinstance(node, dict):
            line = self.source.section_line(section)
            raise self.source.error(line, f"[{section}] deve ser uma seção (tabela).")
        allowed = _INTENT_KEYS if section.startswith("intencoes.") else _LAYOUT.get(section)
        if allowed is not None:
            self._only(section, node, allowed, "chave")
        return node

    def strings(self, section: str, key: str) -> tuple[str, ...]:
        """The list of texts `key` of `section`, each written in normalized form."""
        values = self.table(section).get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problem = f'em [{section}], "{key}" deve ser uma lista de textos entre aspas.'
            raise self.source.error_at_key(section, key, problem)
        for value in values:
            self.check_plain(section, value)
        return tuple(values)

    def check_plain(self, section: str, text: str) -> None:
        """Customers' texts are compared lowercase and without accents: so must the file be."""
        plain = _plain(text)
        if text != plain:
            problem = (
                f'"{text}" deve ser escrito em minúsculas e sem acentos, como o Theo lê as '
                f'mensagens: "{plain}".'
            )
            raise self.source.error_at_text(section, text, problem)

    def _only(self, section: str, table: dict, allowed: Iterable[str], kind: str) -> None:
        allowed = tuple(allowed)
        for name in table:
            if name not in allowed:
                where = f" em [{section}]" if section else ""
                problem = f'{_unknown(kind, section)} "{name}"{where}. Os nomes possíveis são: '
                raise self.source.error_at_key(section, name, problem + _listed(allowed))


def _unknown(kind: str, section: str) -> str:
    """How to name an unknown entry: intents and commands are what people mistype most."""
    return {
        "intencoes": "intenção desconhecida",
        "comandos": "comando desconhecido",
    }.get(section, f"{kind} desconhecida")


def _plain(text: str) -> str:
    """`text` lowercase and without accents (emoji and symbols are left alone)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _groups(reader: _Reader) -> dict[str, tuple[str, ...]]:
    groups = {name: reader.strings("grupos", name) for name in reader.table("grupos")}
    for name, entries in groups.items():
        for entry in entries:
            if re.search(r"[/{}]", entry):
                problem = (
                    f'o item "{entry}" do grupo {name} não pode ter "/", "{{" nem "}}": '
                    "escreva uma alternativa por item."
                )
                raise reader.source.error_at_text("grupos", entry, problem)
    return groups


def _intents(reader: _Reader) -> dict[str, Words]:
    found = reader.table("intencoes")
    for intent in INTENTS:
        if intent not in found and intent != FAQ:  # FAQ's phrases may all be in faq.toml
            line = reader.source.first_header("intencoes.")
            raise reader.source.error(line, f"falta a seção [intencoes.{intent}].")
    return {
        intent: Words(
            reader.strings(f"intencoes.{intent}", "frases"),
            reader.strings(f"intencoes.{intent}", "pistas"),
        )
        for intent in found
    }


def _with_faq(intents: dict[str, Words], faq: tuple[FaqEntry, ...]) -> dict[str, Words]:
    """The intents with every phrase of content/faq.toml added to FAQ."""
    own = intents.get(FAQ, Words())
    phrases = own.phrases + tuple(phrase for entry in faq for phrase in entry.phrases)
    return {**intents, FAQ: Words(phrases, own.hints)}


# --- content/faq.toml ------------------------------------------------------------------------
_FAQ_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _faq(path: Path) -> tuple[tuple[FaqEntry, ...], SourceFile | None]:
    """The short answers beside the vocabulary; none when the file is absent."""
    if not path.exists():
        return (), None
    source = _read(path)
    data = _parse(source)
    entries = tuple(_faq_entry(source, name, table) for name, table in data.items())
    seen: dict[str, str] = {}
    for entry in entries:
        for phrase in entry.phrases:
            first = seen.setdefault(" ".join(phrase.split()), entry.id)
            if first != entry.id:
                problem = f'a frase "{phrase}" já está em [{first}]: uma frase, uma resposta.'
                raise source.error_at_text(entry.id, phrase, problem)
    return entries, source


def _faq_entry(source: SourceFile, name: str, table: object) -> FaqEntry:
    """One `[name]` table: `frases`, `resposta`, maybe `oferece_visita`, all checked."""
    if not isinstance(table, dict) or not _FAQ_ID.match(name):
        problem = (
            f'"{name}" deve ser uma seção [nome] com letras minúsculas, números e "_", '
            'contendo frases = [...] e resposta = "...".'
        )
        raise source.error_at_key("", name, problem)
    for key in table:
        if key not in _FAQ_KEYS:
            problem = f'chave desconhecida "{key}" em [{name}]. As chaves possíveis são: '
            raise source.error_at_key(name, key, problem + _listed(_FAQ_KEYS))
    phrases = table.get("frases")
    if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) for p in phrases):
        problem = f'[{name}] precisa de frases = ["...", ...]: as frases que fazem essa pergunta.'
        raise source.error_at_key(name, "frases", problem)
    for phrase in phrases:
        if phrase != _plain(phrase):
            problem = (
                f'"{phrase}" deve ser escrito em minúsculas e sem acentos: "{_plain(phrase)}".'
            )
            raise source.error_at_text(name, phrase, problem)
    answer = table.get("resposta")
    if not isinstance(answer, str) or not answer.strip():
        problem = f'[{name}] precisa de resposta = "...": o que o Theo responde.'
        raise source.error_at_key(name, "resposta", problem)
    _check_faq_placeholders(source, name, answer)
    visit = table.get("oferece_visita", False)
    if not isinstance(visit, bool):
        problem = f"em [{name}], oferece_visita deve ser true ou false."
        raise source.error_at_key(name, "oferece_visita", problem)
    return FaqEntry(name, tuple(phrases), answer, visit)


def _check_faq_placeholders(source: SourceFile, name: str, answer: str) -> None:
    allowed = ", ".join(f"{{{p}}}" for p in FAQ_PLACEHOLDERS)
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(answer) if field is not None}
    except ValueError:
        problem = f"a resposta de [{name}] tem uma chave {{ ou }} sem par (valem: {allowed})."
        raise source.error_at_key(name, "resposta", problem) from None
    unknown = sorted(used - set(FAQ_PLACEHOLDERS))
    if unknown:
        problem = f"a resposta de [{name}] usa {{{unknown[0]}}}, que não existe (valem: {allowed})."
        raise source.error_at_key(name, "resposta", problem)


def _priority(reader: _Reader) -> tuple[str, ...]:
    order = reader.strings("prioridade", "ordem")
    seen: set[str] = set()
    for intent in order:
        if intent in seen:
            problem = f'a intenção "{intent}" aparece duas vezes em [prioridade].'
            raise reader.source.error_at_text("prioridade", intent, problem, nth=2)
        if intent not in INTENTS:
            problem = f'intenção desconhecida "{intent}" em [prioridade]. As intenções são: '
            raise reader.source.error_at_text("prioridade", intent, problem + _listed(INTENTS))
        seen.add(intent)
    missing = [intent for intent in INTENTS if intent not in seen]
    if missing:
        problem = f"faltam intenções em [prioridade]: {_listed(missing)} Cada uma aparece uma vez."
        raise reader.source.error_at_key("prioridade", "ordem", problem)
    return order


def _listed(names: Iterable[str]) -> str:
    return ", ".join(names) + "."


def _abbreviations(reader: _Reader) -> dict[str, str]:
    table = reader.table("abreviacoes")
    for short, full in table.items():
        if not isinstance(full, str):
            problem = f'em [abreviacoes], {short} deve valer um texto entre aspas: {short} = "...".'
            raise reader.source.error_at_key("abreviacoes", short, problem)
        reader.check_plain("abreviacoes", full)
        if re.search(r"(.)\1", short) or _plain(short) != short:
            # Words are looked up with repeated letters squeezed ("vcc" -> "vc").
            problem = f'a abreviação "{short}" deve estar em minúsculas, sem acentos e sem letras'
            raise reader.source.error_at_key("abreviacoes", short, problem + " repetidas.")
    return dict(table)


def _choice(reader: _Reader) -> ChoiceWords:
    numbers: dict[str, int] = {}
    for number in reader.table("escolha.numeros"):
        if not number.isdigit():
            problem = f'em [escolha.numeros], "{number}" deve ser um número: 1 = ["um", ...].'
            raise reader.source.error_at_key("escolha.numeros", number, problem)
        numbers |= dict.fromkeys(reader.strings("escolha.numeros", number), int(number))
    return ChoiceWords(
        numbers=numbers,
        lead=reader.strings("escolha", "antes"),
        tail=reader.strings("escolha", "depois"),
        last=reader.strings("escolha", "ultima_opcao"),
    )


def _yes_no(reader: _Reader) -> YesNoWords:
    lists = {name: reader.strings("sim_nao", key) for key, name in _YES_NO_FIELDS.items()}
    return YesNoWords(**lists, emoji=_emoji(reader))


def _emoji(reader: _Reader) -> dict[str, str]:
    table = reader.table("sim_nao.emojis")
    for emoji, answer in table.items():
        if answer not in _EMOJI_VALUES:
            problem = f'o emoji {emoji} deve valer "sim" ou "nao".'
            raise reader.source.error_at_key("sim_nao.emojis", emoji, problem)
    return dict(table)


# --- Checks across sections ------------------------------------------------------------------
def _phrases(vocabulary: Vocabulary) -> Iterable[tuple[str, str]]:
    """(intent, phrase) for every phrase and hint; "" is the intent of the phrases to ignore."""
    for intent, words in vocabulary.intents.items():
        for phrase in (*words.phrases, *words.hints):
            yield intent, phrase
    for phrase in vocabulary.ignored:
        yield "", phrase


_GROUP_USE = re.compile(r"\{([^{}]*)\}")


def _check_group_names(vocabulary: Vocabulary) -> None:
    known = ", ".join(vocabulary.groups)
    for intent, phrase in _phrases(vocabulary):
        for name in _GROUP_USE.findall(phrase):
            if name not in vocabulary.groups:
                problem = f'a frase "{phrase}" usa o grupo {{{name}}}, que não existe em [grupos]'
                raise vocabulary.phrase_error(intent, phrase, f"{problem} (existem: {known}).")
        if re.search(r"[{}]", _GROUP_USE.sub("", phrase)):
            problem = f'a frase "{phrase}" tem uma chave {{ ou }} sem par: escreva {{grupo}}.'
            raise vocabulary.phrase_error(intent, phrase, problem)


def _check_one_intent_per_phrase(vocabulary: Vocabulary) -> None:
    owner: dict[str, str] = {}
    for intent, phrase in _phrases(vocabulary):
        folded = " ".join(phrase.split())
        first = owner.setdefault(folded, intent)
        if first != intent:
            problem = (
                f'a frase "{phrase}" já pertence a {_section_name(first)} e aparece também em '
                f"{_section_name(intent)}: uma frase só pode ter uma intenção."
            )
            raise vocabulary.phrase_error(intent, phrase, problem)


def _section_name(intent: str) -> str:
    return f"[intencoes.{intent}]" if intent else f"[{_IGNORED_SECTION}]"


def _check_one_command_per_phrase(vocabulary: Vocabulary) -> None:
    owner: dict[str, str] = {}
    for command, phrases in vocabulary.commands.items():
        for phrase in phrases:
            first = owner.setdefault(" ".join(phrase.split()), command)
            if first != command:
                problem = (
                    f'a frase "{phrase}" está em {first} e em {command}: uma frase, um comando.'
                )
                raise vocabulary.source.error_at_text("comandos", phrase, problem, nth=2)
