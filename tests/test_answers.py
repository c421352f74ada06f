"""content/answers.toml: checked at load, errors name the file and line, edits take effect."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import flows
from answers import ANSWERS_FILE, AnswersError, answers, check_states, load_answers, read_yes_no


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped file with `old` replaced by `new` once."""
    text = ANSWERS_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "answers.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if needle in line)


def test_the_shipped_file_loads_and_names_only_real_questions():
    loaded = load_answers(ANSWERS_FILE)

    assert loaded.words("red_light").yes
    check_states(set(flows.STEPS))


def test_a_toml_syntax_error_names_the_line(tmp_path):
    path = broken_copy(tmp_path, "[red_light]\n", "[red_light\n")

    lines = path.read_text(encoding="utf-8").splitlines()
    line = lines.index("[red_light") + 1

    with pytest.raises(AnswersError, match=rf"answers\.toml:{line}: erro de sintaxe"):
        load_answers(path)


def test_a_bad_regex_names_its_line(tmp_path):
    path = broken_copy(tmp_path, "'\\bmesma coisa\\b', ", "'(mesma coisa', ")

    with pytest.raises(AnswersError) as problem:
        load_answers(path)

    assert f"answers.toml:{line_of(path, '(mesma coisa')}:" in str(problem.value)
    assert "expressão inválida" in str(problem.value)


def test_an_unknown_key_names_its_line(tmp_path):
    path = broken_copy(tmp_path, "[fiber_check]\n", "[fiber_check]\nsimm = ['x']\n")

    with pytest.raises(AnswersError, match=rf"answers\.toml:{line_of(path, 'simm =')}: .*simm"):
        load_answers(path)


def test_an_unknown_request_name_names_its_line(tmp_path):
    path = broken_copy(tmp_path, 'pedidos = ["contratar", "cobertura"]', 'pedidos = ["vender"]')

    with pytest.raises(AnswersError, match=r"answers\.toml:\d+: .*'vender'"):
        load_answers(path)


def test_an_option_that_is_not_a_number_names_its_line(tmp_path):
    path = broken_copy(tmp_path, "[visit_period.opcoes]\n", "[visit_period.opcoes]\nmanha = []\n")

    with pytest.raises(AnswersError, match=rf":{line_of(path, 'manha = []')}: .*'manha'"):
        load_answers(path)


def test_a_question_that_no_flow_asks_is_a_start_up_error(tmp_path):
    path = broken_copy(tmp_path, "[red_light]\n", "[luz_vermelha]\n")

    with pytest.raises(AnswersError, match=r"pergunta desconhecida 'luz_vermelha'"):
        check_states(set(flows.STEPS), path)


def test_a_phrase_added_to_a_copy_is_understood(tmp_path):
    before = load_answers(ANSWERS_FILE).words("red_light")
    path = broken_copy(tmp_path, "nao = ['\\b(verd", "nao = ['\\btudo certinho\\b', '\\b(verd")
    after = load_answers(path).words("red_light")

    assert read_yes_no(before, "aqui ta tudo certinho") == (None, False)
    assert read_yes_no(after, "aqui ta tudo certinho") == (False, True)


def test_every_shared_kind_has_phrases():
    shipped = answers()

    assert all(shipped.general[kind] for kind in shipped.general), [
        kind for kind, patterns in shipped.general.items() if not patterns
    ]
    assert re.search("vermelho", shipped.emoji_as_words("🔴"))
