"""Rewording what Theo says breaks no test: only the `golden` tests pin wording.

The README tells whoever edits content/messages.toml to run `make test`. That must
not punish a plain text change: tests refer to Theo's sentences by key
(`content.text`, `conftest.says`) or check the state and the recorded requests.
This test rewrites every sentence of messages.toml in a copy of the project and
runs the conversation tests there, leaving out the golden ones.
"""

from __future__ import annotations

import json
import re
import shutil
import string
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import content
from conftest import TURN_SEPARATOR, option, says, shows_menu

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = Path("content") / "messages.toml"
# Tests that drive conversations; each refers to Theo's sentences by key only.
WORDING_FREE = (
    "tests/test_flows.py",
    "tests/test_engine.py",
    "tests/test_identity.py",
    "tests/test_backends.py",
    "tests/test_mid_flow_answers.py",
    "tests/test_webhook.py",
    "tests/test_checks.py",
    "tests/test_content.py",
    "tests/test_simulator.py",
)
NOT_COPIED = {".git", ".venv", "instance", "__pycache__", ".pytest_cache", ".ruff_cache"}
WORD = re.compile(r"[^\W\d_]{3,}")  # a word of three letters or more
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


# --- The helpers tests use to refer to sentences by key ----------------------------------------
def test_says_with_every_value_is_the_sentence_verbatim():
    answer = content.text("boleto.varias_faturas", total=2, documento="529.***.***-25")

    assert says(answer, "boleto.varias_faturas", total=2, documento="529.***.***-25")
    assert not says(answer, "boleto.varias_faturas", total=3, documento="529.***.***-25")
    assert not says(answer, "boleto.uma_fatura")


def test_says_without_values_matches_the_fixed_parts_whatever_the_placeholders_hold():
    sent = content.text("geral.encerramento", protocolo="20261124000042")

    assert says(sent, "geral.encerramento")
    assert says(sent, "geral.encerramento", protocolo="20261124000042")
    assert not says(sent, "geral.encerramento", protocolo="20261124000043")
    assert says(
        content.text("suporte.manutencao", mensagem="Fibra rompida.", previsao="hoje às 16h"),
        "suporte.manutencao",
        previsao="hoje às 16h",  # some values given, the others anything
    )


def test_says_finds_a_sentence_joined_to_others_in_one_message_or_in_a_turn():
    first = content.text("documento.ja_informado", documento="529.***.***-25")
    question = content.text("suporte.luz_vermelha")  # several lines
    turn = TURN_SEPARATOR.join(["outra mensagem", f"{first}\n\n{question}"])

    assert says(turn, "documento.ja_informado") and says(turn, "suporte.luz_vermelha")
    assert not says(turn[: len(turn) - 5], "suporte.luz_vermelha")  # cut short: not said


def test_a_placeholder_never_spans_two_messages_of_a_turn():
    template = content.text("vendas.coberto", cep="\x00").split("\x00")
    split_over_two = TURN_SEPARATOR.join([template[0] + "01310", "100" + template[1]])

    assert not says(split_over_two, "vendas.coberto")
    assert says(template[0] + "01310-100" + template[1], "vendas.coberto")


def test_shows_menu_needs_every_option_in_order_after_its_question():
    menu = content.menu("suporte")
    shown = content.menu_reply("suporte").text

    assert shows_menu(shown, "suporte")
    assert not shows_menu(shown.replace(menu.question, ""), "suporte")
    assert shows_menu(shown.replace(menu.question, ""), "suporte", question=False)
    assert not shows_menu(shown.replace(f"*4* - {menu.options[3]}", ""), "suporte")
    assert option("suporte", 2) == menu.options[1]


def test_chat_said_reads_the_last_answer(chat):
    chat.say("oi")

    assert chat.said("geral.saudacao", protocolo=chat.protocol())
    assert not chat.said("documento.pedir_boleto")
    chat.say("1")
    assert chat.said("documento.pedir_boleto") and not chat.said("geral.saudacao")


