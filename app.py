"""Theo's web app: the Z-API webhook and a health check.

`create_app(config)` builds every collaborator from the configuration (or takes
the ones a test passes) and hangs them on `app.extensions["theo"]`. The module
attribute `app` is what gunicorn serves (`gunicorn app:app`); it is built on
first access so that importing this module in tests starts nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from dotenv import load_dotenv
from flask import Blueprint, Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

import admin
import content
import rate_limits
import security
import simulator
from bot_logic import BotLogic
from business_data import BusinessData, load_business_data
from config import Config, load_config
from dedup import SeenMessages
from hours import AttendanceHours
from inbound import Incoming, PayloadError, delivery_failure, parse_callback
from log_setup import configure_logging, message_context
from privacy import mask_phone
from records import RecordsStore
from replies import Reply
from sessions import InMemorySessionStore, SessionStore
from z_api_client import ConsoleSender, Sender, ZApiClient, ZApiError

log = logging.getLogger("theo.webhook")
webhook = Blueprint("webhook", __name__)


@dataclass
class Theo:
    """Everything the webhook needs, built once per app."""

    config: Config
    bot: BotLogic
    sender: Sender
    sessions: SessionStore
    records: RecordsStore
    seen: SeenMessages
    own_sends: SeenMessages = field(default_factory=SeenMessages)

    def process(self, message: Incoming) -> str:
        """Handle one message and send the replies, one customer at a time."""
        if message.kind == "takeover" and message.message_id in self.own_sends:
            return "ignored"  # our own send echoed back without fromApi: not an attendant
        with self.sessions.lock(message.phone):
            replies = self._replies(message)
            if not replies:
                return "silent"
            try:
                self._remember_sends(self.sender.send(message.phone, replies))
            except ZApiError as error:
                log.error("sending to %s failed: %s", mask_phone(message.phone), error)
                return "send_failed"
            except Exception:
                # Z-API must still get its 200: a 5xx would only bring the same callback back.
                log.exception("sending to %s failed unexpectedly", mask_phone(message.phone))
                return "send_failed"
        return "answered"

    def _remember_sends(self, message_ids: list[str]) -> None:
        """Remember the ids Z-API gave our sends, to tell them from an attendant's."""
        for message_id in message_ids or ():
            self.own_sends.add(message_id)

    def _replies(self, message: Incoming) -> list[Reply]:
        try:
            return self.bot.handle(message)
        except Exception:
            # A bug must not leave the customer unanswered nor make Z-API redeliver in a loop.
            log.exception("handling failed for %s", mask_phone(message.phone))
            return [] if message.kind == "takeover" else [Reply(content.text("geral.erro_interno"))]


def create_app(
    config: Config | None = None,
    *,
    sender: Sender | None = None,
    business: BusinessData | None = None,
    records: RecordsStore | None = None,
    sessions: SessionStore | None = None,
    clock: Any = None,
) -> Flask:
    """Build Theo from `config` (default: the environment and `.env`)."""
    if config is None:
        load_dotenv()
        config = load_config()
    configure_logging(config.log_level)
    app = Flask(__name__)
    if config.trusted_proxy_hops:
        # Behind Render's proxy the client address is in X-Forwarded-For (per-address limits).
        hops = config.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.ensure_ascii = False
    theo = _build(config, sender, business, records, sessions, clock)
    app.extensions["theo"] = theo
    app.register_blueprint(webhook)
    security.install(app, config)
    admin.install(app, rate_limits.install(app, config))
    if simulator.is_enabled(config):
        app.register_blueprint(simulator.blueprint)
    app.register_error_handler(HTTPException, _http_error)
    mode = "console (respostas no terminal)" if config.console_mode else "Z-API"
    log.info("Theo ready, mode: %s", mode)
    return app


def _build(
    config: Config,
    sender: Sender | None,
    business: BusinessData | None,
    records: RecordsStore | None,
    sessions: SessionStore | None,
    clock: Any,
) -> Theo:
    clock_kwargs = {"clock": clock} if clock is not None else {}
    sessions = sessions or InMemorySessionStore(config.session_ttl_seconds, **clock_kwargs)
    records = records or RecordsStore(config.database_url, default_sqlite_path=config.sqlite_path)
    bot = BotLogic(
        sessions,
        business or load_business_data(config.data_dir),
        records,
        AttendanceHours.parse(config.attendance_hours, config.attendance_timezone),
        timezone=config.attendance_timezone,
        max_invalid_attempts=config.max_invalid_attempts,
        request_deadline_days=config.request_deadline_business_days,
        human_ttl_seconds=config.human_session_ttl_seconds,
        **clock_kwargs,
    )
    return Theo(config, bot, sender or _sender(config), sessions, records, SeenMessages())


def _sender(config: Config) -> Sender:
    if config.console_mode:
        return ConsoleSender()
    client = ZApiClient(
        config.zapi_instance_id,
        config.zapi_token,
        config.zapi_client_token or None,
        base_url=config.zapi_base_url,
        interactive=config.zapi_interactive,
        connect_timeout=config.zapi_connect_timeout,
        read_timeout=config.zapi_read_timeout,
        retries=config.zapi_retries,
    )
    # Simulated customers (reserved phones) must never reach real WhatsApp.
    return simulator.route_simulated_phones(client) if config.simulator_enabled else client


def theo() -> Theo:
    """The collaborators of the running app."""
    return current_app.extensions["theo"]


@webhook.post("/webhook")
@webhook.post("/webhook/<path:secret>")
def receive(secret: str | None = None) -> tuple[Any, int]:
    """Z-API "on-message-received": authenticate, parse, ignore, dedupe, limit, dispatch, 200."""
    security.authenticate_webhook(secret)
    try:
        payload = security.read_json_body()
        if payload is None:
            return jsonify(error="invalid_json", detail="o corpo deve ser um JSON válido"), 400
        security.check_instance(payload, theo().config)
        message = parse_callback(payload, max_text_chars=theo().config.max_text_chars)
    except PayloadError as problem:
        return jsonify(error="invalid_payload", detail=str(problem)), 400
    if message is None:
        if failure := delivery_failure(payload):
            # Z-API accepted a send earlier but could not deliver it: ops should know.
            log.warning("Z-API could not deliver to %s: %s", mask_phone(failure[0]), failure[1])
        return jsonify(status="ignored"), 200
    with message_context(message.message_id):
        if not theo().seen.first_time(message.message_id):
            log.info("duplicate delivery ignored")
            return jsonify(status="duplicate"), 200
        if limited := rate_limits.throttle(message, theo().sender, quiet=theo().bot.with_human):
            return jsonify(status=limited), 200
        return jsonify(status=theo().process(message)), 200


@webhook.get("/health")
def health() -> tuple[Any, int]:
    """Liveness and database reachability, without any secret."""
    database_ok = theo().records.ping()
    body = {
        "status": "ok" if database_ok else "degraded",
        "mode": "console" if theo().config.console_mode else "zapi",
        "database": "ok" if database_ok else "unreachable",
    }
    return jsonify(body), 200 if database_ok else 503


def _http_error(error: HTTPException) -> tuple[Any, int]:
    """Errors answered as JSON (404, 405, 413…), never an HTML page."""
    name = (error.name or "error").lower().replace(" ", "_")
    return jsonify(error=name, detail=error.description), error.code or 500


def __getattr__(name: str) -> Flask:
    # gunicorn reads `app:app`; build it lazily so importing this module is free.
    if name == "app":
        globals()["app"] = built = create_app()
        return built
    raise AttributeError(name)
