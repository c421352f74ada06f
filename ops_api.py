"""The ops API: recorded requests, outages ("massivas") and conversations with a person.

JSON behind `Authorization: Bearer <ADMIN_TOKEN>` (404 while the token is unset,
constant-time comparison: `security.token_required`). It shows the contact data
the team needs to act on a request (a lead's name and phone, a visit's address):
masking is for logs, not for the people who call the customer back.

- `GET /admin/requests?type=&status=&since=&limit=&cursor=` and `/admin/requests.csv`
- `POST /admin/requests/<protocol>/handled`
- `POST /admin/outages`, `GET /admin/outages`, `DELETE /admin/outages/<id>`
- `GET /admin/handoffs`, `POST /admin/handoffs/<phone>/release` (in admin.py)

An unknown parameter or value is a 400 naming it, never silently ignored; lists
are paged with `limit` and an opaque `cursor` (`next_cursor` of the last page).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask_limiter import Limiter

import content
import records
from outages import Outage, OutageError
from privacy import mask_phone
from rate_limits import ADMIN_LIMIT
from records import HANDLED, REQUEST_STATUSES, RecordedRequest, RequestFilter
from replies import Reply
from security import token_required

log = logging.getLogger("theo.ops")
ops = Blueprint("ops", __name__)
ADMIN = ("admin_token",)
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
CSV_DEFAULT_LIMIT, CSV_MAX_LIMIT = 1000, 10_000
MAX_OUTAGE_MESSAGE = 1000
MAX_HANDLED_BY = 100
REQUEST_PARAMS = ("type", "status", "since", "limit", "cursor")
CSV_COLUMNS = ("id", "type", "protocol", "status", "phone", "created_at", "handled_at")
CSV_COLUMNS += ("handled_by", "details")
OUTAGE_EXAMPLE = (
    '{"cep_prefixes": ["014"], "message": "...", "expected_end": "2026-11-24T18:00:00-03:00"}'
)
# A spreadsheet runs a cell starting with these as a formula: quote it (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class BadInput(Exception):
    """Input ops must fix: answered 400 with `detail` (pt-BR, from content/)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.detail = content.text(f"ops.{key}", **values)


@ops.errorhandler(BadInput)
def _bad_input(problem: BadInput) -> tuple[Response, int]:
    return jsonify(error="bad_request", detail=problem.detail), 400


# --- recorded requests ----------------------------------------------------------------
@ops.get("/admin/requests")
@token_required(*ADMIN)
def list_requests() -> Any:
    """Recorded requests, newest first, filtered and paged."""
    wanted = _request_filter(DEFAULT_LIMIT, MAX_LIMIT)
    found = _theo().records.find_requests(wanted)
    return jsonify(
        requests=[request_json(item) for item in found], next_cursor=_next(found, wanted)
    )


@ops.get("/admin/requests.csv")
@token_required(*ADMIN)
def export_requests() -> Response:
    """The same list as CSV (for a spreadsheet); the next page's cursor in X-Next-Cursor."""
    wanted = _request_filter(CSV_DEFAULT_LIMIT, CSV_MAX_LIMIT)
    found = _theo().records.find_requests(wanted)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in found:
        row = request_json(item)
        row["details"] = json.dumps(item.details, ensure_ascii=False, default=str)
        writer.writerow(_cell(row[column]) for column in CSV_COLUMNS)
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="solicitacoes.csv"'
    if cursor := _next(found, wanted):
        response.headers["X-Next-Cursor"] = cursor
    return response


@ops.post("/admin/requests/<protocol>/handled")
@token_required(*ADMIN)
def mark_handled(protocol: str) -> Any:
    """Mark the open requests under `protocol` handled; `{"by": "Ana"}` says who."""
    body = _json_object(optional=True, example='{"by": "Ana"}')
    by = body.get("by")
    if by is not None and not (isinstance(by, str) and 0 < len(by.strip()) <= MAX_HANDLED_BY):
        raise BadInput("campo_invalido", campo="by", problema=f"texto de 1 a {MAX_HANDLED_BY}")
    found, marked = _theo().records.mark_handled(
        protocol, by.strip() if by else None, datetime.now(UTC)
    )
    if not found:
        detail = content.text("ops.protocolo_desconhecido", protocolo=protocol)
        return jsonify(error="not_found", detail=detail), 404
    if not marked:
        detail = content.text("ops.ja_tratado", protocolo=protocol)
        return jsonify(error="already_handled", detail=detail), 409
    return jsonify(protocol=protocol, status=HANDLED, marked=marked)


