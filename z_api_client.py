"""Sends Theo's replies: through Z-API, or to the console when no credentials are set.

`send(phone, replies)` is the seam the bot uses. `ZApiClient` turns each `Reply`
into one Z-API call (plus a PDF when the reply carries a document); failures
raise a small typed `ZApiError` hierarchy. `ConsoleSender` prints replies (personal
data masked) and keeps them in memory for a local simulator.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import sys
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from payment_codes import mask_code
from privacy import mask_phone, scrub
from replies import Option, Reply

log = logging.getLogger("theo.zapi")

# 429 and 503 are "come back later"; 500/502/504 may hide a send Z-API already queued,
# accepted as the lesser evil next to a reply that never arrives.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Honour Retry-After, but never park a worker for hours on one send.
RETRY_AFTER_MAX_S = 30
BODY_MAX_CHARS = 500
DEFAULT_LIST_TITLE = "Atendimento"
DEFAULT_LIST_BUTTON = "Ver opções"
DEFAULT_DOCUMENT_NAME = "boleto"

_TOKEN_IN_PATH = re.compile(r"/token/[^/\s'\"]+")
_CLIENT_TOKEN_ERROR = re.compile(r"client[-_ ]?token|null not allowed")
_NOT_CONNECTED_ERROR = re.compile(r"not connected|disconnected")
# urllib3 logs the request path (which holds the token) at DEBUG, and at WARNING on retries.
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.poolmanager")


class ZApiError(Exception):
    """A Z-API send failed; `status`/`body` describe the answer, `sent_ids` what did go out."""

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.sent_ids: list[str] = []


class ZApiAuthError(ZApiError):
    """Z-API refused the credentials (token or Client-Token)."""


class ZApiNotConnectedError(ZApiError):
    """The Z-API instance has no connected phone."""


class ZApiRejectedError(ZApiError):
    """Z-API refused or did not understand the request; retrying will not help."""


class ZApiUnavailableError(ZApiError):
    """Z-API could not be reached or stayed overloaded after the retries."""


class Sender(Protocol):
    """Anything that can deliver Theo's replies to a phone."""

    def send(self, phone: str, replies: Sequence[Reply]) -> list[str]:
        """Send the replies in order and return their message ids."""
        ...


def redact_token(text: str) -> str:
    """Hide the token segment of a Z-API URL path inside any text."""
    return _TOKEN_IN_PATH.sub("/token/***", text)


class _RedactTokenFilter(logging.Filter):
    """Rewrite third-party log lines quoting a Z-API URL so the token never reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/token/" in message:
            record.msg, record.args = redact_token(message), ()
        return True


_REDACT_FILTER = _RedactTokenFilter()


def _retry_policy(retries: int, backoff_factor: float) -> Retry:
    """Retry refused connects and "come back later" answers, never a send that may have landed."""
    return Retry(
        total=retries,
        connect=retries,
        read=False,  # a read timeout may mean Z-API already queued the message: no blind resend
        status=retries,
        other=0,
        allowed_methods=frozenset({"POST"}),  # POST is not retried on status by default
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_MAX_S,
        raise_on_status=False,  # hand the last answer back so it maps to a typed error
    )


def _scrub_chain(error: BaseException, scrub: Callable[[str], str]) -> BaseException:
    """Redact secrets from an exception and everything it chains: their text quotes the URL."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.args = tuple(scrub(a) if isinstance(a, str) else a for a in current.args)
        linked = [current.__cause__, current.__context__, *current.args]
        pending.extend(e for e in linked if isinstance(e, BaseException))
    return error


def _error_class(status: int, body: str) -> type[ZApiError]:
    """Pick the error type from the HTTP status and the words of the answer."""
    text = body.lower()
    if status in (401, 403) or _CLIENT_TOKEN_ERROR.search(text):
        return ZApiAuthError
    if _NOT_CONNECTED_ERROR.search(text):
        return ZApiNotConnectedError
    if status == 429 or status >= 500:
        return ZApiUnavailableError
    return ZApiRejectedError


