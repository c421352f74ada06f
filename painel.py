"""The ops page, `/painel`: requests, outages, conversations with a person and the stats.

For people who do not use curl. They sign in once with ADMIN_TOKEN; a signed session
cookie (HttpOnly, SameSite=Strict) then stands in for the Bearer token on the same
`/admin` API that curl uses, and every change the page makes carries a CSRF token
(security.token_refusal checks both). The page is HTML plus one small script: there
is no second way to change anything, and nothing here knows a request kind or a flow.

Like every ops surface, the page answers 404 while ADMIN_TOKEN is unset.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

import content
import security
from config import Config
from rate_limits import ADMIN_LIMIT
from records import REQUEST_KINDS

log = logging.getLogger("theo.painel")
# The cookie is signed with a key derived from ADMIN_TOKEN: changing the token signs
# everyone out, and every instance with the same token accepts the same cookie.
SESSION_KEY_CONTEXT = b"theo painel session v1"

blueprint = Blueprint(
    "painel",
    __name__,
    url_prefix="/painel",
    template_folder="painel_ui/templates",
    static_folder="painel_ui/static",
    static_url_path="/static",
)


class PainelSessions(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the page was reached over HTTPS.

    Behind Render's proxy that needs TRUSTED_PROXY_HOPS (ProxyFix reads the scheme); a
    local `make run` over plain http still signs in.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


@blueprint.before_request
def _only_with_token() -> None:
    if not current_app.extensions["theo"].config.admin_token:
        abort(404)


@blueprint.get("")
def page() -> Any:
    """The panel when signed in, else the sign-in form."""
    if not security.painel_signed_in():
        return render_template("painel_entrar.html", csrf_token=generate_csrf(), error=None)
    # The names the team alerts use (content/messages.toml), shared with the page.
    labels = {
        "types": content.table("alerta.tipos"),
        "fields": content.table("alerta.campos"),
        "flows": content.table("estatisticas.fluxos"),
    }
    kinds = [{"value": kind, "label": labels["types"].get(kind, kind)} for kind in REQUEST_KINDS]
    return render_template("painel.html", csrf_token=generate_csrf(), kinds=kinds, labels=labels)


@blueprint.post("/entrar")
def sign_in() -> Any:
    """Check the token typed (constant time); a wrong one is a 401 that the limiter counts."""
    expected = current_app.extensions["theo"].config.admin_token
    try:
        validate_csrf(request.form.get("csrf_token", ""))
    except ValidationError:
        return _refused("A página expirou. Tente de novo.", 400)
    if not security.same_secret(request.form.get("token", "").strip(), expected):
        log.warning("painel sign-in refused: wrong token")
        return _refused("Token inválido.", 401)
    session.clear()
    session.permanent = True
    session[security.PAINEL_SIGNED_IN] = time.time()
    log.info("painel: signed in")
    return redirect(url_for("painel.page"), code=303)


@blueprint.post("/sair")
def sign_out() -> Any:
    """End the session (CSRF checked, so no other site can sign an attendant out)."""
    try:
        validate_csrf(request.form.get("csrf_token", ""))
    except ValidationError:
        return _refused("A página expirou. Tente de novo.", 400)
    session.clear()
    return redirect(url_for("painel.page"), code=303)


def _refused(error: str, status: int) -> tuple[str, int]:
    session.pop(security.PAINEL_SIGNED_IN, None)
    return render_template("painel_entrar.html", csrf_token=generate_csrf(), error=error), status


def _session_key(admin_token: str) -> bytes:
    return hmac.new(admin_token.encode(), SESSION_KEY_CONTEXT, hashlib.sha256).digest()


def install(app: Flask, limiter: Limiter, config: Config) -> None:
    """Serve the panel (404 without ADMIN_TOKEN); wrong tokens are rate limited as on /admin."""
    if config.admin_token:
        app.secret_key = _session_key(config.admin_token)
    app.session_interface = PainelSessions()
    app.permanent_session_lifetime = timedelta(hours=config.painel_session_hours)
    app.config.update(
        SESSION_COOKIE_NAME="theo_painel",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PATH="/",
        # The sign-in lasts PAINEL_SESSION_HOURS from when the token was typed, not from the
        # last click (security.painel_signed_in checks the time); no cookie on every answer.
        SESSION_REFRESH_EACH_REQUEST=False,
        # The page may stay open all shift: the token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
    )
    limiter.limit(ADMIN_LIMIT, deduct_when=lambda response: response.status_code == 401)(blueprint)
    app.register_blueprint(blueprint)