# --- A copy of the project ------------------------------------------------------------------
def project_files(root: Path) -> list[Path]:
    """The files of the working tree git knows of (tracked or not ignored), relative."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({Path(name) for name in listed.split("\0") if name})


def copy_project(root: Path, destination: Path) -> None:
    """The project as it is on disk now (uncommitted edits too), without caches or secrets."""
    try:
        files = project_files(root)
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: copy the folder
        shutil.copytree(
            root, destination, ignore=shutil.ignore_patterns(*NOT_COPIED, ".env", "*.pyc")
        )
        return
    for relative in files:
        source = root / relative
        if source.is_file():  # listed but deleted in the working tree: skip
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


# --- Every sentence reworded ----------------------------------------------------------------
def reword(template: str) -> str:
    """The same sentence in other words: "Novo: " first, every word of 3+ letters backwards.

    Placeholders ({protocolo}) and everything but letters (numbers, *bold*, emoji,
    line breaks, "?") stay, so the sentence keeps its values and its shape.
    """
    pieces = ["Novo: "]
    for literal, name, spec, conversion in string.Formatter().parse(template):
        changed = WORD.sub(lambda word: word.group()[::-1], literal)
        pieces.append(changed.replace("{", "{{").replace("}", "}}"))
        if name is not None:
            field = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            pieces.append("{" + field + "}")
    return "".join(pieces)


def reworded(messages: dict) -> dict:
    """Every sentence of the content file reworded, menus' questions and titles too.

    Menus' option titles (`opcoes`) stay: a tap on a menu sent before a session
    expired carries the option's title, and Theo reads it like typed words
    (understanding.toml), so renaming an option is a change of what Theo
    understands, not only of what it says. Tests read the titles via content.menu.
    """
    return {
        key: reworded(value)
        if isinstance(value, dict)
        else value
        if isinstance(value, list)
        else reword(value)
        for key, value in messages.items()
    }


def toml_text(messages: dict) -> str:
    """messages.toml written back: tables of strings and lists of strings."""

    def key(name: str) -> str:
        return name if BARE_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)

    def value(item: object) -> str:  # a JSON string is a valid TOML basic string
        if isinstance(item, list):
            return "[" + ", ".join(value(element) for element in item) + "]"
        return json.dumps(item, ensure_ascii=False)

    lines: list[str] = []

    def table(path: list[str], node: dict) -> None:
        if path:
            lines.extend(["", "[" + ".".join(map(key, path)) + "]"])
        lines.extend(
            f"{key(name)} = {value(item)}"
            for name, item in node.items()
            if not isinstance(item, dict)
        )
        for name, item in node.items():
            if isinstance(item, dict):
                table([*path, name], item)

    table([], messages)
    return "\n".join(lines) + "\n"


def test_reword_keeps_placeholders_and_changes_the_words():
    template = "Olá! 👋 Seu protocolo é *{protocolo}*.\nAté {prazo:>3} ou {{não}}?"

    changed = reword(template)

    assert changed == "Novo: álO! 👋 ueS olocotorp é *{protocolo}*.\nétA {prazo:>3} ou {{oãn}}?"
    assert changed.format(protocolo="1", prazo="2").count("?") == 1


def test_the_reworded_file_is_valid_toml_with_the_same_keys():
    original = tomllib.loads((ROOT / MESSAGES).read_text(encoding="utf-8"))

    rewritten = tomllib.loads(toml_text(reworded(original)))

    def shape(node: object) -> object:
        if isinstance(node, dict):
            return {name: shape(item) for name, item in node.items()}
        return len(node) if isinstance(node, list) else str

    def texts(node: object) -> list[str]:
        if isinstance(node, dict):
            return [text for item in node.values() for text in texts(item)]
        return [] if isinstance(node, list) else [node]

    def options(node: object) -> list[object]:
        if isinstance(node, dict):
            return [found for item in node.values() for found in options(item)]
        return [node] if isinstance(node, list) else []

    assert shape(rewritten) == shape(original)
    assert options(rewritten) == options(original)
    for before, after in zip(texts(original), texts(rewritten), strict=True):
        assert after != before and after.startswith("Novo: ")
        fields = [name for _, name, _, _ in string.Formatter().parse(before) if name]
        assert [name for _, name, _, _ in string.Formatter().parse(after) if name] == fields


# --- The suite on the reworded copy -----------------------------------------------------------
@pytest.mark.timeout(900)
def test_rewording_every_sentence_breaks_no_test_but_the_golden_ones(tmp_path):
    project = tmp_path / "theo"
    copy_project(ROOT, project)
    messages = tomllib.loads((project / MESSAGES).read_text(encoding="utf-8"))
    (project / MESSAGES).write_text(toml_text(reworded(messages)), encoding="utf-8")
    rewritten = tomllib.loads((project / MESSAGES).read_text(encoding="utf-8"))
    assert rewritten["geral"]["saudacao"] != messages["geral"]["saudacao"]  # greets otherwise

    command = [sys.executable, "-m", "pytest", "-q", "-m", "not golden", "-p", "no:cacheprovider"]
    quiet = ["--tb=short", "--show-capture=no"]  # the assertion, not every log line
    run = subprocess.run(
        [*command, *quiet, *WORDING_FREE],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )

    tail = "\n".join((run.stdout + run.stderr).splitlines()[-80:])
    assert run.returncode == 0, f"tests that depend on the wording of messages.toml:\n{tail}"