def request_json(item: RecordedRequest) -> dict[str, Any]:
    """A recorded request for the team, contact data included."""
    return {
        "id": item.id,
        "type": item.kind,
        "protocol": item.protocol,
        "status": item.status,
        "phone": item.phone,
        "details": item.details,
        "created_at": item.created_at.isoformat(),
        "handled_at": item.handled_at.isoformat() if item.handled_at else None,
        "handled_by": item.handled_by,
    }


def _request_filter(default_limit: int, max_limit: int) -> RequestFilter:
    """The query string read strictly: every parameter and value checked."""
    _only_params(REQUEST_PARAMS)
    kinds = tuple(kind for kind in request.args.getlist("type") for kind in kind.split(",") if kind)
    # Read at call time: other features add kinds to records.REQUEST_KINDS.
    for kind in kinds:
        if kind not in records.REQUEST_KINDS:
            raise BadInput("tipo_invalido", valor=kind, aceitos=", ".join(records.REQUEST_KINDS))
    status = request.args.get("status") or None
    if status is not None and status not in REQUEST_STATUSES:
        raise BadInput("status_invalido", valor=status, aceitos=", ".join(REQUEST_STATUSES))
    since = request.args.get("since")
    return RequestFilter(
        kinds=kinds,
        status=status,
        since=_moment("since", since) if since else None,
        before_id=_cursor(),
        limit=_limit(default_limit, max_limit),
    )


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# --- outages ----------------------------------------------------------------------------
@ops.post("/admin/outages")
@token_required(*ADMIN)
def start_outage() -> Any:
    """Register an outage: `cep_prefixes` (none = everywhere), `message`, `expected_end`."""
    example = (
        '{"cep_prefixes": ["014"], "message": "...", "expected_end": "2026-11-24T18:00:00-03:00"}'
    )
    body = _json_object(example=example)
    unknown = sorted(set(body) - {"cep_prefixes", "message", "expected_end"})
    if unknown:
        raise BadInput("parametro_desconhecido", nome=unknown[0], aceitos=example)
    prefixes = _prefixes(body.get("cep_prefixes"))
    message = body.get("message")
    if not isinstance(message, str) or not 0 < len(message.strip()) <= MAX_OUTAGE_MESSAGE:
        raise BadInput("mensagem_invalida", maximo=MAX_OUTAGE_MESSAGE)
    expected_end = body.get("expected_end")
    if not isinstance(expected_end, str):
        raise BadInput("data_invalida", campo="expected_end", valor=expected_end)
    store = _theo().bot.outages
    outage = store.start(prefixes, message.strip(), _moment("expected_end", expected_end), _now())
    return jsonify(outage_json(outage)), 201


@ops.get("/admin/outages")
@token_required(*ADMIN)
def list_outages() -> Any:
    """Outages newest first (`active=true` for those in force), with the customers told."""
    _only_params(("active", "limit", "cursor"))
    active = request.args.get("active", "false")
    if active not in ("true", "false"):
        raise BadInput("campo_invalido", campo="active", problema="use true ou false")
    limit = _limit(DEFAULT_LIMIT, MAX_LIMIT)
    found = _theo().bot.outages.listed(
        only_active=active == "true", before_id=_cursor(), limit=limit
    )
    cursor = str(found[-1].id) if len(found) == limit else None
    return jsonify(outages=[outage_json(item) for item in found], next_cursor=cursor)


@ops.delete("/admin/outages/<outage_id>")
@token_required(*ADMIN)
def end_outage(outage_id: str) -> Any:
    """End an outage: each customer told about it gets one "service is back" message."""
    if not (outage_id.isdigit() and outage_id.isascii() and len(outage_id) <= 18):
        detail = content.text("ops.queda_desconhecida", id=outage_id)
        return jsonify(error="not_found", detail=detail), 404
    try:
        outage, phones = _theo().bot.outages.end(int(outage_id), _now())
    except OutageError as problem:
        key = "queda_encerrada" if problem.reason == "already_ended" else "queda_desconhecida"
        code = 409 if problem.reason == "already_ended" else 404
        return jsonify(error=problem.reason, detail=content.text(f"ops.{key}", id=outage_id)), code
    _tell_service_back(outage, phones)
    return jsonify(outage_json(outage))


