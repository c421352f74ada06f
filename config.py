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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from billing_rules import parse_due_days

ROOT = Path(__file__).resolve().parent
TRUE_WORDS = {"1", "true", "yes", "on", "sim"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "text")
FALSE_WORDS = {"0", "false", "no", "off", "nao", "não", ""}
MIN_SECRET_CHARS = 16
# URL-safe, and what Render's generateValue produces (base64); "/" is kept by the route.
SECRET_SHAPE = re.compile(r"[A-Za-z0-9._~+/=-]{16,256}")


class ConfigError(ValueError):
    """Settings that are missing, malformed or contradict each other: every one of them.

    `problems` holds one line per setting, in Portuguese (ops people read them),
    naming the variable, the value received (secrets masked) and a good example.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


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
    # Theo takes a chat back after this long without a message from the attendant.
    handoff_idle_hours: float = 12.0
    human_session_ttl_seconds: int = 0  # deprecated: HANDOFF_IDLE_HOURS in seconds, if set
    max_invalid_attempts: int = 3
    database_url: str = ""
    sqlite_path: str = str(ROOT / "instance" / "theo.sqlite3")
    data_dir: str = str(ROOT / "data")
    attendance_hours: str = ""
    attendance_timezone: str = "America/Sao_Paulo"
    attendance_state: str = ""  # UF whose state holidays close attendance, e.g. "SP"
    attendance_closed_dates: str = ""  # "25/01; 24/12 12h; 31/12 12h; 20/11/2026"
    request_deadline_business_days: int = 2
    max_body_bytes: int = 64 * 1024
    max_text_chars: int = 2000
    log_level: str = "INFO"
    log_format: str = "json"  # json: one object per line (production); text: for people
    csat_enabled: bool = False  # one 1-5 question after a resolved flow (flows/survey.py)
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
    # What an attendant types in the chat to give it back to Theo (case and accents aside).
    handback_command: str = "#theo"
    # Numbers (and group ids) Theo never answers nor records: staff, suppliers, test phones.
    ignored_phones: str = ""
    # LGPD: distinct CPF/CNPJ one phone may look up a day, and wrong CEP answers allowed.
    lookups_per_phone_per_day: int = 5
    identity_failures_per_day: int = 3
    # Timers (timers.py): one "Ainda está aí?" after this much mid-flow silence (0: none),
    # the goodbye at expiry, the hand-back; checked every TIMERS_POLL_SECONDS.
    idle_reminder_minutes: float = 10.0
    timers_enabled: bool = True
    timers_poll_seconds: float = 5.0
    # Team alerts (team_alerts.py): every recorded request goes to this WhatsApp number or
    # group id, and, when set, as a JSON POST to the webhook (signed with the secret).
    team_phone: str = ""
    team_webhook_url: str = ""
    team_webhook_secret: str = ""
    # Billing (flows/paid.py, flows/billing.py): due days a customer may switch to, minutes the
    # ERP takes to unlock after a confirmed payment, business days a boleto takes to clear.
    due_days: str = "5,10,15,20,25"
    unlock_wait_minutes: int = 30
    boleto_clearing_business_days: int = 3
    # How long a sign-in on the ops page (/painel) lasts.
    painel_session_hours: int = 12

    @property
    def console_mode(self) -> bool:
        """True when no Z-API instance is configured: replies go to the console."""
        return not (self.zapi_instance_id or self.zapi_token)

    @property
    def handoff_idle_seconds(self) -> float:
        """How long Theo stays silent after the attendant's last message (or the handoff)."""
        return self.human_session_ttl_seconds or self.handoff_idle_hours * 3600


SENDER_MODES = ("thread", "inline", "off")
BUSINESS_BACKENDS = ("demo", "csv", "ixc")
# As IXC shows a webservice token: the user id, a colon, the hash.
IXC_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9]{16,128}")
ENV_NAMES = {f.name: f.name.upper() for f in fields(Config)}


# Values never shown whole in an error: a glimpse is enough to recognise them.
SECRET_FIELDS = frozenset(
    {"zapi_token", "zapi_client_token", "webhook_secret", "admin_token", "metrics_token",
     "ixc_token", "team_webhook_secret"}
)  # fmt: skip


