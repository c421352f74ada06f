"""Theo's web app: the Z-API webhook and a health check.

`create_app(config)` builds every collaborator from the configuration (or takes
the ones a test passes) and hangs them on `app.extensions["theo"]`. The module
attribute `app` is what gunicorn serves (`gunicorn app:app`); it is built on
first access so that importing this module in tests starts nothing.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dotenv import load_dotenv
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

import admin
import admin_stats
import content
import metrics
import ops_api
import painel
import rate_limits
import redis_store
import security
import simulator
from answers import answers
from backends import build_business
from billing_rules import billing_rules
from bot_logic import BotLogic
from business_data import BusinessData
from checks import StartupRefused, data_line, refuse_on_content_problems
from config import Config, ConfigError, load_config
from dedup import SeenMessages
from delivery import Deliverer, RetryPolicy
from documents import normalize_phone, same_phone
from hours import attendance_hours
from inbound import Incoming, PayloadError, delivery_failure, parse_callback
from log_setup import configure_logging, end_request, message_context, start_request
from outages import OutageStore
from outbox import Outbox
from privacy import mask_phone
from records import RecordsStore
from replies import Reply
from sessions import InMemorySessionStore, SessionStore
from team_alerts import TeamAlerts, WebhookPoster
from timers import Scheduler, Timer, TimerStore
from z_api_client import ConsoleSender, Sender, ZApiClient

log = logging.getLogger("theo.webhook")
REPEAT_MIN_REPLIES = 3  # only long answers (a "segunda via" is ~7 messages) are shortened
webhook = Blueprint("webhook", __name__)


class StorageUnavailable(Exception):
    """The replies could not be stored: the webhook answers 503 so Z-API delivers again."""


@dataclass
class Theo:
    """Everything the webhook needs, built once per app."""

    config: Config
    bot: BotLogic
    sender: Sender
    sessions: SessionStore
    records: RecordsStore
    seen: SeenMessages
    deliverer: Deliverer
    own_sends: SeenMessages = field(default_factory=SeenMessages)
    scheduler: Scheduler | None = None

    def fire_timer(self, timer: Timer) -> None:
        """A due timer: the bot re-checks the conversation under its lock; replies queued."""
        with self.sessions.lock(timer.phone):
            self.bot.on_timer(
                timer, deliver=lambda replies: self.queue(timer.phone, f"timer:{timer.id}", replies)
            )

    @property
    def outbox(self) -> Outbox:
        """The replies waiting to be sent, as the sender sees them."""
        return self.deliverer.outbox

    def process(self, message: Incoming) -> str:
        """Handle one message and store the replies; they are sent after the 200."""
        if message.kind == "takeover" and message.message_id in self.own_sends:
            return "ignored"  # our own send echoed back without fromApi: not an attendant
        with self.sessions.lock(message.phone):
            replies = self._handle(message)
        if not replies:
            return "silent"
        self._send_now()
        return "queued"

    def queue(self, phone: str, source_id: str, replies: list[Reply]) -> None:
        """Store replies for `phone` (e.g. a notice outside a conversation) and wake the sender."""
        self._store_replies(phone, source_id, replies)
        self._send_now()

    def _handle(self, message: Incoming) -> list[Reply]:
        def store(replies: list[Reply]) -> None:
            self._store_replies(message.phone, message.message_id, replies, asked=message.text)

        try:
            return self.bot.handle(message, deliver=store)
        except (StorageUnavailable, RedisError):
            raise  # nothing half-done: the webhook asks Z-API to deliver the message again
        except SQLAlchemyError as error:
            # The turn's writes did not commit (all or none): the message is redone.
            log.error(
                "storing the turn for %s failed: %s",
                mask_phone(message.phone),
                type(error).__name__,
            )
            raise StorageUnavailable from error
        except Exception:
            # A bug must not leave the customer unanswered nor make Z-API redeliver in a loop.
            log.exception("handling failed for %s", mask_phone(message.phone))
            if message.kind == "takeover":
                return []
            replies = [Reply(content.text("geral.erro_interno"))]
            store(replies)
            return replies

    def _store_replies(
        self, phone: str, source_id: str, replies: list[Reply], asked: str = ""
    ) -> None:
        if not replies:
            return
        if not answers().says("de_novo", asked):  # "manda de novo, não consegui copiar"
            replies = self._shortened_if_repeated(phone, replies)
        try:
            self.outbox.enqueue(phone, source_id, replies, datetime.now(UTC))
        except SQLAlchemyError as error:
            log.error("storing replies for %s failed: %s", mask_phone(phone), type(error).__name__)
            raise StorageUnavailable from error

    def _shortened_if_repeated(self, phone: str, replies: list[Reply]) -> list[Reply]:
        """A long answer sent whole minutes ago is not sent again: a pointer instead.

        Only the whole answer (its first message may open differently, "Vou usar o
        documento…"): dropping some of its messages would leave a text that promises
        codes ("vêm nas próximas mensagens") without them.
        """
        minutes = self.config.repeat_answer_minutes
        if not minutes or len(replies) < REPEAT_MIN_REPLIES:
            return replies
        since = datetime.now(UTC) - timedelta(minutes=minutes)
        already = self.outbox.recently_sent_text(phone, since)
        *body, last = replies
        if any(reply.text not in already for reply in body[1:]):
            return replies
        log.info("same answer again for %s: pointing to it", mask_phone(phone))
        return [Reply(content.text("geral.resposta_repetida")), last]

    def _send_now(self) -> None:
        if self.config.sender_mode == "inline":
            self.deliverer.drain()
        else:
            self.deliverer.notify()


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
    configure_logging(config.log_level, config.log_format)
    refuse_on_content_problems()  # a broken content/ file never becomes a 500 per message
    app = Flask(__name__)
    # "/webhook//x" would otherwise get an HTML 308 to the merged path: an unknown path
    # answers the JSON 404 like any other. Set before any route is added (rules read it then).
    app.url_map.merge_slashes = False
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
    limiter = rate_limits.install(app, config)
    # The webhook is limited per phone (rate_limits.throttle), never per address: Z-API
    # posts every customer's message from a few addresses.
    limiter.exempt(webhook)
    admin.install(app, limiter)
    ops_api.install(app, limiter)
    admin_stats.install(app, limiter)
    metrics.install(app, limiter, theo.bot.metrics)
    simulator.install(app, limiter, config)
    painel.install(app, limiter, config)
    app.register_error_handler(HTTPException, _http_error)
    app.before_request(_tag_request)
    app.after_request(_echo_request_id)
    app.teardown_request(lambda error: end_request())
    if config.sender_mode == "thread":
        theo.deliverer.start()
    if config.sender_mode != "inline" and config.timers_enabled and theo.scheduler is not None:
        theo.scheduler.start()  # tests (inline) run `theo.scheduler.run_due()` themselves
    mode = "console (respostas no terminal)" if config.console_mode else "Z-API"
    log.info("Theo ready, mode: %s, sender: %s", mode, config.sender_mode)
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
    counters = metrics.Metrics()  # this app's registry: the engine and the sender count in it
    shared = redis_store.connect(config.redis_url) if config.redis_url else None
    if sessions is None and shared is not None:
        # Redis: any number of workers and instances share conversations and message ids.
        sessions = redis_store.RedisSessionStore(shared, config.session_ttl_seconds, **clock_kwargs)
    if sessions is None:  # not `or`: an empty store is falsy (it has a length)
        sessions = InMemorySessionStore(config.session_ttl_seconds, **clock_kwargs)
    try:  # a broken hours setting or data file refuses the start, one line
        hours = attendance_hours(config)
        records = records or RecordsStore(
            config.database_url, default_sqlite_path=config.sqlite_path
        )
        business = business or build_business(config, records)
        outages = OutageStore(records.engine)
        outages.seed_if_empty(config.data_dir)  # the demo's outages, into an empty table
    except ValueError as error:
        raise StartupRefused([data_line(config, error)]) from None
    bot = BotLogic(
        sessions,
        business,
        records,
        hours,
        outages,
        timezone=config.attendance_timezone,
        max_invalid_attempts=config.max_invalid_attempts,
        request_deadline_days=config.request_deadline_business_days,
        human_ttl_seconds=config.handoff_idle_seconds,
        lookups_per_day=config.lookups_per_phone_per_day,
        identity_failures_per_day=config.identity_failures_per_day,
        # Documents are counted as keyed hashes; any secret of the deploy will do as key.
        identity_key=(config.webhook_secret or config.admin_token or "theo").encode(),
        handback_command=config.handback_command,
        timers=TimerStore(records.engine),
        session_ttl_seconds=config.session_ttl_seconds,
        idle_reminder_seconds=config.idle_reminder_minutes * 60,
        metrics=counters,
        csat_enabled=config.csat_enabled,
        billing=billing_rules(config),
        **clock_kwargs,
    )
    # With the real Z-API, the simulator's pretend customers (5500…) alert neither the team
    # nor the CRM; in console mode everything is pretend, and alerts show in the console.
    simulated = simulator.is_simulator_phone if not config.console_mode else lambda phone: False
    alerts = TeamAlerts(team_phone(config), bool(config.team_webhook_url), skip=simulated)
    # One alerts listener per store, this app's (a test may hand one store to two apps).
    records.listeners[:] = [x for x in records.listeners if not isinstance(x, TeamAlerts)]
    if alerts.enabled:
        records.listeners.append(alerts)
    sender = sender or _sender(config)
    seen, own_sends = _message_ids(shared)
    deliverer = build_deliverer(
        config, records, sender, remember_sent=own_sends.add, metrics=counters
    )
    theo = Theo(config, bot, sender, sessions, records, seen, deliverer, own_sends)
    theo.scheduler = Scheduler(
        bot.timers, theo.fire_timer, clock=bot.clock, poll_seconds=config.timers_poll_seconds
    )
    return theo


def team_phone(config: Config) -> str:
    """TEAM_PHONE as Z-API takes it: digits only, or a group id ("1203…-group") as typed."""
    return normalize_phone(config.team_phone) if config.team_phone else ""


def _message_ids(shared: Any) -> tuple[Any, Any]:
    """Customer message ids (deduplication) and Theo's own send ids: in Redis when shared."""
    if shared is None:
        return SeenMessages(), SeenMessages()
    seen = redis_store.RedisSeenMessages(shared)
    return seen, redis_store.RedisSeenMessages(shared, prefix="theo:own:")


def build_deliverer(
    config: Config,
    records: RecordsStore,
    sender: Sender | None = None,
    *,
    remember_sent: Callable[[str], None] = lambda message_id: None,
    metrics: metrics.Metrics | None = None,
) -> Deliverer:
    """The outbox on the records database and the sender that empties it."""
    outbox = Outbox(records.engine, sends_per_minute=config.sends_per_phone_per_minute)
    return Deliverer(
        outbox,
        sender or _sender(config),
        concurrency=config.sender_concurrency,
        policy=RetryPolicy(
            horizon=timedelta(hours=config.send_retry_hours),
            first_delay=config.send_retry_first_seconds,
            max_delay=config.send_retry_max_seconds,
        ),
        remember_sent=remember_sent,
        lease_seconds=send_lease_seconds(config),
        webhook=(
            WebhookPoster(config.team_webhook_url, config.team_webhook_secret)
            if config.team_webhook_url
            else None
        ),
        metrics=metrics,
    )


def send_lease_seconds(config: Config) -> float:
    """The longest one send may take (timeouts times tries), plus a margin."""
    one_try = config.zapi_connect_timeout + config.zapi_read_timeout
    return one_try * (config.zapi_retries + 1) + 10


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
        pool_size=config.sender_concurrency,
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
    if is_ignored(message.phone, theo().config):
        return jsonify(status="ignored"), 200  # staff, suppliers, test phones: not a word
    with message_context(message.message_id):
        return _dispatch(message)


def is_ignored(phone: str, config: Config) -> bool:
    """A number (or group id) listed in IGNORED_PHONES, with or without the ninth digit.

    TEAM_PHONE too: the team's chat receives alerts, and neither what the team writes
    there nor an echo of an alert is a customer or an attendant taking over.
    """
    listed = [entry.strip() for entry in config.ignored_phones.split(",")]
    listed.append(team_phone(config))
    return any(entry == phone or same_phone(entry, phone) for entry in listed if entry)


def _dispatch(message: Incoming) -> tuple[Any, int]:
    """Claim the message id, handle and store; done only once stored (else redelivery wins)."""
    try:
        if not theo().seen.claim(message.message_id):
            log.info("duplicate delivery ignored")
            return jsonify(status="duplicate"), 200
        status = _handle_claimed(message)
    except (StorageUnavailable, RedisError) as problem:
        # Nothing was stored: Z-API delivers the message again, nothing is lost.
        log.error("storage unavailable, asking for a redelivery: %s", type(problem).__name__)
        return jsonify(error="storage_unavailable", detail="tente novamente em instantes"), 503
    return jsonify(status=status), 200


def _handle_claimed(message: Incoming) -> str:
    """Handle a claimed message; mark it done once stored, release it if storing failed."""
    try:
        if limited := rate_limits.throttle(message, theo().queue, quiet=theo().bot.with_human):
            status = limited
        else:
            status = theo().process(message)
    except (StorageUnavailable, RedisError):
        theo().seen.release(message.message_id)
        raise
    theo().seen.done(message.message_id)
    return status


@webhook.get("/health")
def health() -> tuple[Any, int]:
    """Liveness, database reachability and the gateway as the sender sees it, without secrets."""
    database_ok = theo().records.ping()
    gateway = theo().deliverer.health
    body: dict[str, Any] = {
        "status": "ok" if database_ok and not gateway.problem else "degraded",
        "mode": "console" if theo().config.console_mode else "zapi",
        "database": "ok" if database_ok else "unreachable",
        "sender": theo().config.sender_mode,
    }
    if gateway.problem:
        body["reason"] = f"zapi: {gateway.problem}"
    if database_ok:
        body["outbox"] = theo().outbox.counts()
    return jsonify(body), 200 if database_ok else 503


def _tag_request() -> None:
    """Every log line of this request carries its id: the caller's X-Request-Id, or a new one."""
    g.request_id = start_request(request.headers.get("X-Request-Id"))


def _echo_request_id(response: Response) -> Response:
    """The id goes back to the caller, to find the request's lines in the logs."""
    if "request_id" in g:
        response.headers["X-Request-Id"] = g.request_id
    return response


def _http_error(error: HTTPException) -> tuple[Any, int]:
    """Errors answered as JSON (404, 405, 413…), never an HTML page."""
    name = (error.name or "error").lower().replace(" ", "_")
    return jsonify(error=name, detail=error.description), error.code or 500


def __getattr__(name: str) -> Flask:
    # gunicorn reads `app:app`; build it lazily so importing this module is free.
    if name == "app":
        globals()["app"] = built = _create_or_exit()
        return built
    raise AttributeError(name)


def _create_or_exit() -> Flask:
    """The app, or each problem on one line for the person deploying, and no traceback."""
    try:
        return create_app()
    except (ConfigError, StartupRefused) as refused:
        problems = refused.problems
    except SQLAlchemyError as error:  # a well-formed DATABASE_URL whose database is not there
        problems = [f"DATABASE_URL: o banco não responde ({type(error).__name__})"]
    for line in problems:
        print(f"Theo não pode iniciar: {line}", file=sys.stderr, flush=True)
    # 3 is gunicorn's "worker failed to boot": the master stops instead of retrying.
    raise SystemExit(3) from None
