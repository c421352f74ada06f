"""Theo's settings, read once from the environment and checked at start-up.

A missing or contradictory setting stops the app with a message naming the
variable, instead of failing on the first customer message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
TRUE_WORDS = {"1", "true", "yes", "on", "sim"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FALSE_WORDS = {"0", "false", "no", "off", "nao", "não", ""}
MIN_SECRET_CHARS = 16
# URL-safe, and what Render's generateValue produces (base64); "/" is kept by the route.
SECRET_SHAPE = re.compile(r"[A-Za-z0-9._~+/=-]{16,256}")


class ConfigError(ValueError):
    """A setting is missing, malformed or contradicts another."""


@dataclass(frozen=True)
class Config:
    """Every setting Theo reads; see `.env.example` for what each one means."""

    zapi_instance_id: str = ""
    zapi_token: str = ""
    zapi_client_token: str = ""
    zapi_base_url: str = "https://api.z-api.io"
    zapi_interactive: bool = False
    zapi_connect_timeout: float = 3.05
    zapi_read_timeout: float = 15.0
    zapi_retries: int = 3
    session_ttl_seconds: int = 1800
    human_session_ttl_seconds: int = 4 * 3600
    max_invalid_attempts: int = 3
    database_url: str = ""
    sqlite_path: str = str(ROOT / "instance" / "theo.sqlite3")
    data_dir: str = str(ROOT / "data")
    attendance_hours: str = ""
    attendance_timezone: str = "America/Sao_Paulo"
    request_deadline_business_days: int = 2
    max_body_bytes: int = 64 * 1024
    max_text_chars: int = 2000
    log_level: str = "INFO"
    trusted_proxy_hops: int = 0
    simulator_enabled: bool = False
    webhook_secret: str = ""
    admin_token: str = ""
    metrics_token: str = ""
    rate_limit_per_minute: int = 20
    redis_url: str = ""
    records_retention_days: int = 180
    # Delivery: "thread" sends from worker threads in the web process, "inline" right after
    # storing (tests, debugging), "off" when `python manage.py sender` runs apart.
    sender_mode: str = "thread"
    sender_concurrency: int = 8
    send_retry_hours: float = 6.0
    send_retry_first_seconds: float = 2.0
    send_retry_max_seconds: float = 300.0
    sends_per_phone_per_minute: int = 20
    repeat_answer_minutes: int = 5
    # Where customers, contracts and invoices come from: "demo" (data/), "csv" (spreadsheets
    # imported with `manage.py import`) or "ixc" (the IXC Provedor webservice).
    business_backend: str = "demo"
    ixc_base_url: str = ""
    ixc_token: str = ""
    ixc_visit_subject_id: str = ""
    ixc_ticket_subject_id: str = ""
    ixc_sector_id: str = ""
    ixc_branch_id: str = "1"
    ixc_suspended_statuses: str = "CA,FA"
    ixc_timeout_seconds: float = 8.0
    ixc_verify_tls: bool = True
    # LGPD: distinct CPF/CNPJ one phone may look up a day, and wrong CEP answers allowed.
    lookups_per_phone_per_day: int = 5
    identity_failures_per_day: int = 3

    @property
    def console_mode(self) -> bool:
        """True when no Z-API instance is configured: replies go to the console."""
        return not (self.zapi_instance_id or self.zapi_token)


SENDER_MODES = ("thread", "inline", "off")
BUSINESS_BACKENDS = ("demo", "csv", "ixc")
# As IXC shows a webservice token: the user id, a colon, the hash.
IXC_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9]{16,128}")
ENV_NAMES = {f.name: f.name.upper() for f in fields(Config)}


def load_config(environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Build the configuration from `environ` (default: os.environ) plus overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in fields(Config):
        raw = environ.get(ENV_NAMES[field.name])
        if raw is not None and raw.strip() != "":
            values[field.name] = _convert(field.name, raw.strip(), field.type)
    config = replace(Config(), **values, **overrides)
    validate(config)
    return replace(
        config, data_dir=_from_root(config.data_dir), sqlite_path=_from_root(config.sqlite_path)
    )


def _from_root(path: str) -> str:
    """Relative paths are relative to the project folder, wherever Theo is started from."""
    return str(ROOT / path) if not Path(path).is_absolute() else path


def _convert(name: str, raw: str, kind: Any) -> Any:
    env = ENV_NAMES[name]
    if kind in ("bool", bool):
        if raw.lower() in TRUE_WORDS | FALSE_WORDS:
            return raw.lower() in TRUE_WORDS
        raise ConfigError(f"{env} must be true or false, got {raw!r}")
    if kind in ("int", int, "float", float):
        number_type = int if kind in ("int", int) else float
        try:
            return number_type(raw)
        except ValueError:
            raise ConfigError(f"{env} must be a number, got {raw!r}") from None
    return raw


def validate(config: Config) -> None:
    """Raise ConfigError naming the variable when settings do not fit together."""
    if bool(config.zapi_instance_id) != bool(config.zapi_token):
        missing = "ZAPI_TOKEN" if config.zapi_instance_id else "ZAPI_INSTANCE_ID"
        raise ConfigError(
            f"{missing} is not set: set both ZAPI_INSTANCE_ID and ZAPI_TOKEN, "
            "or neither to run in console mode"
        )
    if not config.zapi_base_url.startswith(("https://", "http://")):
        raise ConfigError("ZAPI_BASE_URL must start with https:// (or http:// for a local fake)")
    positive = (
        "session_ttl_seconds",
        "human_session_ttl_seconds",
        "max_invalid_attempts",
        "max_body_bytes",
        "max_text_chars",
    )
    for name in positive:
        if getattr(config, name) <= 0:
            raise ConfigError(f"{ENV_NAMES[name]} must be greater than zero")
    if config.zapi_connect_timeout <= 0 or config.zapi_read_timeout <= 0:
        raise ConfigError("ZAPI_CONNECT_TIMEOUT and ZAPI_READ_TIMEOUT must be greater than zero")
    if config.log_level.upper() not in LOG_LEVELS:
        raise ConfigError(
            f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {config.log_level!r}"
        )
    if config.trusted_proxy_hops < 0:
        raise ConfigError("TRUSTED_PROXY_HOPS cannot be negative")
    if config.zapi_retries < 0 or config.request_deadline_business_days < 0:
        raise ConfigError("ZAPI_RETRIES and REQUEST_DEADLINE_BUSINESS_DAYS cannot be negative")
    _validate_security(config)
    _validate_business(config)


def _validate_business(config: Config) -> None:
    """The backend named exists, and IXC has what it needs to be reached."""
    if config.business_backend not in BUSINESS_BACKENDS:
        raise ConfigError(f"BUSINESS_BACKEND must be one of {', '.join(BUSINESS_BACKENDS)}")
    for name in ("lookups_per_phone_per_day", "identity_failures_per_day"):
        if getattr(config, name) <= 0:
            raise ConfigError(f"{ENV_NAMES[name]} must be greater than zero")
    if config.business_backend != "ixc":
        return
    if not config.ixc_base_url.startswith(("https://", "http://")):
        raise ConfigError(
            "IXC_BASE_URL must be the ERP's address, e.g. https://erp.provedor.com.br"
        )
    if not IXC_TOKEN_SHAPE.fullmatch(config.ixc_token):
        raise ConfigError(
            "IXC_TOKEN must be the webservice token exactly as IXC shows it: <user id>:<hash>"
        )
    if not (config.ixc_visit_subject_id and config.ixc_ticket_subject_id):
        raise ConfigError(
            "IXC_VISIT_SUBJECT_ID and IXC_TICKET_SUBJECT_ID must name the IXC subjects "
            "(su_oss_assunto ids) of technician visits and support tickets"
        )
    if config.ixc_timeout_seconds <= 0:
        raise ConfigError("IXC_TIMEOUT_SECONDS must be greater than zero")


def _validate_security(config: Config) -> None:
    """Secrets strong enough to guard a public URL; limits that make sense."""
    if not config.console_mode and not config.webhook_secret:
        raise ConfigError(
            "WEBHOOK_SECRET is not set: with Z-API credentials the webhook URL must carry a "
            "secret (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    if config.webhook_secret and not SECRET_SHAPE.fullmatch(config.webhook_secret):
        raise ConfigError(
            "WEBHOOK_SECRET must have 16 to 256 characters: letters, digits and - _ . ~ + / ="
        )
    for name in ("admin_token", "metrics_token"):
        if getattr(config, name) and len(getattr(config, name)) < MIN_SECRET_CHARS:
            raise ConfigError(f"{ENV_NAMES[name]} must have at least {MIN_SECRET_CHARS} characters")
    for name in ("rate_limit_per_minute", "records_retention_days"):
        if getattr(config, name) <= 0:
            raise ConfigError(f"{ENV_NAMES[name]} must be greater than zero")
    if config.sender_mode not in SENDER_MODES:
        raise ConfigError(f"SENDER_MODE must be one of {', '.join(SENDER_MODES)}")
    for name in (
        "sender_concurrency",
        "send_retry_hours",
        "send_retry_first_seconds",
        "send_retry_max_seconds",
        "sends_per_phone_per_minute",
    ):
        if getattr(config, name) <= 0:
            raise ConfigError(f"{ENV_NAMES[name]} must be greater than zero")
    if config.repeat_answer_minutes < 0:
        raise ConfigError("REPEAT_ANSWER_MINUTES cannot be negative")
    if config.redis_url and not config.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must start with redis:// or rediss://")