def _json_or_none(response: requests.Response) -> Any:
    """The decoded JSON body, or None when the body is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def _option_row(option: Option) -> dict[str, str]:
    """One row of an option list; an empty description is left out."""
    row = {"id": option.id, "title": option.title}
    if option.description:
        row["description"] = option.description
    return row


class ZApiClient:
    """Z-API sender: one pooled session, a timeout and a retry policy on every call."""

    def __init__(
        self,
        instance_id: str,
        token: str,
        client_token: str | None = None,
        *,
        base_url: str = "https://api.z-api.io",
        interactive: bool = False,
        connect_timeout: float = 3.05,
        read_timeout: float = 15.0,
        retries: int = 3,
        backoff_factor: float = 0.5,
        session: requests.Session | None = None,
        pool_size: int = 10,
    ) -> None:
        """Check the settings and prepare the session; nothing is sent yet.

        `pool_size` connections are kept open: one per sender thread, so concurrent sends
        reuse them instead of opening and discarding a connection each time.
        """
        _check_settings(instance_id, token, connect_timeout, read_timeout, retries, backoff_factor)
        root = f"{base_url.rstrip('/')}/"
        self._base = f"{root}instances/{instance_id}/token/{token}/"
        self._secrets = tuple(s for s in (token, client_token) if s)
        self._headers = {"Content-Type": "application/json"}
        if client_token:
            self._headers["Client-Token"] = client_token
        self._timeout = (connect_timeout, read_timeout)
        self.interactive = interactive
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        if self._owns_session:
            _read_environment_once(self._session, root)
        adapter = HTTPAdapter(
            max_retries=_retry_policy(retries, backoff_factor), pool_maxsize=max(1, pool_size)
        )
        self._session.mount(root, adapter)
        for name in _URLLIB3_LOGGERS:
            logging.getLogger(name).addFilter(_REDACT_FILTER)  # idempotent

    def send_text(self, phone: str, message: str) -> str:
        """Send a plain text message and return its messageId."""
        return self._post("send-text", phone, {"phone": phone, "message": message})

    def send_option_list(
        self, phone: str, message: str, title: str, button_label: str, options: Sequence[Option]
    ) -> str:
        """Send an interactive option list and return its messageId."""
        option_list = {
            "title": title,
            "buttonLabel": button_label,
            "options": [_option_row(o) for o in options],
        }
        payload = {"phone": phone, "message": message, "optionList": option_list}
        return self._post("send-option-list", phone, payload)

    def send_button_list(self, phone: str, message: str, buttons: Sequence[Option]) -> str:
        """Send interactive buttons (each option's title is the button label); return the id."""
        button_list = {"buttons": [{"id": b.id, "label": b.title} for b in buttons]}
        payload = {"phone": phone, "message": message, "buttonList": button_list}
        return self._post("send-button-list", phone, payload)

    def send_document_pdf(self, phone: str, document_url: str, file_name: str) -> str:
        """Send a PDF by URL (or base64) and return its messageId."""
        payload = {"phone": phone, "document": document_url, "fileName": file_name}
        return self._post("send-document/pdf", phone, payload)

    def send(self, phone: str, replies: Sequence[Reply]) -> list[str]:
        """Send each reply in order; on failure raise with the ids already sent in `.sent_ids`."""
        sent: list[str] = []
        try:
            for reply in replies:
                sent.append(self._send_body(phone, reply))
                if reply.document_url:
                    name = reply.document_name or DEFAULT_DOCUMENT_NAME
                    sent.append(self.send_document_pdf(phone, reply.document_url, name))
        except ZApiError as err:
            err.sent_ids = sent
            raise
        return sent

    def close(self) -> None:
        """Release pooled connections (an injected session is left to its owner)."""
        if self._owns_session:
            self._session.close()

    def _send_body(self, phone: str, reply: Reply) -> str:
        """Send the reply's own message: interactive when enabled and offered, else its text."""
        if not (self.interactive and reply.options):
            return self.send_text(phone, reply.text)
        if reply.style == "buttons":
            return self.send_button_list(phone, reply.text, reply.options)
        title = reply.list_title or DEFAULT_LIST_TITLE
        button = reply.list_button or DEFAULT_LIST_BUTTON
        return self.send_option_list(phone, reply.text, title, button, reply.options)

    def _post(self, endpoint: str, phone: str, payload: dict[str, Any]) -> str:
        """POST one send call and return the messageId, or raise a typed ZApiError."""
        started = time.monotonic()
        try:
            response = self._session.post(
                self._base + endpoint,
                json=payload,
                headers=self._headers,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as e:
            self._log_failure(endpoint, phone, None, started, "transport")
            reason = f"Z-API {endpoint}: {type(e).__name__}"
            raise ZApiUnavailableError(reason) from _scrub_chain(e, self._scrub)
        try:
            message_id = self._message_id(endpoint, response)
        except ZApiError as err:
            self._log_failure(endpoint, phone, response.status_code, started, type(err).__name__)
            raise
        log.info(
            "Z-API %s sent phone=%s status=%s elapsed_ms=%d message_id=%s",
            endpoint, mask_phone(phone), response.status_code, _elapsed_ms(started), message_id,
        )  # fmt: skip
        return message_id

    def _message_id(self, endpoint: str, response: requests.Response) -> str:
        """Read the messageId of a successful answer; anything else becomes a ZApiError."""
        data = _json_or_none(response)
        status = response.status_code
        if isinstance(data, dict) and "error" not in data and 200 <= status < 300:
            message_id = data.get("messageId") or data.get("id")
            if message_id:
                return str(message_id)
        body = self._scrub(response.text)[:BODY_MAX_CHARS]
        reason = self._reason(endpoint, status, data)
        raise _error_class(status, body)(reason, status=status, body=body)

    def _reason(self, endpoint: str, status: int, data: Any) -> str:
        """A short, secret-free description of a failed answer for str(error)."""
        if isinstance(data, dict) and "error" in data:
            detail = self._scrub(str(data["error"]))[:120]
        elif isinstance(data, dict) and 200 <= status < 300:
            detail = "answer without messageId"
        elif data is None:
            detail = "answer is not JSON"
        else:
            detail = "unexpected answer"
        return f"Z-API {endpoint}: HTTP {status}: {detail}"

    def _scrub(self, text: str) -> str:
        """Remove the token and Client-Token from text that may quote them."""
        text = redact_token(text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _log_failure(
        self, endpoint: str, phone: str, status: int | None, started: float, kind: str
    ) -> None:
        """Log one failed send without URL, token or message text."""
        log.warning(
            "Z-API %s failed phone=%s status=%s elapsed_ms=%d error=%s",
            endpoint, mask_phone(phone), status, _elapsed_ms(started), kind,
        )  # fmt: skip


def _check_settings(
    instance_id: str,
    token: str,
    connect_timeout: float,
    read_timeout: float,
    retries: int,
    backoff_factor: float,
) -> None:
    """Fail at start-up on settings that would only break on the first send."""
    if not instance_id or not token:
        raise ValueError("Z-API instance id and token are required")
    if connect_timeout <= 0 or read_timeout <= 0:
        raise ValueError("Z-API timeouts must be positive (a zero timeout would never wait)")
    if retries < 0 or backoff_factor < 0:
        raise ValueError("Z-API retries and backoff_factor must not be negative")


def _elapsed_ms(started: float) -> int:
    """Milliseconds since a time.monotonic() reading."""
    return round((time.monotonic() - started) * 1000)


class ConsoleSender:
    """No Z-API credentials: replies are logged (phone masked) and printed (masked) instead.

    They are also kept in memory (bounded: last 200 per phone, at most 1000 phones) so a
    local simulator can show them.
    """

    MAX_PER_PHONE = 200
    MAX_PHONES = 1000

    def __init__(self, stream: TextIO | None = None) -> None:
        """Print to `stream`, or to the current sys.stdout when None."""
        self._stream = stream
        self._history: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def send(self, phone: str, replies: Sequence[Reply]) -> list[str]:
        """Print and remember each reply; return fake ids like "console-<uuid>"."""
        ids = []
        for reply in replies:
            entry = _console_entry(phone, reply)
            self._remember(phone, entry)
            self._print(phone, reply)
            ids.append(entry["id"])
        log.info("console send phone=%s replies=%d", mask_phone(phone), len(ids))
        return ids

    def history(self, phone: str) -> list[dict[str, Any]]:
        """A copy of the replies kept for this phone, oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._history.get(phone, ())))

    def clear(self, phone: str) -> None:
        """Forget the replies kept for this phone."""
        with self._lock:
            self._history.pop(phone, None)

    def _remember(self, phone: str, entry: dict[str, Any]) -> None:
        """Keep the entry, dropping the oldest reply and the least recently used phone."""
        with self._lock:
            messages = self._history.setdefault(phone, deque(maxlen=self.MAX_PER_PHONE))
            messages.append(entry)
            self._history.move_to_end(phone)
            while len(self._history) > self.MAX_PHONES:
                self._history.popitem(last=False)

    def _print(self, phone: str, reply: Reply) -> None:
        """Write the reply as the customer would read it, personal data masked like the logs.

        stdout lands where the logs do (a terminal, the host's log stream), so it gets
        the same masking; the history kept for the simulator holds the full text, as it
        is the simulated customer's own chat.
        """
        stream = self._stream or sys.stdout
        lines = [f"--- Theo -> {mask_phone(phone)} ---", _printed_text(reply)]
        if reply.document_url:
            name = reply.document_name or DEFAULT_DOCUMENT_NAME
            lines.append(f"[PDF {name}: {scrub(_shown_document(reply.document_url))}]")
        print("\n".join(lines), file=stream, flush=True)


def _printed_text(reply: Reply) -> str:
    """A code sent alone (linha digitável, PIX) shown by its ends; any other text scrubbed."""
    return mask_code(reply.text) if reply.alone else scrub(reply.text)


def _shown_document(document: str) -> str:
    """A link as it is; a PDF sent inline (base64) by its size, not pages of base64."""
    if document.startswith("data:"):
        return f"anexo de {len(document) * 3 // 4 // 1024} KiB"
    return document


def _console_entry(phone: str, reply: Reply) -> dict[str, Any]:
    """The history record of one reply, as the simulator shows it."""
    return {
        "id": f"console-{uuid.uuid4()}",
        "phone": phone,
        "text": reply.text,
        "options": [
            {"id": o.id, "title": o.title, "description": o.description} for o in reply.options
        ],
        "style": reply.style,
        "document_url": reply.document_url,
        "at": datetime.now(UTC).isoformat(),
    }


def _read_environment_once(session: requests.Session, root: str) -> None:
    """Proxies and CA bundle from the environment, read now instead of on every send.

    requests reads them per request (`trust_env`), walking the whole environment each
    time: a sizeable share of a send's CPU at hundreds of sends a second.
    """
    session.proxies.update(requests.utils.get_environ_proxies(root))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