def load_config(environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Build the configuration from `environ` (default: os.environ) plus overrides.

    Raises ConfigError listing every problem, not only the first.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in fields(Config):
        raw = environ.get(ENV_NAMES[field.name])
        if raw is not None and raw.strip() != "":
            try:
                values[field.name] = _convert(field.name, raw.strip(), field.type)
            except ConfigError as error:
                problems += error.problems
    config = replace(Config(), **values, **overrides)
    problems += config_problems(config)
    if problems:
        raise ConfigError(problems)
    return replace(
        config, data_dir=_from_root(config.data_dir), sqlite_path=_from_root(config.sqlite_path)
    )


def _from_root(path: str) -> str:
    """Relative paths are relative to the project folder, wherever Theo is started from."""
    return str(ROOT / path) if not Path(path).is_absolute() else path


def shown(name: str, value: object) -> str:
    """A received value as an error may show it: secrets masked, long values cut."""
    text = str(value)
    if name in SECRET_FIELDS and text:
        return f"'{text[:2]}…' ({len(text)} caracteres)"
    return repr(text if len(text) <= 60 else text[:57] + "...")


def problem(name: str, what: str, value: object = None, example: str = "") -> str:
    """One line: the variable, what is wrong, what was received, a good example."""
    line = f"{ENV_NAMES.get(name, name)}: {what}"
    if value is not None:
        line += f" (recebido: {shown(name, value)})"
    if example:
        line += f"; exemplo: {ENV_NAMES.get(name, name)}={example}"
    return line


def _convert(name: str, raw: str, kind: Any) -> Any:
    if kind in ("bool", bool):
        if raw.lower() in TRUE_WORDS | FALSE_WORDS:
            return raw.lower() in TRUE_WORDS
        raise ConfigError([problem(name, "deve ser true ou false", raw, "true")])
    if kind in ("int", int, "float", float):
        number_type = int if kind in ("int", int) else float
        try:
            return number_type(raw)
        except ValueError:
            example = "30" if number_type is int else "7.5"
            raise ConfigError([problem(name, "deve ser um número", raw, example)]) from None
    return raw


POSITIVE = (
    "session_ttl_seconds", "handoff_idle_hours", "timers_poll_seconds", "max_invalid_attempts",
    "max_body_bytes", "max_text_chars", "zapi_connect_timeout", "zapi_read_timeout",
    "rate_limit_per_minute", "records_retention_days", "sender_concurrency", "send_retry_hours",
    "send_retry_first_seconds", "send_retry_max_seconds", "sends_per_phone_per_minute",
    "lookups_per_phone_per_day", "identity_failures_per_day", "ixc_timeout_seconds",
    "unlock_wait_minutes", "boleto_clearing_business_days",
    "painel_session_hours",
)  # fmt: skip
NOT_NEGATIVE = (
    "trusted_proxy_hops", "zapi_retries", "request_deadline_business_days",
    "repeat_answer_minutes", "human_session_ttl_seconds", "idle_reminder_minutes",
)  # fmt: skip
# A WhatsApp number (digits, any punctuation) or a Z-API group id ("1203…-group").
TEAM_PHONE_SHAPE = re.compile(r"\+?[0-9][0-9 ().-]{8,24}|[0-9]{6,40}-group")
LOCAL_HOSTS = re.compile(r"http://(localhost|127\.0\.0\.1)(:[0-9]+)?(/.*)?")


def validate(config: Config) -> None:
    """Raise ConfigError listing every setting that does not fit."""
    problems = config_problems(config)
    if problems:
        raise ConfigError(problems)


def config_problems(config: Config) -> list[str]:
    """Every problem of `config`, one pt-BR line each (empty when all is well)."""
    problems = [
        problem(name, "deve ser maior que zero", getattr(config, name), "10")
        for name in POSITIVE
        if getattr(config, name) <= 0
    ]
    problems += [
        problem(name, "não pode ser negativo", getattr(config, name), "0")
        for name in NOT_NEGATIVE
        if getattr(config, name) < 0
    ]
    if not config.handback_command.strip() or " " in config.handback_command.strip():
        problems.append(
            problem("handback_command", "deve ser uma palavra só", config.handback_command, "#theo")
        )
    checks = (_zapi_problems, _security_problems, _choice_problems, _place_problems, _team_problems)
    for check in checks:
        problems += check(config)
    problems += _business_problems(config)
    problems += _billing_problems(config)
    return problems


def _billing_problems(config: Config) -> list[str]:
    """DUE_DAYS: the days of the month a customer may choose for the due date."""
    try:
        parse_due_days(config.due_days)
    except ValueError as error:
        return [problem("due_days", str(error), config.due_days, "5,10,15,20,25")]
    return []


def _zapi_problems(config: Config) -> list[str]:
    problems = []
    if bool(config.zapi_instance_id) != bool(config.zapi_token):
        missing = "zapi_token" if config.zapi_instance_id else "zapi_instance_id"
        problems.append(
            problem(
                missing,
                "falta: defina ZAPI_INSTANCE_ID e ZAPI_TOKEN juntos (ou nenhum dos dois, para o "
                "modo console)",
                example="<copie do painel da Z-API>",
            )
        )
    if not config.zapi_base_url.startswith(("https://", "http://")):
        problems.append(
            problem(
                "zapi_base_url",
                "deve começar com https://",
                config.zapi_base_url,
                "https://api.z-api.io",
            )
        )
    return problems


def _security_problems(config: Config) -> list[str]:
    """Secrets strong enough to guard a public URL."""
    problems = []
    if not config.console_mode and not config.webhook_secret:
        problems.append(
            problem(
                "webhook_secret",
                "obrigatório com a Z-API configurada: a URL do webhook precisa de um segredo "
                "(gere um com: python -c 'import secrets; print(secrets.token_urlsafe(32))')",
                example="Xy3...(32 caracteres)",
            )
        )
    if config.webhook_secret and not SECRET_SHAPE.fullmatch(config.webhook_secret):
        problems.append(
            problem(
                "webhook_secret",
                "deve ter de 16 a 256 caracteres, entre letras, dígitos e - _ . ~ + / =",
                config.webhook_secret,
                "Xy3...(32 caracteres)",
            )
        )
    for name in ("admin_token", "metrics_token"):
        value = getattr(config, name)
        if value and len(value) < MIN_SECRET_CHARS:
            problems.append(
                problem(
                    name,
                    f"deve ter pelo menos {MIN_SECRET_CHARS} caracteres",
                    value,
                    "Ab9...(32 caracteres)",
                )
            )
    return problems


def _choice_problems(config: Config) -> list[str]:
    problems = []
    choices = (
        ("log_level", config.log_level.upper(), LOG_LEVELS, "INFO"),
        ("log_format", config.log_format, LOG_FORMATS, "json"),
        ("sender_mode", config.sender_mode, SENDER_MODES, "thread"),
        ("business_backend", config.business_backend, BUSINESS_BACKENDS, "demo"),
    )
    for name, value, allowed, example in choices:
        if value not in allowed:
            what = f"deve ser um destes: {', '.join(allowed)}"
            problems.append(problem(name, what, getattr(config, name), example))
    return problems


def _place_problems(config: Config) -> list[str]:
    """Addresses of Redis and the database, and the attendance time zone."""
    problems = []
    if config.redis_url and not config.redis_url.startswith(("redis://", "rediss://", "unix://")):
        problems.append(
            problem(
                "redis_url",
                "deve começar com redis:// ou rediss://",
                _without_password(config.redis_url),
                "redis://localhost:6379/0",
            )
        )
    if config.database_url and not _is_database_url(config.database_url):
        problems.append(
            problem(
                "database_url",
                "deve ser o endereço de um Postgres (postgres://…) ou um sqlite:///arquivo",
                _without_password(config.database_url),
                "postgres://usuario:senha@host:5432/theo",
            )
        )
    try:
        ZoneInfo(config.attendance_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            problem(
                "attendance_timezone",
                "fuso horário desconhecido (use o nome IANA)",
                config.attendance_timezone,
                "America/Sao_Paulo",
            )
        )
    return problems


def _team_problems(config: Config) -> list[str]:
    """Where team alerts go makes sense (a reminder not shorter than the session is just
    not sent: SESSION_TTL_SECONDS=600 alone must not refuse the start)."""
    problems = []
    if config.team_phone and not TEAM_PHONE_SHAPE.fullmatch(config.team_phone.strip()):
        what = "deve ser um número de WhatsApp com DDI e DDD ou o id de um grupo da Z-API"
        problems.append(problem("team_phone", what, config.team_phone, "5511999990000"))
    url = config.team_webhook_url
    if url and not (url.startswith("https://") or LOCAL_HOSTS.fullmatch(url)):
        what = "deve começar com https:// (leva dados de contato dos clientes)"
        problems.append(problem("team_webhook_url", what, url, "https://crm.exemplo.com.br/theo"))
    secret = config.team_webhook_secret
    if secret and len(secret) < MIN_SECRET_CHARS:
        what = f"deve ter pelo menos {MIN_SECRET_CHARS} caracteres"
        problems.append(problem("team_webhook_secret", what, secret, "Ab9...(32 caracteres)"))
    return problems


def _is_database_url(url: str) -> bool:
    return re.fullmatch(r"(postgres(ql)?(\+\w+)?://\S+|sqlite(\+\w+)?:///\S*)", url) is not None


def _without_password(url: str) -> str:
    """A URL as an error may show it: the password masked."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def _business_problems(config: Config) -> list[str]:
    """IXC has what it needs to be reached."""
    if config.business_backend != "ixc":
        return []
    problems = []
    if not config.ixc_base_url.startswith(("https://", "http://")):
        problems.append(
            problem(
                "ixc_base_url",
                "deve ser o endereço do IXC",
                config.ixc_base_url,
                "https://erp.provedor.com.br",
            )
        )
    if not IXC_TOKEN_SHAPE.fullmatch(config.ixc_token):
        problems.append(
            problem(
                "ixc_token",
                "deve ser o token do webservice exatamente como o IXC mostra, "
                "<id do usuário>:<hash>",
                config.ixc_token,
                "12:a1b2c3...",
            )
        )
    for name in ("ixc_visit_subject_id", "ixc_ticket_subject_id"):
        if not getattr(config, name):
            what = "falta o id do assunto (Suporte > Assuntos) das ordens de serviço do Theo"
            problems.append(problem(name, what, example="17"))
    return problems
