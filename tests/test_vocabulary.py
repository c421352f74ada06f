"""Tests of the vocabulary file: it loads, it can grow, and mistakes name their line."""

from __future__ import annotations

from pathlib import Path

import pytest

import understanding as nlu
from vocabulary import (
    BOLETO,
    COBERTURA,
    INTENTS,
    VOCABULARY_FILE,
    Vocabulary,
    VocabularyError,
    default_vocabulary,
    load_vocabulary,
)

SHIPPED = VOCABULARY_FILE.read_text(encoding="utf-8")


def edited_copy(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped file with `old` (written exactly once) replaced by `new`."""
    assert SHIPPED.count(old) == 1, f"{old!r} must occur once in the shipped file"
    path = tmp_path / "understanding.toml"
    path.write_text(SHIPPED.replace(old, new), encoding="utf-8")
    return path


def line_of(path: Path, text: str, after: str = "") -> int:
    """The number of the first line holding `text`, below the first line holding `after`."""
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next(n for n, line in enumerate(lines) if after in line)
    return next(n + 1 for n, line in enumerate(lines) if n >= start and text in line)


def load_error(path: Path) -> str:
    with pytest.raises(VocabularyError) as caught:
        load_vocabulary(path)
    return str(caught.value)


# --- The shipped file ----------------------------------------------------------------------
def test_the_shipped_file_loads_with_every_intent() -> None:
    vocabulary = load_vocabulary(VOCABULARY_FILE)
    assert isinstance(vocabulary, Vocabulary)
    assert set(vocabulary.intents) == set(INTENTS)
    assert sorted(vocabulary.priority) == sorted(INTENTS)
    assert vocabulary.ignored
    assert vocabulary.groups["net"][0] == "internet"
    assert vocabulary.choice.numbers["dois"] == 2
    assert vocabulary.yes_no.emoji["👍"] == "sim"


def test_the_shipped_file_is_read_once() -> None:
    assert default_vocabulary() is default_vocabulary()


def test_understanding_uses_the_shipped_file() -> None:
    vocabulary = default_vocabulary()
    for intent, words in vocabulary.intents.items():
        assert nlu.VOCABULARY[intent] == words
    assert nlu.VOCABULARY[nlu.IGNORED].phrases == vocabulary.ignored
    assert vocabulary.priority == nlu.PRIORITY


# --- Adding words ----------------------------------------------------------------------------
def test_a_phrase_added_to_a_copy_is_understood(tmp_path: Path) -> None:
    assert nlu.detect_intent("cade o carne") is None
    path = edited_copy(tmp_path, '    "pix",\n', '    "pix",\n    "carne",\n')
    copy = nlu.Understanding(load_vocabulary(path))
    assert copy.detect_intent("cade o carne") == BOLETO
    assert copy.detect_intent("cadê o carnê???") == BOLETO
    assert nlu.detect_intent("cade o carne") is None  # the shipped vocabulary is untouched


def test_a_group_entry_added_to_a_copy_is_understood_in_its_phrases(tmp_path: Path) -> None:
    assert nlu.detect_intent("voces atendem na gleba") is None
    path = edited_copy(tmp_path, '    "povoado",\n', '    "povoado",\n    "gleba",\n')
    copy = nlu.Understanding(load_vocabulary(path))
    assert copy.detect_intent("voces atendem na gleba") == COBERTURA


def test_a_copy_answers_like_the_module_on_the_same_file() -> None:
    copy = nlu.Understanding(load_vocabulary(VOCABULARY_FILE))
    for text in ("2ª via pfv", "tô sem net", "quero cancelar", "👍", "opção 3", "menu"):
        assert copy.detect_intent(text) == nlu.detect_intent(text)
        assert copy.parse_yes_no(text) == nlu.parse_yes_no(text)
        assert copy.parse_choice(text, 6) == nlu.parse_choice(text, 6)
        assert copy.detect_command(text) == nlu.detect_command(text)


# --- Mistakes name their line ------------------------------------------------------------------
def test_a_toml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = edited_copy(tmp_path, '    "pix",\n', '    "pix,\n')  # the closing quote is missing
    broken = line_of(path, '"pix,')
    message = load_error(path)
    assert message.startswith(f"understanding.toml, linha {broken}:")
    assert "não é um TOML válido" in message


def test_an_unknown_intent_names_its_section_line(tmp_path: Path) -> None:
    path = edited_copy(tmp_path, "[intencoes.cobertura]", "[intencoes.coberturas]")
    message = load_error(path)
    assert f"linha {line_of(path, '[intencoes.coberturas]')}:" in message
    assert 'intenção desconhecida "coberturas"' in message


def test_an_unknown_group_names_the_phrase_and_its_line(tmp_path: Path) -> None:
    path = edited_copy(tmp_path, '"sem/s {net}",', '"sem/s {rede}",')
    message = load_error(path)
    assert f"linha {line_of(path, '{rede}')}:" in message
    assert '"sem/s {rede}"' in message
    assert "{rede}, que não existe em [grupos]" in message


def test_an_unknown_command_names_its_line(tmp_path: Path) -> None:
    path = edited_copy(tmp_path, "[comandos]\n", '[comandos]\nvoltar = ["volte"]\n')
    message = load_error(path)
    assert f"linha {line_of(path, 'voltar = ')}:" in message
    assert 'comando desconhecido "voltar"' in message


def test_a_phrase_that_compiles_to_a_bad_regex_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every word is escaped, so the file alone cannot produce a bad regex: a fault of the
    # compiler is simulated, to check that the message still points at the phrase.
    path = edited_copy(tmp_path, '    "pix",\n', '    "pix",\n    "frase quebrada",\n')
    real = nlu._word_regex
    monkeypatch.setattr(nlu, "_word_regex", lambda word: "(" if word == "quebrada" else real(word))
    with pytest.raises(VocabularyError) as caught:
        nlu.Understanding(load_vocabulary(path))
    message = str(caught.value)
    assert f"linha {line_of(path, 'frase quebrada')}:" in message
    assert '"frase quebrada"' in message


def test_a_phrase_of_two_intents_names_the_second_line(tmp_path: Path) -> None:
    # Already a phrase of [intencoes.boleto]; the extra spaces do not hide the repetition.
    rescind = '    "rescindir/rescisao/recisao/resindir/distrato",\n'
    path = edited_copy(tmp_path, rescind, rescind + '    "codigo  de barras",\n')
    message = load_error(path)
    assert f"linha {line_of(path, 'codigo  de barras')}:" in message
    assert '"codigo  de barras"' in message
    assert "[intencoes.boleto]" in message
    assert "[intencoes.cancelar]" in message


def test_a_phrase_also_ignored_is_a_phrase_of_two_intents(tmp_path: Path) -> None:
    path = edited_copy(tmp_path, '    "ja foi pago",\n', '    "ja foi pago",\n    "pix",\n')
    ignored_line = line_of(path, '"pix"', after="[ignorar]")
    message = load_error(path)
    assert f"linha {ignored_line}:" in message
    assert "[intencoes.boleto]" in message
    assert "[ignorar]" in message


def test_a_priority_missing_an_intent_names_the_list(tmp_path: Path) -> None:
    path = edited_copy(tmp_path, '    "lenta",\n    "outro_problema",\n', '    "outro_problema",\n')
    message = load_error(path)
    assert f"linha {line_of(path, 'ordem = [')}:" in message
    assert "faltam intenções em [prioridade]: lenta." in message


def test_a_priority_repeating_an_intent_names_the_repetition(tmp_path: Path) -> None:
    path = edited_copy(tmp_path, '    "cobertura",\n]', '    "cobertura",\n    "boleto",\n]')
    repeated = line_of(path, '"cobertura"', after="[prioridade]") + 1
    message = load_error(path)
    assert f"linha {repeated}:" in message
    assert 'a intenção "boleto" aparece duas vezes' in message


def test_a_priority_naming_an_unknown_intent_names_its_line(tmp_path: Path) -> None:
    path = edited_copy(tmp_path, '    "cobertura",\n]', '    "cobertura",\n    "boletos",\n]')
    unknown = line_of(path, '"boletos"')
    message = load_error(path)
    assert f"linha {unknown}:" in message
    assert 'intenção desconhecida "boletos"' in message


def test_an_accented_phrase_is_refused_with_its_plain_spelling(tmp_path: Path) -> None:
    path = edited_copy(tmp_path, '    "pix",\n', '    "pix",\n    "não pago",\n')
    message = load_error(path)
    assert f"linha {line_of(path, 'não pago')}:" in message
    assert '"nao pago"' in message


def test_an_unknown_key_names_its_line(tmp_path: Path) -> None:
    path = edited_copy(tmp_path, "[intencoes.boleto]\n", '[intencoes.boleto]\nfrase = ["x"]\n')
    message = load_error(path)
    assert f"linha {line_of(path, 'frase = ')}:" in message
    assert 'chave desconhecida "frase"' in message


def test_the_error_is_a_value_error_carrying_the_line(tmp_path: Path) -> None:
    path = edited_copy(tmp_path, '"sem/s {net}",', '"sem/s {rede}",')
    with pytest.raises(ValueError, match="linha") as caught:
        load_vocabulary(path)
    assert isinstance(caught.value, VocabularyError)
    assert caught.value.line == line_of(path, "{rede}")
    assert caught.value.path == path
