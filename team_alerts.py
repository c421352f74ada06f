"""Team alerts: every recorded request is told to the team, through the outbox.

`TeamAlerts` listens to `RecordsStore.record`: in the same transaction as the
request it queues a WhatsApp message to TEAM_PHONE (a number or a Z-API group
id) and, when TEAM_WEBHOOK_URL is set, a JSON POST for a CRM or helpdesk. Both
are outbox rows, so they are retried by the sender like any reply and never
lost; a request is never kept without its alerts, nor alerts without it. No
kind of request needs code here: a kind added later alerts too (its label
comes from `[alerta.tipos]` in content/messages.toml).

What each carries:
- WhatsApp (a chat people read, maybe a group): protocol, type, the customer's
  phone and name masked, documents masked, free text scrubbed.
- Webhook (system to system, HTTPS, optionally signed): the request as recorded,
  with the customer's phone, because the CRM must be able to call the customer.
  The recorded details never hold documents (only customer ids) and their free
  text was scrubbed when recorded. It is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

import content
from documents import mask_document
from outbox import WEBHOOK, add_rows, reply_to_json
from privacy import mask_name, mask_phone, scrub
from records import RecordedRequest
from replies import Reply

log = logging.getLogger("theo.alerts")

# Detail keys whose values are a person's name or a document: masked in the WhatsApp text.
NAME_KEYS = frozenset({"name", "nome", "holder", "titular"})
DOCUMENT_KEYS = frozenset({"document", "documento", "cpf", "cnpj"})
MAX_VALUE_CHARS = 200
MAX_SUMMARY_LINES = 12
SIGNATURE_HEADER = "X-Theo-Signature"
# Webhook answers that a later try may fix; any other 4xx is the CRM refusing for good.
RETRYABLE_STATUSES = frozenset({408, 425, 429})


class WebhookError(Exception):
    """A POST to the team webhook failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class TeamAlerts:
    """Queues the alerts of a recorded request, inside the transaction that records it."""

    def __init__(
        self,
        team_phone: str = "",
        webhook: bool = False,
        *,
        skip: Callable[[str], bool] = lambda phone: False,
    ) -> None:
        self.team_phone = team_phone
        self.webhook = webhook
        self.skip = skip  # customers whose requests the team must not hear of (simulated ones)

    @property
    def enabled(self) -> bool:
        return bool(self.team_phone or self.webhook)

    def __call__(self, conn: Any, request: RecordedRequest) -> None:
        """Queue the WhatsApp alert and the webhook POST of `request` (the listener)."""
        if self.skip(request.phone):
            return
        source = f"alert:{request.id}"
        if self.team_phone:
            body = reply_to_json(Reply(whatsapp_text(request)))
            add_rows(conn, self.team_phone, source, [body])
        if self.webhook:
            # Its own line per request: a slow CRM holds up neither replies nor other alerts.
            body = {"text": f"{request.kind} {request.protocol}", "payload": payload(request)}
            add_rows(conn, f"webhook:{request.id}", source, [body], channel=WEBHOOK)
        log.info("team alerted of %s under protocol %s", request.kind, request.protocol)


def kind_label(kind: str) -> str:
    """How the team reads a request kind ("visit" -> "Visita técnica")."""
    key = f"alerta.tipos.{kind}"
    return content.text(key) if content.has(key) else kind


def whatsapp_text(request: RecordedRequest) -> str:
    """The alert as the team's chat shows it, with the customer's data masked."""
    lines = summary_lines(request.details)
    return content.text(
        "alerta.whatsapp",
        tipo=kind_label(request.kind),
        protocolo=request.protocol,
        telefone=mask_phone(request.phone),
        resumo="\n".join(lines) if lines else content.text("alerta.sem_detalhes"),
    )


def summary_lines(details: Mapping[str, Any]) -> list[str]:
    """One "Label: value" line per detail worth showing, values masked."""
    lines = []
    for key, value in details.items():
        shown = _shown(key, value)
        if shown:
            lines.append(content.text("alerta.linha", campo=_field_label(key), valor=shown))
    return lines[:MAX_SUMMARY_LINES]


def _field_label(key: str) -> str:
    name = f"alerta.campos.{key}"
    return content.text(name) if content.has(name) else key


def _shown(key: str, value: Any) -> str:
    """A detail's value as the team chat may show it; "" to leave it out."""
    if isinstance(value, bool):
        return content.text("geral.sim" if value else "geral.nao")
    if isinstance(value, list | tuple):
        return ", ".join(filter(None, (_shown(key, item) for item in value)))[:MAX_VALUE_CHARS]
    if isinstance(value, dict):  # e.g. one diagnosis step: {"question": …, "answer": …}
        return " ".join(filter(None, (_shown(key, item) for item in value.values())))
    if value is None:
        return ""
    text = str(value).strip()
    if key in NAME_KEYS:
        return mask_name(text)
    if key in DOCUMENT_KEYS:
        return mask_document(text)
    return scrub(text)[:MAX_VALUE_CHARS]


def payload(request: RecordedRequest) -> dict[str, Any]:
    """The request as the webhook receives it (see the module docstring about contact data)."""
    return {
        "event": "request.created",
        "id": request.id,
        "protocol": request.protocol,
        "type": request.kind,
        "type_label": kind_label(request.kind),
        "created_at": request.created_at.isoformat(),
        "phone": request.phone,
        "details": request.details,
    }


class WebhookPoster:
    """POSTs alert payloads to TEAM_WEBHOOK_URL: one session, a timeout on every call."""

    def __init__(
        self,
        url: str,
        secret: str = "",
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.secret = secret.encode()
        self.timeout = (connect_timeout, read_timeout)
        self.session = requests.Session()
        # Only refused connections are retried here; everything else goes back to the outbox,
        # which retries with backoff for hours.
        retry = Retry(total=1, connect=1, read=0, status=0, other=0, allowed_methods=None)
        self.session.mount(url, HTTPAdapter(max_retries=retry))

    def post(self, body: Mapping[str, Any], idempotency_key: str) -> None:
        """Send one payload; WebhookError says whether a later try may succeed."""
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key}
        if self.secret:
            digest = hmac.new(self.secret, data, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        try:
            response = self.session.post(self.url, data=data, headers=headers, timeout=self.timeout)
        except requests.RequestException as error:
            # A read timeout may mean the CRM got it: the Idempotency-Key lets it drop a repeat.
            raise WebhookError(f"webhook: {type(error).__name__}", retryable=True) from None
        status = response.status_code
        if status < 300:
            return
        retryable = status >= 500 or status in RETRYABLE_STATUSES
        raise WebhookError(f"webhook answered HTTP {status}", retryable=retryable)

    def close(self) -> None:
        self.session.close()
