"""`GET /admin/stats?since=` — how well Theo serves, per flow (see flow_stats.py).

`since` is an ISO date or date-time (local to the attendance timezone when it names
no offset); without it, the last DEFAULT_DAYS days. Any other parameter is refused,
so a typo ("sinse") never silently reports another period.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_limiter import Limiter

import content
from flows import STATS_KEYS
from rate_limits import ADMIN_LIMIT
from security import token_required

blueprint = Blueprint("admin_stats", __name__)
DEFAULT_DAYS = 7
PARAMETERS = frozenset({"since"})


class BadQuery(ValueError):
    """A query the report cannot answer; the message is for ops (pt-BR)."""


@blueprint.get("/admin/stats")
@token_required("admin_token")
def flow_report() -> Any:
    """Per flow: started, resolved, handed_over, abandoned (and where), CSAT."""
    theo = current_app.extensions["theo"]
    zone = ZoneInfo(theo.config.attendance_timezone)
    now = datetime.fromtimestamp(theo.bot.clock(), zone)  # the engine's clock stamps the runs
    try:
        since = read_since(request.args, now)
    except BadQuery as problem:
        return jsonify(error="invalid_query", detail=str(problem)), 400
    flows = sorted(set(STATS_KEYS.values()))
    report = theo.bot.runs.report(since, now, theo.config.session_ttl_seconds, flows)
    return jsonify(report)


def read_since(args: Any, now: datetime) -> datetime:
    """The start of the period: `since` (date or date-time, in `now`'s zone if naive)."""
    unknown = sorted(set(args) - PARAMETERS)
    if unknown:
        raise BadQuery(
            content.text("estatisticas.parametro_desconhecido", nomes=", ".join(unknown))
        )
    raw = args.get("since", "").strip()
    if not raw:
        return now - timedelta(days=DEFAULT_DAYS)
    try:
        since = datetime.fromisoformat(raw)
    except ValueError:
        raise BadQuery(content.text("estatisticas.data_invalida", valor=raw[:40])) from None
    return since if since.tzinfo is not None else since.replace(tzinfo=now.tzinfo)


def install(app: Flask, limiter: Limiter) -> None:
    """Register the route, rate limited per address like the other /admin routes."""
    limiter.limit(ADMIN_LIMIT, deduct_when=lambda response: response.status_code == 401)(blueprint)
    app.register_blueprint(blueprint)
