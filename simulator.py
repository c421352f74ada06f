"""A WhatsApp-like page to chat with Theo locally, driving the real pipeline.

The page (`GET /simulator`) posts each customer message to the webhook as a Z-API
`ReceivedCallback`, exactly as Z-API would; Theo answers through its normal
sending path, where a `ConsoleSender` keeps the replies. The small JSON API under
`/simulator/api/...` hands those replies, the session state and the recorded
requests back to the page. There is no second bot logic in the browser.

Simulated customers use phones with a reserved prefix (`SIMULATOR_PREFIX`, DDD 00,
which does not exist in Brazil), so when the simulator runs next to a real Z-API
instance their replies never reach WhatsApp and the API never shows a real
customer's conversation. When the webhook path carries a secret, the page posts
to a relay instead (`/simulator/api/webhook`) that only lets simulator phones
through: the page never learns the secret, and cannot make Theo write to a
real number.

Next to a real Z-API instance a simulated customer still looks up real customers
(CPF in, invoices out), so there the API is for ops only: it needs ADMIN_TOKEN as
a bearer token (typed once in the page, kept for the browser tab), and without
ADMIN_TOKEN the simulator is not served at all. The relay is rate limited per
client address in every mode.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_limiter import Limiter
from werkzeug.test import EnvironBuilder, run_wsgi_app

import security
from config import Config
from privacy import mask_phone
from rate_limits import ADMIN_LIMIT, SIMULATOR_RELAY_LIMIT
from records import RecordedRequest
from replies import Reply
from z_api_client import ConsoleSender, Sender

log = logging.getLogger("theo.simulator")

# "55" + DDD "00": no Brazilian number has area code 00, so no real WhatsApp phone matches.
SIMULATOR_PREFIX = "5500"
# ASCII digits only: `\d` would also take full-width digits ("５"), which are no phone.
SIMULATOR_PHONE = re.compile(rf"{SIMULATOR_PREFIX}[0-9]{{9}}")
PROTOCOL = re.compile(r"[0-9]{8,32}")
# Session keys never shown on the page: the full document stays on the server.
HIDDEN_SESSION_KEYS = frozenset({"customer", "protocol"})
DEFAULT_WEBHOOK_PATH = "/webhook"
# The page and its assets hold no data; they stay open so the page can ask for the token.
OPEN_ENDPOINTS = frozenset({"simulator.page", "simulator.static"})
ADMIN = ("admin_token",)

blueprint = Blueprint(
    "simulator",
    __name__,
    url_prefix="/simulator",
    template_folder="simulator_ui/templates",
    static_folder="simulator_ui/static",
    static_url_path="/static",
)


def is_enabled(config: Config) -> bool:
    """Served in console mode, or with SIMULATOR_ENABLED=true and ADMIN_TOKEN next to Z-API."""
    return config.console_mode or (config.simulator_enabled and bool(config.admin_token))


def install(app: Flask, limiter: Limiter, config: Config) -> None:
    """Serve the simulator when enabled, with its API's limits per client address."""
    if config.simulator_enabled and not is_enabled(config):
        log.warning("SIMULATOR_ENABLED ignored: next to Z-API the simulator needs ADMIN_TOKEN")
    if not is_enabled(config):
        return
    # Wrong tokens count, as on /admin: guessing is slow, and ops are never locked out.
    limiter.limit(ADMIN_LIMIT, deduct_when=lambda response: response.status_code == 401)(blueprint)
    # Every relayed message counts: each may be a document lookup.
    limiter.limit(SIMULATOR_RELAY_LIMIT, exempt_when=lambda: request.endpoint != "simulator.relay")(
        blueprint
    )
    app.register_blueprint(blueprint)


def is_simulator_phone(phone: str) -> bool:
    """True for the reserved phones the simulator page uses."""
    return SIMULATOR_PHONE.fullmatch(phone) is not None


class SimulatorRouter:
    """Sends simulated customers' replies to a ConsoleSender and everyone else's to `real`."""

    def __init__(self, real: Sender, console: ConsoleSender | None = None) -> None:
        self.real = real
        self.console = console or ConsoleSender()

    def send(self, phone: str, replies: Sequence[Reply]) -> list[str]:
        """Deliver through the console for simulator phones, through `real` otherwise."""
        target = self.console if is_simulator_phone(phone) else self.real
        return target.send(phone, replies)


def route_simulated_phones(real: Sender) -> SimulatorRouter:
    """Wrap the real sender so simulator phones never reach WhatsApp."""
    return SimulatorRouter(real)


def console_of(sender: Sender) -> ConsoleSender | None:
    """The ConsoleSender that keeps the simulator's replies, if the app has one."""
    if isinstance(sender, ConsoleSender):
        return sender
    if isinstance(sender, SimulatorRouter):
        return sender.console
    return None


