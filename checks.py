"""Everything that can be wrong before Theo answers anyone, found at once.

`python manage.py check` (`make check`, and the Render build) prints every
problem on one line, in Portuguese, naming the variable or the file and line;
gunicorn's master runs the start-up part before loading the app, and
`create_app` refuses to build on any of them (content/ checked first, the hours
and data as it loads them, so nothing is read twice). So a bad edit fails the deploy,
not the customers' messages.

What is checked:
- settings (config.py): every variable at once;
- content/: the three TOML files (syntax, with the line), every sentence key the
  code names, the `{placeholders}` each call fills, the short questions, help
  and subject names the engine builds from state and intent names, and the
  number of options of each menu;
- the business data the backend reads at start (the demo files, the outages);
- with `reach=True` (make check only): the database, and the backend's
  connection (IXC answers with this token; a CSV backend has customers).

Nothing here imports the conversation modules before their words are known to
load: a broken vocabulary would otherwise fail the import with a traceback.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import content
from config import Config, ConfigError, load_config

ROOT = Path(__file__).resolve().parent
CONTENT_DIR = ROOT / "content"
CODE = [
    *sorted(ROOT.glob("*.py")),
    *sorted((ROOT / "flows").glob("*.py")),
]
# Calls whose first argument is a sentence key, and how many keyword values they pass on.
KEY_FIRST = {"text", "say", "say_text", "ask_yes_no"}
KEY_SECOND = {"yes_no_step"}
MENU_CALLS = {"menu", "ask_menu", "menu_reply"}
OPTIONAL = {"has"}  # content.has(key): the sentence may be absent
CONTENT_FILES = ("messages.toml", "understanding.toml", "answers.toml", "faq.toml")
_KEY = re.compile(r"[a-z_]+(\.[a-z_0-9]+)+")


class StartupRefused(ValueError):
    """Theo must not start: `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def all_problems(environ: Mapping[str, str] | None = None, *, reach: bool = True) -> list[str]:
    """What `make check` prints: settings, content, data (and connections with `reach`)."""
    try:
        config = load_config(environ)
    except ConfigError as error:
        return error.problems + content_problems()
    return startup_problems(config) + (connection_problems(config) if reach else [])


def startup_problems(config: Config, content_dir: Path | None = None) -> list[str]:
    """What must hold before Theo may start with `config`."""
    return content_problems(content_dir) + data_problems(config)


def refuse_on_content_problems() -> None:
    """Raise StartupRefused when content/ is wrong (the data is checked as the app loads it)."""
    problems = content_problems()
    if problems:
        raise StartupRefused(problems)


def data_line(config: Config, error: ValueError) -> str:
    """One problem of the hours or the data files, as `make check` and the start-up say it."""
    text = str(error)
    return (
        text if text.startswith("ATTENDANCE_") else f"{_shown_path(Path(config.data_dir))}/{text}"
    )


# --- content/ -----------------------------------------------------------------------
def content_problems(content_dir: Path | None = None) -> list[str]:
    """The three content files: syntax first, then what the code expects of them."""
    folder = content_dir or CONTENT_DIR
    stamps = tuple(_stamp(folder / name) for name in CONTENT_FILES)
    return list(_content_problems(folder, stamps))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError:
        return (0, 0)
    return (status.st_mtime_ns, status.st_size)


@cache
def _content_problems(folder: Path, stamps: tuple) -> tuple[str, ...]:
    """Checked once per version of the files (every app built in a process asks)."""
    return tuple(_check_content(folder))


def _check_content(folder: Path) -> list[str]:
    messages, problems = _load_messages(folder / "messages.toml")
    problems += _vocabulary_problems(folder)
    if messages is None or problems:
        return problems
    problems += list(_sentence_problems(messages, folder / "messages.toml"))
    problems += list(_engine_sentence_problems(messages))
    problems += list(_menu_problems(messages))
    return problems


def _load_messages(path: Path) -> tuple[dict | None, list[str]]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except FileNotFoundError:
        return None, [f"{_shown_path(path)}: arquivo não encontrado"]
    except UnicodeDecodeError:
        return None, [f"{_shown_path(path)}: o arquivo não está em UTF-8"]
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        where = f"{_shown_path(path)}:{line.group(1) if line else '?'}"
        detail = re.sub(r"\s*\(at .*\)", "", str(error))
        return None, [f"{where}: erro de sintaxe TOML: confira aspas e colchetes ({detail})"]


def _vocabulary_problems(folder: Path) -> list[str]:
    """understanding.toml and answers.toml, each with its own loader's file:line errors."""
    from vocabulary import VocabularyError, load_vocabulary

    try:
        load_vocabulary(folder / "understanding.toml")
    except VocabularyError as error:
        return [f"content/{error}"]
    from answers import AnswersError, check_states, load_answers

    try:
        load_answers(folder / "answers.toml")
        check_states(_states(), folder / "answers.toml")
    except AnswersError as error:
        return [f"content/{error}"]
    return []


def _states() -> set[str]:
    from bot_logic import CONFIRM, ENGINE_STEPS
    from flows import STEPS

    return {*STEPS, *ENGINE_STEPS, CONFIRM}


def _sentence_problems(messages: dict, path: Path) -> Iterator[str]:
    """Every key the code names exists, and the values it passes fill its placeholders."""
    for use in code_uses():
        if use.menu:
            continue
        sentence = content.find(messages, use.key)
        where = f"{_shown_path(path)} [{use.key.rsplit('.', 1)[0]}] {use.key.rsplit('.', 1)[-1]}"
        if sentence is None:
            if not use.optional:
                yield f"{where}: frase ausente, usada em {use.place}"
            continue
        if not isinstance(sentence, str):
            yield f"{where}: deveria ser um texto entre aspas"
            continue
        if use.values is None:
            continue  # the call passes **values: they cannot be read here
        unknown = content.placeholders_in(sentence) - use.values
        if unknown:
            known = ", ".join(f"{{{name}}}" for name in sorted(use.values)) or "nenhuma"
            names = ", ".join(f"{{{name}}}" for name in sorted(unknown))
            yield f"{where}: {names} desconhecido (aqui valem: {known})"


def _engine_sentence_problems(messages: dict) -> Iterator[str]:
    """Sentences named from states and intents: short questions, subjects, recalls."""
    from answers import answers
    from flows import STEPS
    from understanding import VOCABULARY

    for state, step in STEPS.items():
        if step.brief is not None and content.find(messages, f"curta.{state}") is None:
            yield f"content/messages.toml [curta] {state}: pergunta curta ausente"
        words = answers().words(state)
        recalled = {"true": words.recall_yes, "false": words.recall_no}
        for answer, patterns in recalled.items():
            if (
                step.recall
                and patterns
                and content.find(messages, f"lembrado.{state}.{answer}") is None
            ):
                yield f"content/messages.toml [lembrado.{state}] {answer}: frase ausente"
    for intent in filter(None, VOCABULARY):
        if content.find(messages, f"assuntos.{intent}") is None:
            yield f"content/messages.toml [assuntos] {intent}: nome do assunto ausente"
    yield from _alert_label_problems(messages)


def _alert_label_problems(messages: dict) -> Iterator[str]:
    """Every kind of request has the name the team reads in its alert."""
    from records import REQUEST_KINDS

    for kind in REQUEST_KINDS:
        if not isinstance(content.find(messages, f"alerta.tipos.{kind}"), str):
            yield f"content/messages.toml [alerta.tipos] {kind}: nome do tipo de pedido ausente"


def _menu_problems(messages: dict) -> Iterator[str]:
    """Each menu the flows show has its question, title and the options the code reads."""
    from flows import MENUS

    for name, size in MENUS.items():
        menu = content.find(messages, f"menus.{name}")
        where = f"content/messages.toml [menus.{name}]"
        if not isinstance(menu, dict):
            yield f"{where}: menu ausente"
            continue
        for key in ("pergunta", "opcoes"):
            if key not in menu:
                yield f"{where}: falta {key}"
        options = menu.get("opcoes", [])
        if len(options) != size:
            yield f"{where}: opcoes deve ter {size} opções, tem {len(options)}"


class Use:
    """One place in the code that names a sentence (or a menu)."""

    def __init__(self, key: str, place: str, values: set[str] | None, *, menu: bool = False):
        self.key, self.place, self.values, self.menu = key, place, values, menu
        self.optional = False


@cache
def code_uses() -> list[Use]:
    """Sentence keys named in calls of the code, with the keyword values each call passes."""
    uses = []
    for path in CODE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                uses += _uses_in_call(node, f"{path.name}:{node.lineno}")
            elif isinstance(node, ast.Assign):
                uses += _uses_in_constant(node, f"{path.name}:{node.lineno}")
    return uses


def _uses_in_call(call: ast.Call, place: str) -> list[Use]:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    position = 1 if name in KEY_SECOND else 0
    if name not in KEY_FIRST | KEY_SECOND | MENU_CALLS | OPTIONAL or len(call.args) <= position:
        return []
    argument = call.args[position]
    if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
        return []  # a key built at run time: checked by _engine_sentence_problems
    if name in MENU_CALLS:
        return [Use(f"menus.{argument.value}", place, set(), menu=True)]
    if not _KEY.fullmatch(argument.value):
        return []
    passes_all = any(keyword.arg is None for keyword in call.keywords)
    values = None if passes_all else {k.arg for k in call.keywords if k.arg}
    use = Use(argument.value, place, values)
    use.optional = name in OPTIONAL
    return [use]


def _uses_in_constant(node: ast.Assign, place: str) -> list[Use]:
    """`NOTICE_KEY = "geral.muitas_mensagens"`: a key kept in a constant."""
    targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
    value = node.value
    if not any(t.endswith("_KEY") for t in targets) or not isinstance(value, ast.Constant):
        return []
    if isinstance(value.value, str) and _KEY.fullmatch(value.value):
        return [Use(value.value, place, None)]
    return []


# --- data and connections --------------------------------------------------------------
def data_problems(config: Config) -> list[str]:
    """Attendance hours and the files the backend reads at start."""
    from business_data import load_business_data, load_outage_seeds
    from hours import attendance_hours

    problems = []
    loads = (
        lambda: attendance_hours(config),
        lambda: load_business_data(config.data_dir),
        lambda: load_outage_seeds(config.data_dir),
    )
    for load in loads:
        try:
            load()
        except ValueError as error:
            problems.append(data_line(config, error))
    return problems


def connection_problems(config: Config) -> list[str]:
    """The database answers, and the backend has something to answer with."""
    from sqlalchemy.exc import SQLAlchemyError

    from backends import build_business
    from business_data import BackendUnavailable
    from records import RecordsStore

    try:
        store = RecordsStore(config.database_url, default_sqlite_path=config.sqlite_path)
    except (SQLAlchemyError, OSError) as error:
        return [f"DATABASE_URL: o banco não responde ({type(error).__name__})"]
    try:
        business = build_business(config, store)
        probe = getattr(business, "probe", None)
        return [] if probe is None else probe()
    except BackendUnavailable as error:
        return [f"BUSINESS_BACKEND={config.business_backend}: {error}"]
    finally:
        store.dispose()


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
