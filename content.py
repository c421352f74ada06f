"""What Theo says, loaded from `content/messages.toml`, and how values read in pt-BR.

Sentences live in the TOML file so a non-programmer can change them without
touching the state machine; this module only looks them up and fills in the
placeholders, and renders menus in the numbered text form that always works.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from replies import Option, Reply

MESSAGES_FILE = Path(__file__).resolve().parent / "content" / "messages.toml"
MONTHS = (
    "janeiro", "fevereiro", "março", "abril", "maio", "junho",
    "julho", "agosto", "setembro", "outubro", "novembro", "dezembro",
)  # fmt: skip


class ContentError(KeyError):
    """A message is missing from the content file or misses a placeholder value."""


@dataclass(frozen=True)
class Menu:
    """A numbered menu: the question and the option titles, in order."""

    question: str
    title: str
    options: tuple[str, ...]


@cache
def _messages(path: Path = MESSAGES_FILE) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def find(messages: dict, key: str) -> object | None:
    """What `key` ("geral.saudacao", "menus.principal") names in a messages tree, or None."""
    node: object = messages
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _lookup(key: str) -> object:
    node = find(_messages(), key)
    if node is None:
        raise ContentError(f"message {key!r} is missing from {MESSAGES_FILE.name}")
    return node


def table(key: str) -> dict[str, str]:
    """The sentences of one table ("alerta.tipos"), by name; {} when there is none."""
    node = find(_messages(), key)
    if not isinstance(node, dict):
        return {}
    return {name: value for name, value in node.items() if isinstance(value, str)}


def lower_first(key: str) -> str:
    """The sentence `key` to go inside another ("Só pra confirmar: o modem ligou?").

    The short questions start with a capital because they are also said on their own.
    """
    sentence = text(key)
    first = next((i for i, ch in enumerate(sentence) if ch.isalpha()), None)
    if first is None:
        return sentence
    return sentence[:first] + sentence[first].lower() + sentence[first + 1 :]


def has(key: str) -> bool:
    """Whether the content file holds the sentence `key` (optional sentences, e.g. help)."""
    try:
        return isinstance(_lookup(key), str)
    except ContentError:
        return False


def text(key: str, **values: object) -> str:
    """The sentence `key` (e.g. "geral.saudacao") with its placeholders filled."""
    template = _lookup(key)
    if not isinstance(template, str):
        raise ContentError(f"message {key!r} is not a text")
    try:
        return template.format(**values)
    except (KeyError, IndexError) as missing:
        raise ContentError(f"message {key!r} needs a value for {missing}") from None


def placeholders(key: str) -> set[str]:
    """The placeholder names a message uses (for checks after editing)."""
    return placeholders_in(str(_lookup(key)))


def placeholders_in(template: str) -> set[str]:
    """The `{names}` a sentence needs."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def menu(name: str) -> Menu:
    """The menu `name` from the `[menus.*]` tables."""
    raw = _lookup(f"menus.{name}")
    if not isinstance(raw, dict):
        raise ContentError(f"menu {name!r} is not a table")
    return Menu(str(raw["pergunta"]), str(raw["titulo"]), tuple(raw["opcoes"]))


def numbered(titles: Sequence[str], descriptions: Sequence[str] = ()) -> str:
    """Options as WhatsApp text lines: "*1* - Título (descrição)"."""
    lines = []
    for number, title in enumerate(titles, start=1):
        extra = f" — {descriptions[number - 1]}" if number <= len(descriptions) else ""
        lines.append(f"*{number}* - {title}{extra}")
    return "\n".join(lines)


def choice_reply(
    question: str,
    titles: Sequence[str],
    *,
    list_title: str = "",
    descriptions: Sequence[str] = (),
    intro: str = "",
    style: Literal["list", "buttons"] = "list",
) -> Reply:
    """A question with numbered options, also offered as an interactive list."""
    body = "\n\n".join(part for part in (intro, question, numbered(titles, descriptions)) if part)
    options = tuple(
        Option(str(n), title, descriptions[n - 1] if n <= len(descriptions) else "")
        for n, title in enumerate(titles, start=1)
    )
    return Reply(body, options=options, style=style, list_title=list_title)


def menu_reply(name: str, *, intro: str = "") -> Reply:
    """The menu `name` as one reply, optionally preceded by `intro`."""
    found = menu(name)
    return choice_reply(found.question, found.options, list_title=found.title, intro=intro)


def yes_no_reply(question: str) -> Reply:
    """A yes/no question: "1 - Sim / 2 - Não", offered as buttons."""
    return choice_reply(question, (text("geral.sim"), text("geral.nao")), style="buttons")


def brl(amount: Decimal) -> str:
    """R$ 1.234,56"""
    cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, fraction = f"{cents:,.2f}".split(".")
    return f"R$ {whole.replace(',', '.')},{fraction}"


def day(value: date) -> str:
    """dd/mm/aaaa"""
    return value.strftime("%d/%m/%Y")


def reference_month(value: str) -> str:
    """'2026-10' -> 'outubro/2026' (anything else is shown as it is)."""
    year, _, month = value.partition("-")
    if year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
        return f"{MONTHS[int(month) - 1]}/{year}"
    return value
