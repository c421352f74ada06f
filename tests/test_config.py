"""Configuration from the environment, refused early when it does not fit."""

from __future__ import annotations

import pytest

from app import create_app
from config import ROOT, ConfigError, load_config


def test_defaults_run_in_console_mode():
    config = load_config(environ={})

    assert config.console_mode
    assert config.session_ttl_seconds == 1800
    assert config.zapi_base_url == "https://api.z-api.io"
    assert config.zapi_interactive is False


def test_values_are_read_and_converted():
    config = load_config(
        environ={
            "ZAPI_INSTANCE_ID": "INST",
            "ZAPI_TOKEN": "TOK",
            "WEBHOOK_SECRET": "a-webhook-secret-0123456789",
            "ZAPI_INTERACTIVE": "true",
            "SESSION_TTL_SECONDS": "600",
            "ZAPI_READ_TIMEOUT": "7.5",
            "DATA_DIR": "data",
        }
    )

    assert not config.console_mode
    assert config.zapi_interactive is True
    assert config.session_ttl_seconds == 600
    assert config.zapi_read_timeout == 7.5
    assert config.data_dir == str(ROOT / "data")


@pytest.mark.parametrize(
    "environ, variable",
    [
        ({"ZAPI_INSTANCE_ID": "INST"}, "ZAPI_TOKEN"),
        ({"ZAPI_TOKEN": "TOK"}, "ZAPI_INSTANCE_ID"),
        ({"SESSION_TTL_SECONDS": "trinta"}, "SESSION_TTL_SECONDS"),
        ({"SESSION_TTL_SECONDS": "0"}, "SESSION_TTL_SECONDS"),
        ({"ZAPI_INTERACTIVE": "talvez"}, "ZAPI_INTERACTIVE"),
        ({"ZAPI_BASE_URL": "api.z-api.io"}, "ZAPI_BASE_URL"),
        ({"ZAPI_READ_TIMEOUT": "0"}, "ZAPI_READ_TIMEOUT"),
    ],
)
def test_bad_settings_stop_start_up_naming_the_variable(environ, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config(environ=environ)


def test_bad_attendance_hours_stop_create_app(tmp_path):
    config = load_config(
        environ={"ATTENDANCE_HOURS": "todo dia"}, sqlite_path=str(tmp_path / "db.sqlite3")
    )

    with pytest.raises(ValueError, match="ATTENDANCE_HOURS"):
        create_app(config)


def test_broken_demo_data_stops_create_app(tmp_path):
    config = load_config(
        environ={}, data_dir=str(tmp_path), sqlite_path=str(tmp_path / "db.sqlite3")
    )

    with pytest.raises(ValueError):
        create_app(config)


def test_env_example_documents_every_setting_and_loads_as_is():
    from dataclasses import fields

    from dotenv import dotenv_values

    from config import ENV_NAMES, Config

    example = dotenv_values(ROOT / ".env.example")
    documented = set(example)
    render = (ROOT / "render.yaml").read_text(encoding="utf-8")

    assert {ENV_NAMES[f.name] for f in fields(Config)} <= documented
    assert all(
        f"key: {ENV_NAMES[f.name]}" in render for f in fields(Config) if f.name != "sqlite_path"
    )
    assert load_config(environ={k: v for k, v in example.items() if v is not None}).console_mode


def test_make_run_listens_on_the_port_of_the_env_file(tmp_path):
    import shutil
    import subprocess

    shutil.copy(ROOT / "Makefile", tmp_path)
    for name in ("requirements.txt", "requirements-dev.txt", "constraints.txt", ".venv/.installed"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    (tmp_path / ".env").write_text("LOG_LEVEL=INFO\nPORT=5123\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin"}

    dry_run = subprocess.run(
        ["make", "-n", "run"], cwd=tmp_path, env=env, capture_output=True, text=True
    )

    assert "--bind 127.0.0.1:5123" in dry_run.stdout, dry_run.stderr
