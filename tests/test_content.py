"""What Theo says: every message the code uses exists and formats in pt-BR."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import content
from conftest import MAIN_MENU_TITLES

ROOT = Path(__file__).resolve().parents[1]
CODE = [ROOT / "bot_logic.py", ROOT / "conversation.py", ROOT / "answers.py"]
CODE += sorted((ROOT / "flows").glob("*.py"))
USED_KEYS = sorted(
    {
        key
        for path in CODE
        for key in re.findall(
            r'"((?:geral|documento|boleto|suporte|visita|vendas|plano|atendente|curta)\.\w+)"',
            path.read_text(encoding="utf-8"),
        )
    }
    | set(re.findall(r'"(geral\.\w+)"', (ROOT / "app.py").read_text(encoding="utf-8")))
)
MENUS = ["principal", "suporte", "lentidao", "plano", "periodo", "nao_encontrado"]


@pytest.mark.parametrize("key", USED_KEYS)
def test_every_message_the_code_uses_exists(key):
    values = {name: "X" for name in content.placeholders(key)}

    assert content.text(key, **values).strip()


@pytest.mark.parametrize("name", MENUS)
def test_every_menu_has_question_and_options(name):
    menu = content.menu(name)

    assert menu.question and menu.options


def test_main_menu_has_the_six_options_in_order():
    assert content.menu("principal").options == MAIN_MENU_TITLES


def test_missing_message_or_value_is_a_clear_error():
    with pytest.raises(content.ContentError, match=r"nao\.existe"):
        content.text("nao.existe")
    with pytest.raises(content.ContentError, match="protocolo"):
        content.text("geral.saudacao")


@pytest.mark.parametrize("key", USED_KEYS)
def test_at_most_one_emoji_per_message(key):
    values = {name: "X" for name in content.placeholders(key)}
    emoji = re.findall(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]", content.text(key, **values))

    assert len(emoji) <= 1


@pytest.mark.parametrize(
    "amount, expected",
    [(Decimal("99.9"), "R$ 99,90"), (Decimal("1234.56"), "R$ 1.234,56"), (Decimal("0"), "R$ 0,00")],
)
def test_brl(amount, expected):
    assert content.brl(amount) == expected


def test_dates_and_months_in_pt_br():
    assert content.day(date(2026, 3, 5)) == "05/03/2026"
    assert content.reference_month("2026-03") == "março/2026"
    assert content.reference_month("março") == "março"


def test_menu_reply_offers_the_same_options_interactively():
    reply = content.menu_reply("suporte")

    assert "*1* - Sem internet" in reply.text
    assert [option.id for option in reply.options] == ["1", "2", "3", "4"]
    assert reply.list_title == content.menu("suporte").title
