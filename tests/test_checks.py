"""`make check`: every problem of settings, content and data, one line each, before a deploy.

Each broken fixture is a copy of the shipped files with one mistake an ops person
could make; the check names the place in one line and exits 1, and `create_app`
refuses to build on it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import checks
import manage
from app import create_app
from config import ROOT, load_config


@pytest.fixture
def content_copy(tmp_path, monkeypatch) -> Path:
    """A copy of content/ that the checks (and create_app) read instead of the shipped one."""
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    monkeypatch.setattr(checks, "CONTENT_DIR", folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def run_check(monkeypatch, capsys, **environ: str) -> tuple[int, list[str]]:
    for name in ("ZAPI_INSTANCE_ID", "ZAPI_TOKEN", "WEBHOOK_SECRET", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(manage, "load_dotenv", lambda: None)  # a developer's .env stays out
    code = manage.main(["check", "--offline"])
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    return code, lines


def test_the_shipped_files_pass(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "SQLITE_PATH": str(tmp_path / "t.sqlite3")}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    assert "Tudo certo" in done.stdout


# (what breaks, file, old text, new text, what the line must name)
CONTENT_MISTAKES = [
    (
        "a string broken by a newline",
        "messages.toml",
        'tudo_bem = "',
        'tudo_bem = "\n',
        r"content/messages.toml:\d+: erro de sintaxe",
    ),
    (
        "a placeholder typo",
        "messages.toml",
        "*{protocolo}*",  # the first sentence with it (the file's header names it too)
        "*{protocol}*",
        r"messages\.toml \[\w+\] \w+: \{protocol\} desconhecido \(aqui valem: .*\{protocolo\}",
    ),
    (
        "a sentence deleted",
        "messages.toml",
        "despedida = ",
        "despedida_velha = ",
        r"\[geral\] despedida: frase ausente",
    ),
    (
        "a menu with an option less",
        "messages.toml",
        '"Tentar de novo", ',
        "",
        r"\[menus.sistema_fora\]: opcoes deve ter 3 opções, tem 2",
    ),
    (
        "a short question deleted",
        "messages.toml",
        "\nred_light = ",
        "\nluz = ",
        r"\[curta\] red_light: pergunta curta ausente",
    ),
    (
        "a broken answers file",
        "answers.toml",
        "\n[red_light]\n",
        "\n[red_light\n",
        r"content/answers\.toml:\d+: erro de sintaxe",
    ),
    (
        "a broken understanding file",
        "understanding.toml",
        "\n[grupos]\n",
        "\n[grupos\n",
        r"content/understanding\.toml, linha \d+",
    ),
]


@pytest.mark.parametrize(
    "file, old, new, named",
    [pytest.param(*case[1:], id=case[0]) for case in CONTENT_MISTAKES],
)
def test_a_content_mistake_is_one_line_naming_the_place(
    content_copy, monkeypatch, capsys, file, old, new, named
):
    edit(content_copy / file, old, new)

    code, lines = run_check(monkeypatch, capsys)

    assert code == 1
    assert any(re.search(named, line) for line in lines), lines
    assert not any("Traceback" in line for line in lines)


@pytest.mark.parametrize(
    "file, old, new, named",
    [pytest.param(*case[1:], id=case[0]) for case in CONTENT_MISTAKES],
)
def test_create_app_refuses_a_content_mistake(content_copy, tmp_path, file, old, new, named):
    edit(content_copy / file, old, new)
    config = load_config(environ={}, sqlite_path=str(tmp_path / "t.sqlite3"))

    with pytest.raises(checks.StartupRefused, match=named):
        create_app(config)


@pytest.mark.parametrize(
    "environ, named",
    [
        ({"ATTENDANCE_HOURS": "todo dia"}, "ATTENDANCE_HOURS"),
        ({"ATTENDANCE_TIMEZONE": "Brasil/Sao Paulo"}, "ATTENDANCE_TIMEZONE: fuso"),
        ({"DATABASE_URL": "meu-banco"}, "DATABASE_URL: deve ser"),
        ({"SESSION_TTL_SECONDS": "trinta"}, "SESSION_TTL_SECONDS: deve ser um número"),
        ({"WEBHOOK_SECRET": "curto"}, "WEBHOOK_SECRET: deve ter de 16"),
        ({"HANDBACK_COMMAND": "volta theo"}, "HANDBACK_COMMAND: deve ser uma palavra só"),
    ],
)
def test_a_setting_mistake_is_one_line_in_portuguese(monkeypatch, capsys, environ, named):
    code, lines = run_check(monkeypatch, capsys, **environ)

    assert code == 1
    assert any(line.startswith(named) for line in lines), lines


def test_every_setting_problem_is_listed_at_once(monkeypatch, capsys):
    code, lines = run_check(
        monkeypatch, capsys, SESSION_TTL_SECONDS="0", LOG_LEVEL="muito", DATABASE_URL="x"
    )

    assert code == 1
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "SESSION_TTL_SECONDS",
        "LOG_LEVEL",
        "DATABASE_URL",
    ]


def test_secrets_are_masked_in_the_problem(monkeypatch, capsys):
    secret = "short-secret"
    code, lines = run_check(monkeypatch, capsys, ADMIN_TOKEN=secret)

    assert code == 1
    assert any(line.startswith("ADMIN_TOKEN") for line in lines)
    assert secret not in "\n".join(lines)


def test_a_broken_data_file_names_the_file_and_field(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    customers = json.loads((data / "customers.json").read_text(encoding="utf-8"))
    customers["customers"][0]["invoices"][0]["amount"] = "99,90"
    (data / "customers.json").write_text(json.dumps(customers), encoding="utf-8")

    code, lines = run_check(monkeypatch, capsys, DATA_DIR=str(data))

    assert code == 1
    assert any("customers[0].invoices[0].amount" in line for line in lines), lines


def test_gunicorn_refuses_to_start_with_one_line_per_problem(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "SQLITE_PATH": str(tmp_path / "t.sqlite3"),
        "ATTENDANCE_TIMEZONE": "Brasil/Sao Paulo",
    }
    done = subprocess.run(
        [sys.executable, "-m", "gunicorn", "app:app", "--config", "gunicorn.conf.py",
         "--bind", "127.0.0.1:0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert done.returncode != 0
    assert "Theo não pode iniciar: ATTENDANCE_TIMEZONE: fuso horário desconhecido" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unreachable_database_is_one_line_at_start(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": "postgresql://theo@127.0.0.1:1/nada",  # nothing listens on port 1
    }
    done = subprocess.run(
        [sys.executable, "-c", "import app; app.app"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert done.returncode == 3
    assert "Theo não pode iniciar: DATABASE_URL: o banco não responde" in done.stderr
    assert "Traceback" not in done.stderr