def webhook_path() -> str:
    """Where the page posts messages: the app's webhook path, never hard-coded in JS."""
    return current_app.config.get("THEO_WEBHOOK_PATH", DEFAULT_WEBHOOK_PATH)


def page_webhook_url() -> str:
    """Where the page posts: the webhook itself, or the relay when its path holds a secret."""
    path = webhook_path()
    return path if path == DEFAULT_WEBHOOK_PATH else url_for("simulator.relay")


def _theo() -> Any:
    return current_app.extensions["theo"]


def needs_token() -> bool:
    """Whether the API needs ADMIN_TOKEN: next to Z-API, where customers are real."""
    return not _theo().config.console_mode


@blueprint.before_request
def _require_token() -> Any:
    """Next to Z-API only ops may drive the simulator: a 401 without ADMIN_TOKEN."""
    if request.endpoint in OPEN_ENDPOINTS or not needs_token():
        return None
    return security.token_refusal(*ADMIN)


def _checked_phone(phone: str) -> str:
    """Only reserved simulator phones: the API never shows a real customer's chat."""
    if not is_simulator_phone(phone):
        abort(400, description=f"use um número do simulador: {SIMULATOR_PREFIX} + 9 dígitos")
    return phone


def _console() -> ConsoleSender:
    console = console_of(_theo().sender)
    if console is None:
        abort(503, description="o envio configurado não guarda respostas para o simulador")
    return console


@blueprint.get("")
def page() -> str:
    """The chat page; every URL it needs is rendered here, never hard-coded in JS."""
    return render_template(
        "simulator.html",
        webhook_url=page_webhook_url(),
        relayed=webhook_path() != DEFAULT_WEBHOOK_PATH,
        api_base=url_for("simulator.page") + "/api",
        phone_prefix=SIMULATOR_PREFIX,
        token_required=needs_token(),
    )


@blueprint.post("/api/webhook")
def relay() -> Response:
    """Hand a simulated customer's callback to the secret webhook path, in this process."""
    body = security.read_body(cache=True)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
        payload = None
    phone = payload.get("phone") if isinstance(payload, dict) else None
    if not isinstance(phone, str) or not is_simulator_phone(phone):
        abort(400, description=f"o simulador só envia por números {SIMULATOR_PREFIX}…")
    builder = EnvironBuilder(
        path=webhook_path(), method="POST", data=body, content_type="application/json"
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    # The real webhook view runs with every check (secret, limits, dedupe) as if Z-API called.
    answer, status, headers = run_wsgi_app(current_app.wsgi_app, environ, buffered=True)
    return Response(b"".join(answer), status=status, headers=headers)


@blueprint.get("/api/phones/<phone>/history")
def history(phone: str) -> Any:
    """Theo's replies to `phone`, after the reply id `after` when given (oldest first)."""
    _checked_phone(phone)
    replies = _console().history(phone)
    after = request.args.get("after", "")
    ids = [entry["id"] for entry in replies]
    found = bool(after) and after in ids
    if found:
        replies = replies[ids.index(after) + 1 :]
    return jsonify(phone=phone, replies=replies, after_found=found or not after)


@blueprint.get("/api/phones/<phone>/session")
def conversation(phone: str) -> Any:
    """State, protocol and session data of `phone`, and the requests recorded for it."""
    stored = _theo().sessions.get(_checked_phone(phone))
    protocol = stored.data.get("protocol") if stored else _protocol_arg()
    data = {k: v for k, v in stored.data.items() if k not in HIDDEN_SESSION_KEYS} if stored else {}
    return jsonify(
        phone=phone,
        state=stored.state if stored else None,
        protocol=protocol,
        data=data,
        requests=[_request_json(r) for r in _requests(phone, protocol)],
    )


@blueprint.post("/api/phones/<phone>/reset")
def reset(phone: str) -> Any:
    """Forget the conversation: drop the session and the kept replies."""
    theo = _theo()
    with theo.sessions.lock(_checked_phone(phone)):
        theo.sessions.drop(phone)
        _console().clear(phone)
    log.info("simulator conversation reset for %s", mask_phone(phone))
    return jsonify(status="reset", phone=phone)


def _protocol_arg() -> str | None:
    """The last protocol the page saw (its session may have ended), if well formed."""
    protocol = request.args.get("protocol", "")
    return protocol if PROTOCOL.fullmatch(protocol) else None


def _requests(phone: str, protocol: str | None) -> list[RecordedRequest]:
    """Requests under `protocol` made by this phone only (protocols are guessable)."""
    if not protocol:
        return []
    return [r for r in _theo().records.requests_for_protocol(protocol) if r.phone == phone]


def _request_json(recorded: RecordedRequest) -> dict[str, Any]:
    return {
        "id": recorded.id,
        "kind": recorded.kind,
        "protocol": recorded.protocol,
        "details": recorded.details,
        "created_at": recorded.created_at.isoformat(),
    }
