"""What ops needs from a running Theo, behind a token: metrics and a few admin actions.

- `POST /admin/handoffs/<phone>/release` (alias `/admin/conversations/<phone>/release`)
  — a person finished attending: the next message of that customer is answered by Theo.

Recorded requests, outages and the handoffs list are in ops_api.py, `/admin/stats` in
admin_stats.py and `/metrics` in metrics.py.
- `POST /admin/customers/<phone>/forget` — delete what is kept about a customer (LGPD),
  including the live conversation, which the `manage.py` command cannot reach.

Every route answers 404 while its token is unset, and 401 without the right one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_limiter import Limiter

from conversation import HUMAN
from documents import normalize_phone
from privacy import mask_phone, scrub
from rate_limits import ADMIN_LIMIT
from security import token_required

log = logging.getLogger("theo.admin")
admin = Blueprint("admin", __name__)
ADMIN = ("admin_token",)
MAX_LISTED = 200


@admin.get("/admin/outbox")
@token_required(*ADMIN)
def outbox_status() -> Any:
    """Replies by delivery state, and the ones that failed (phone masked, text shortened)."""
    outbox = current_app.extensions["theo"].outbox
    failed = [
        {
            "id": row.id,
            "phone": mask_phone(row.phone),
            "created_at": row.created_at.isoformat(),
            "attempts": row.attempts,
            "error": row.last_error,
            "text": scrub(row.text)[:80],
        }
        for row in outbox.failed(MAX_LISTED)
    ]
    return jsonify(counts=outbox.counts(), failed=failed)


@admin.post("/admin/outbox/resend")
@token_required(*ADMIN)
def resend_failed() -> Any:
    """Queue failed replies again: all of them, or {"ids": [...]}."""
    body = request.get_json(silent=True) or {}
    ids = body.get("ids") if isinstance(body, dict) else None
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, int) for i in ids)):
        return jsonify(error="invalid_ids", detail='use {"ids": [1, 2]} ou nenhum corpo'), 400
    theo = current_app.extensions["theo"]
    count = theo.outbox.resend_failed(datetime.now(UTC), ids)
    theo.deliverer.notify()
    log.info("%d failed replies queued again", count)
    return jsonify(status="queued", count=count)


@admin.post("/admin/handoffs/<phone>/release")
@admin.post("/admin/conversations/<phone>/release")
@token_required(*ADMIN)
def release(phone: str) -> Any:
    """Hand a conversation back to Theo: the next message starts with the greeting and menu."""
    phone = normalize_phone(phone)
    sessions = current_app.extensions["theo"].sessions
    with sessions.lock(phone):
        session = sessions.get(phone)
        if session is None:
            return jsonify(error="not_found", detail="nenhuma conversa ativa"), 404
        if session.state != HUMAN:
            return jsonify(error="not_with_attendant", detail="o Theo já atende"), 409
        sessions.drop(phone)
        current_app.extensions["theo"].bot.timers.forget(phone)  # no hand-back notice later
    log.info("conversation of %s released to Theo", mask_phone(phone))
    return jsonify(status="released")


@admin.post("/admin/customers/<phone>/forget")
@token_required(*ADMIN)
def forget(phone: str) -> Any:
    """Delete the records, the live conversation and the counters of a phone (LGPD)."""
    phone = normalize_phone(phone)
    theo = current_app.extensions["theo"]
    with theo.sessions.lock(phone):
        deleted = theo.records.forget_customer(phone)
        deleted["replies"] = theo.outbox.forget(phone)
        deleted["outage_notices"] = theo.bot.outages.forget(phone)
        theo.bot.timers.forget(phone)
        theo.sessions.drop(phone)
    if hasattr(theo.sender, "clear"):
        theo.sender.clear(phone)  # the console keeps the replies it printed
    current_app.extensions["theo_phone_limiter"].reset(phone)
    log.info("customer %s forgotten", mask_phone(phone))
    return jsonify(status="forgotten", deleted=deleted)


def install(app: Flask, limiter: Limiter) -> None:
    """Register the admin routes, rate limited per address."""
    # Only refused tokens count: a flood of wrong guesses must not lock ops out.
    limiter.limit(ADMIN_LIMIT, deduct_when=lambda response: response.status_code == 401)(admin)
    app.register_blueprint(admin)
