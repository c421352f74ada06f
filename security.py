"""Who may talk to Theo, and what a request may look like.

Z-API does not sign its callbacks, so the webhook URL carries a secret
(`/webhook/<WEBHOOK_SECRET>`), compared in constant time; any other webhook
path answers 404 whatever the method. Callbacks of another Z-API instance are
refused with 403. `/admin` and `/metrics` need a bearer token. Bodies are
checked for depth and shape before the parser sees them, every response gets
the usual security headers, and secrets are masked in every log line,
gunicorn's access log included.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Flask, Response, abort, current_app, jsonify, request, session
from flask_wtf.csrf import validate_csrf
from gunicorn import glogging
from werkzeug.exceptions import HTTPException
from wtforms.validators import ValidationError

from config import Config
from inbound import PayloadError
from privacy import AccessLogPrivacyFilter, PrivacyFilter

log = logging.getLogger("theo.security")

WEBHOOK_BASE = "/webhook"
MAX_JSON_DEPTH = 16  # a Z-API callback nests 3 levels; 16 leaves room for new fields
MAX_JSON_NODES = 5_000
MASK = "***"
_WEBHOOK_SEGMENT = re.compile(r"(/webhook/)[^\s?\"']+")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
SECRET_VARIABLES = (
    "WEBHOOK_SECRET", "ZAPI_TOKEN", "ZAPI_CLIENT_TOKEN", "ADMIN_TOKEN", "METRICS_TOKEN",
)  # fmt: skip
# Session key of the ops page: when ADMIN_TOKEN was given there (epoch seconds).
PAINEL_SIGNED_IN = "painel_since"
_MIN_MASKED_CHARS = 8  # shorter "secrets" would mask ordinary words in log lines
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000",
}
# Pages may load their own scripts, styles and images; nothing inline, no framing.
HTML_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def webhook_path(config: Config) -> str:
    """The one path Z-API must call: /webhook, or /webhook/<secret> when a secret is set."""
    return f"{WEBHOOK_BASE}/{config.webhook_secret}" if config.webhook_secret else WEBHOOK_BASE


def same_secret(supplied: str | None, expected: str) -> bool:
    """Compare two secrets in constant time (bytes, so any unicode input is safe)."""
    given = (supplied or "").encode("utf-8", "replace")
    return hmac.compare_digest(given, expected.encode("utf-8"))


def authenticate_webhook(supplied: str | None) -> None:
    """404, exactly like an unknown URL, unless the path carries the configured secret."""
    expected = _config().webhook_secret
    if expected and same_secret(supplied, expected):
        return
    if not expected and supplied is None:
        return
    log.warning("webhook refused: wrong or missing secret")
    abort(404)


def _hide_webhook_paths() -> None:
    """Other methods on a webhook path also get a 404 unless the secret is right (no 405 hint)."""
    path = request.path
    if request.method == "POST" or not (path == WEBHOOK_BASE or path.startswith("/webhook/")):
        return
    authenticate_webhook(path[len(WEBHOOK_BASE) + 1 :] if path != WEBHOOK_BASE else None)


def check_instance(payload: Any, config: Config) -> None:
    """403 for a callback that names another Z-API instance than ours.

    Z-API always names the instance; a body without `instanceId` already passed
    the URL secret, which is the real lock, so it is not refused for that alone.
    """
    if config.console_mode or not isinstance(payload, dict) or "instanceId" not in payload:
        return
    instance = payload["instanceId"]
    if not isinstance(instance, str) or not same_secret(instance, config.zapi_instance_id):
        log.warning("webhook refused: callback of another Z-API instance")
        abort(403)


def read_body(*, cache: bool = False) -> bytes:
    """The raw request body; a body the server cannot even read (e.g. broken chunks) is a 400."""
    try:
        return request.get_data(cache=cache)  # over MAX_CONTENT_LENGTH: 413 before reading it all
    except HTTPException:
        raise
    except Exception as error:  # gunicorn's InvalidChunkSize, a client gone mid-body...
        log.info("unreadable request body: %s", type(error).__name__)
        abort(400, description="o corpo da requisição não pôde ser lido")


def read_json_body() -> Any | None:
    """The request body as JSON; None when it is not JSON. Too deep or odd: PayloadError."""
    raw = read_body()
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is None and limit and len(raw) >= limit:
        abort(413)  # a chunked body is cut at the limit, not refused: refuse it here
    try:
        payload = json.loads(raw)
    except RecursionError:
        raise PayloadError("the JSON is nested too deeply") from None
    except ValueError:  # not JSON, invalid UTF-8, numbers too long to convert
        return None
    check_shape(payload)
    return payload


def check_shape(payload: Any) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH, too many values, or broken unicode."""
    stack: list[tuple[Any, int]] = [(payload, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if depth > MAX_JSON_DEPTH or nodes > MAX_JSON_NODES:
            raise PayloadError("the JSON is nested too deeply or has too many values")
        if isinstance(value, dict):
            _check_strings(value.keys())
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        else:
            _check_strings((value,))


def _check_strings(values: Iterable[Any]) -> None:
    """Lone surrogates ("\\ud800") are not text: they would break logging and sending."""
    for value in values:
        if isinstance(value, str) and _LONE_SURROGATE.search(value):
            raise PayloadError("the JSON has invalid unicode (lone surrogates)")


def token_required(*fields: str) -> Callable:
    """Protect a view with the first of the config `fields` that is set; 404 when none is."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            return token_refusal(*fields) or view(*args, **kwargs)

        return guarded

    return decorate


def token_refusal(*fields: str) -> tuple[Response, int, dict[str, str]] | None:
    """None when the request bears the first of the config `fields` that is set, else a 401.

    404 (abort) while none is set: the surface is off until a token is configured.
    """
    config = _config()
    expected = next((getattr(config, f) for f in fields if getattr(config, f)), "")
    if not expected:
        abort(404)
    if same_secret(_bearer_token(), expected):
        return None
    if "admin_token" in fields and painel_signed_in():
        return _csrf_refusal()  # the ops page, signed in with ADMIN_TOKEN (painel.py)
    log.warning("refused %s: missing or wrong token", request.endpoint)
    body = jsonify(error="unauthorized", detail="token ausente ou inválido")
    return body, 401, {"WWW-Authenticate": 'Bearer realm="theo"'}


def painel_signed_in() -> bool:
    """True when this request carries a live session of the ops page (painel.py)."""
    if not _config().admin_token:
        return False
    since = session.get(PAINEL_SIGNED_IN)
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    return isinstance(since, (int, float)) and 0 <= time.time() - since <= lifetime


def _csrf_refusal() -> tuple[Response, int] | None:
    """A cookie alone never changes anything: changes also bear the page's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except ValidationError as problem:
        log.warning("painel change refused: %s", problem)
        return jsonify(error="csrf", detail="sessão do painel expirada: recarregue a página"), 400
    return None


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def add_security_headers(response: Response) -> Response:
    """nosniff, no framing, no referrer on every response; a CSP on HTML pages."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", HTML_POLICY)
    if request.path.startswith(("/admin", "/metrics")):
        response.headers["Cache-Control"] = "no-store"
    return response


class SecretFilter(logging.Filter):
    """Mask known secrets and the webhook path's secret segment in each record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Also mask these values from now on (short ones are ignored)."""
        self.secrets.update(s for s in secrets if s and len(s) >= _MIN_MASKED_CHARS)

    def mask(self, text: str) -> str:
        """The text with every secret replaced by ***."""
        text = _WEBHOOK_SEGMENT.sub(rf"\g<1>{MASK}", text)
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Render, mask and store the message back; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's to report, not ours
            return True
        record.msg, record.args = self.mask(message), None
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        return True


_SECRET_FILTER = SecretFilter()


def mask_secrets_in_logs(config: Config, logger: logging.Logger | None = None) -> None:
    """Mask the configured secrets on the root handlers (added once, secrets accumulate)."""
    _SECRET_FILTER.add(getattr(config, name.lower()) for name in SECRET_VARIABLES)
    target = logger if logger is not None else logging.getLogger()
    for handler in target.handlers:
        if _SECRET_FILTER not in handler.filters:
            handler.addFilter(_SECRET_FILTER)


class GunicornLogger(glogging.Logger):
    """gunicorn's logger with the webhook secret and personal data masked.

    gunicorn's access and error logs do not propagate to the root logger, so
    they get their own filters: the request line of a Z-API callback holds the
    webhook secret, and an admin URL may hold a phone number.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        secrets = SecretFilter(os.environ.get(name, "") for name in SECRET_VARIABLES)
        # The request line is logged percent-encoded: "55%2011%2098765%200001" is a phone
        # once decoded, so the access log is masked on the decoded text.
        privacy = ((self.access_log, AccessLogPrivacyFilter()), (self.error_log, PrivacyFilter()))
        for logger, masking in privacy:
            # setup() runs again on a config reload: replace our filters, never stack them.
            kept = [f for f in logger.filters if not isinstance(f, (SecretFilter, PrivacyFilter))]
            logger.filters = [*kept, secrets, masking]


def install(app: Flask, config: Config) -> None:
    """Wire the checks into `app`: hidden webhook paths, headers, no debug, masked secrets."""
    if app.debug and not config.console_mode:
        log.warning("FLASK_DEBUG ignored: the debugger never runs with Z-API credentials")
        app.debug = False
    app.config["THEO_WEBHOOK_PATH"] = webhook_path(config)
    app.before_request(_hide_webhook_paths)
    app.after_request(add_security_headers)
    mask_secrets_in_logs(config)


def _config() -> Config:
    return current_app.extensions["theo"].config