def _tell_service_back(outage: Outage, phones: Iterable[str]) -> None:
    """One message per customer told, through the outbox (one source id: queued once)."""
    back = [Reply(content.text("massiva.voltou"))]
    for phone in phones:
        _theo().queue(phone, f"outage:{outage.id}:back", back)
        log.info("outage %s: service back queued for %s", outage.id, mask_phone(phone))


def outage_json(outage: Outage) -> dict[str, Any]:
    """An outage for ops: areas, message, forecast, and how many customers were told."""
    return {
        "id": outage.id,
        "cep_prefixes": list(outage.cep_prefixes),
        "message": outage.message,
        "expected_end": outage.expected_end.isoformat(),
        "started_at": outage.started_at.isoformat(),
        "ended_at": outage.ended_at.isoformat() if outage.ended_at else None,
        "active": outage.active,
        "customers_told": outage.customers_told,
    }


def _prefixes(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(
        isinstance(p, str) and p.isdigit() and p.isascii() and 1 <= len(p) <= 8 for p in raw
    ):
        raise BadInput("prefixos_invalidos")
    return tuple(dict.fromkeys(raw))


# --- conversations with a person ------------------------------------------------------------
@ops.get("/admin/handoffs")
@token_required(*ADMIN)
def list_handoffs() -> Any:
    """Conversations a person attends now (Theo silent), longest waiting first."""
    _only_params(("limit", "cursor"))
    limit = _limit(DEFAULT_LIMIT, MAX_LIMIT)
    start = _cursor() or 0
    attended = sorted(_theo().sessions.attended(), key=lambda pair: (pair[1].updated_at, pair[0]))
    page = attended[start : start + limit]
    more = start + limit < len(attended)
    return jsonify(
        handoffs=[_handoff_json(phone, session) for phone, session in page],
        next_cursor=str(start + limit) if more else None,
    )


def _handoff_json(phone: str, session: Any) -> dict[str, Any]:
    since = datetime.fromtimestamp(session.updated_at, UTC).isoformat()
    return {
        "phone": phone,
        "protocol": session.data.get("protocol"),
        "customer": session.data.get("customer_id"),
        "last_activity": since,
    }


# --- reading input strictly ---------------------------------------------------------------
def _only_params(allowed: tuple[str, ...]) -> None:
    for name in request.args:
        if name not in allowed:
            raise BadInput("parametro_desconhecido", nome=name, aceitos=", ".join(allowed))


def _limit(default: int, maximum: int) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    if not (raw.isdigit() and raw.isascii() and len(raw) <= 6 and 1 <= int(raw) <= maximum):
        raise BadInput("limite_invalido", valor=raw, maximo=maximum)
    return int(raw)


def _cursor() -> int | None:
    raw = request.args.get("cursor")
    if raw is None or raw == "":
        return None
    if not (raw.isdigit() and raw.isascii() and len(raw) <= 18):
        raise BadInput("cursor_invalido", valor=raw)
    return int(raw)


def _next(found: list[RecordedRequest], wanted: RequestFilter) -> str | None:
    return str(found[-1].id) if len(found) == wanted.limit else None


def _moment(field: str, raw: str) -> datetime:
    """An ISO date (midnight, local time) or datetime (no offset: local time), tz-aware."""
    local = ZoneInfo(_theo().config.attendance_timezone)
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), local)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadInput("data_invalida", campo=field, valor=raw) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=local)


def _json_object(*, optional: bool = False, example: str) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and optional and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise BadInput("corpo_invalido", exemplo=example)
    return body


def _now() -> datetime:
    return datetime.fromtimestamp(_theo().bot.clock(), UTC)


def _theo() -> Any:
    return current_app.extensions["theo"]


def install(app: Flask, limiter: Limiter) -> None:
    """Register the ops routes, rate limited per address like the other admin routes."""
    limiter.limit(ADMIN_LIMIT, deduct_when=lambda response: response.status_code == 401)(ops)
    app.register_blueprint(ops)
