"""How Theo talks to the IXC Provedor webservice: settings, HTTP, retries, breaker, cache.

`ixc.py` maps IXC's tables to Theo's business data; this module only moves
requests and answers. Reads are retried on 5xx and failed connections; writes
only when no connection was made (they must never be sent twice). After a run of
failures a circuit breaker fails fast for a while, so an ERP outage does not hold
every webhook; a short cache spares the ERP a customer's next messages.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from urllib3.util.retry import Retry

from business_data import BackendUnavailable
from privacy import scrub

log = logging.getLogger("theo.ixc")

API_PATH = "webservice/v1/"
# Writes that must never be sent twice: retried only when no connection was made.
WRITE_TABLES = ("su_oss_chamado", "desbloqueio_confianca")
RETRY_STATUSES = frozenset({500, 502, 503, 504})
RETRY_AFTER_MAX_S = 10  # a chat customer is waiting: never park a worker longer
ERP_TEXT_MAX = 200  # how much of an ERP message goes to logs and records
HTML_START = b"<"


@dataclass(frozen=True)
class IxcSettings:
    """How to reach the provider's IXC and the provider's choices Theo must follow."""

    base_url: str  # the ERP's address, "https://erp.example.com.br"; /webservice/v1/ is added
    token: str = field(repr=False)  # "<user id>:<hash>", exactly as IXC shows it
    visit_subject_id: str = ""  # su_oss_assunto id of technician visits ("" = keep no order)
    ticket_subject_id: str = ""  # su_oss_assunto id of other requests ("" = keep no order)
    visit_sector_id: str = ""  # setor of visit orders, as the subject's sector in IXC
    ticket_sector_id: str = ""  # setor of ticket orders
    branch_id: str = "1"  # id_filial of new orders
    suspended_statuses: tuple[str, ...] = ("CA", "FA")  # status_internet meaning "suspended"
    connect_timeout: float = 3.0
    read_timeout: float = 8.0
    retries: int = 2
    backoff_factor: float = 0.3
    breaker_threshold: int = 5  # consecutive failures before failing fast
    breaker_open_seconds: float = 30.0
    cache_seconds: float = 45.0  # find_customer / open_invoices / plan answers kept this long
    verify_tls: bool = True
    trust_unlock_days: int | None = None  # the provider's rule, when IXC's answer has no date
    refresh_overdue_boleto: bool = False  # ask get_boleto to add interest and a new due date

    def __post_init__(self) -> None:
        """Refuse settings that would fail at the first call; errors never quote the token."""
        if not re.match(r"https?://[^/\s]+", self.base_url or ""):
            raise ValueError("IXC base_url must be the ERP address, like https://erp.example.com")
        user, _, secret = (self.token or "").partition(":")
        if not user.strip() or not secret.strip():
            raise ValueError("IXC token must be '<user id>:<hash>' as IXC shows it")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("IXC timeouts must be positive")
        if self.retries < 0 or self.backoff_factor < 0:
            raise ValueError("IXC retries and backoff_factor cannot be negative")
        if self.breaker_threshold < 1 or self.breaker_open_seconds < 0 or self.cache_seconds < 0:
            raise ValueError("IXC breaker_threshold must be >= 1; seconds cannot be negative")
        statuses = tuple(s.strip().upper() for s in self.suspended_statuses)
        object.__setattr__(self, "suspended_statuses", statuses)


def field_text(row: dict[str, Any], key: str) -> str:
    """A field as stripped text ("" when absent or null); IXC sends strings for everything."""
    value = row.get(key) if isinstance(row, dict) else None
    return "" if value is None else str(value).strip()


def erp_words(source: Any) -> str:
    """An ERP message safe for logs and records: personal data masked, length capped."""
    if isinstance(source, dict):
        source = field_text(source, "message") or field_text(source, "mensagem")
    text = re.sub(r"<[^>]+>", " ", str(source or ""))  # IXC puts <br /> in messages
    return scrub(" ".join(text.split()))[:ERP_TEXT_MAX]


# --- HTTP, retries, circuit breaker, cache ------------------------------------------------


def _api_root(base_url: str) -> str:
    """ "https://host/webservice/v1/", whether or not the setting already had the path."""
    root = base_url.strip().rstrip("/")
    root = root.removesuffix("/webservice/v1")
    return f"{root}/{API_PATH}"


def _read_retry(settings: IxcSettings) -> Retry:
    """Reads are idempotent: retry refused connects and 5xx, not read timeouts (too slow)."""
    return Retry(
        total=settings.retries,
        connect=settings.retries,
        read=False,  # a read timeout already cost read_timeout seconds of a waiting chat
        status=settings.retries,
        other=0,
        allowed_methods=frozenset({"POST"}),  # IXC lists with POST, not retried by default
        status_forcelist=RETRY_STATUSES,
        backoff_factor=settings.backoff_factor,
        respect_retry_after_header=True,
        retry_after_max=RETRY_AFTER_MAX_S,
        raise_on_status=False,  # hand the last answer back so it maps to BackendUnavailable
    )


def _write_retry(settings: IxcSettings) -> Retry:
    """Writes are retried only when no connection was made: never a request that may have landed."""
    return Retry(
        total=settings.retries,
        connect=settings.retries,
        read=False,
        status=0,
        other=0,
        # The default methods leave POST out (an empty set would mean "any method").
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS,
        respect_retry_after_header=False,  # a 503 + Retry-After is no reason to resend
        backoff_factor=settings.backoff_factor,
        raise_on_status=False,
    )


class IxcHttp:
    """The webservice calls, each behind the circuit breaker, with IXC's error shapes checked."""

    def __init__(
        self, settings: IxcSettings, session: requests.Session | None, clock: Callable[[], float]
    ) -> None:
        self._root = _api_root(settings.base_url)
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        # Per-endpoint retry policies on one session: requests picks the longest mounted prefix.
        self._session.mount(self._root, HTTPAdapter(max_retries=_read_retry(settings)))
        for table in WRITE_TABLES:
            adapter = HTTPAdapter(max_retries=_write_retry(settings))
            self._session.mount(self._root + table, adapter)
        user, _, secret = settings.token.partition(":")
        self._auth = HTTPBasicAuth(user.strip(), secret.strip())
        self._timeout = (settings.connect_timeout, settings.read_timeout)
        self._verify = settings.verify_tls
        if not settings.verify_tls:
            log.warning("IXC TLS certificate checks are OFF (verify_tls=False)")
        self._breaker = Breaker(settings.breaker_threshold, settings.breaker_open_seconds, clock)

    def close(self) -> None:
        """Close the session when this object created it."""
        if self._owns_session:
            self._session.close()

    def listing(
        self,
        table: str,
        field_name: str,
        value: str,
        *,
        oper: str = "=",
        rp: int = 20,
        sortname: str = "id",
        sortorder: str = "desc",
        grid: tuple[tuple[str, str, str], ...] = (),
    ) -> list[dict[str, Any]]:
        """The first page of a listing (`ixcsoft: listar`) filtered by one field."""
        body = {
            "qtype": f"{table}.{field_name}",
            "query": value,
            "oper": oper,
            "page": "1",
            "rp": str(rp),
            "sortname": f"{table}.{sortname}",
            "sortorder": sortorder,
        }
        if grid:
            rules = [{"TB": f"{table}.{col}", "OP": op, "P": arg} for col, op, arg in grid]
            body["grid_param"] = json.dumps(rules)
        answer = self._exchange(table, body, listing=True).json()
        return _registros(table, answer, rp)

    def post_json(self, table: str, body: dict[str, Any]) -> Any:
        """A non-listing call (insert or resource) answered with JSON."""
        return self._exchange(table, body, listing=False).json()

    def post_raw(self, table: str, body: dict[str, Any]) -> bytes:
        """A resource answered with something else than JSON (get_boleto's base64)."""
        return self._exchange(table, body, listing=False, expect_json=False).content

    def _exchange(
        self, table: str, body: dict[str, Any], *, listing: bool, expect_json: bool = True
    ) -> requests.Response:
        """One call through the breaker; transport errors and nonsense count as failures."""
        self._breaker.admit(table)
        try:
            response = self._send(table, body, listing)
            _check_answer(table, response, expect_json)
        except BaseException:
            self._breaker.failed(table)
            raise
        self._breaker.succeeded()
        return response

    def _send(self, table: str, body: dict[str, Any], listing: bool) -> requests.Response:
        """POST with auth and timeouts; transport errors become BackendUnavailable."""
        headers = {"ixcsoft": "listar"} if listing else {}
        started = time.monotonic()
        try:
            response = self._session.post(
                self._root + table,
                json=body,
                headers=headers,
                auth=self._auth,
                timeout=self._timeout,
                verify=self._verify,
            )
        except requests.RequestException as error:
            problem = type(error).__name__
            raise BackendUnavailable(f"IXC {table} unreachable ({problem})") from error
        log.debug("IXC %s answered HTTP %s in %.2fs", table, response.status_code, _since(started))
        return response


def _since(started: float) -> float:
    """Seconds elapsed since `started` (time.monotonic)."""
    return time.monotonic() - started


def _check_answer(table: str, response: requests.Response, expect_json: bool) -> None:
    """Refuse token errors, HTTP errors, HTML pages and non-JSON where JSON is due."""
    status = response.status_code
    if status in (401, 403):
        log.error(
            "IXC refused Theo's API token (HTTP %s on %s): check the token '<user id>:<hash>' "
            "configured for Theo and that user's permissions in IXC",
            status,
            table,
        )
        raise BackendUnavailable(f"IXC refused the API token (HTTP {status})")
    if status >= 400:
        raise BackendUnavailable(f"IXC {table} answered HTTP {status}")
    # Not Content-Type: IXC (PHP) labels its JSON and base64 answers text/html too.
    if response.content.lstrip().startswith(HTML_START):
        raise BackendUnavailable(
            f"IXC {table} answered an HTML page instead of data (login page or proxy error?)"
        )
    if expect_json:
        try:
            response.json()
        except ValueError:
            raise BackendUnavailable(f"IXC {table} answered something that is not JSON") from None


def _registros(table: str, answer: Any, rp: int) -> list[dict[str, Any]]:
    """The rows of a listing answer; `{"type": "error"}` and odd shapes are refused."""
    if not isinstance(answer, dict):
        raise BackendUnavailable(f"IXC {table} listing answered something unreadable")
    if field_text(answer, "type").lower() == "error":
        raise BackendUnavailable(f"IXC {table} listing refused: {erp_words(answer)}")
    rows = answer.get("registros") or []  # IXC may leave it out when total is "0"
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise BackendUnavailable(f"IXC {table} listing answered rows that are not records")
    total = field_text(answer, "total")
    if total.isdigit() and int(total) > len(rows) and len(rows) >= rp:
        log.warning("IXC %s listing has %s rows; only the first %s were read", table, total, rp)
    return rows


class Breaker:
    """Fail fast for `open_seconds` after `threshold` consecutive failures, then probe once.

    Theo serves many conversations on many threads: when IXC is down, each would wait
    for timeouts and retries. While open, calls raise at once; after the pause one call
    is let through, and its result closes or reopens the circuit.
    """

    def __init__(self, threshold: int, open_seconds: float, clock: Callable[[], float]) -> None:
        self._threshold = threshold
        self._open_seconds = open_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until: float | None = None
        self._probing = False

    def admit(self, table: str) -> None:
        """Let the call through, or raise BackendUnavailable while the circuit is open."""
        with self._lock:
            if self._open_until is None:
                return
            if self._probing or self._clock() < self._open_until:
                raise BackendUnavailable(f"IXC circuit open: {table} not called (failing fast)")
            self._probing = True  # this call is the probe; the others keep failing fast

    def succeeded(self) -> None:
        """Close the circuit and forget past failures."""
        with self._lock:
            if self._open_until is not None:
                log.info("IXC answered again: circuit closed")
            self._failures, self._open_until, self._probing = 0, None, False

    def failed(self, table: str) -> None:
        """Count a failure; open (or reopen after a failed probe) at the threshold."""
        with self._lock:
            self._failures += 1
            reopening = self._probing
            self._probing = False
            if reopening or self._failures >= self._threshold:
                self._open_until = self._clock() + self._open_seconds
                log.warning(
                    "IXC circuit open after %d consecutive failures (last: %s): "
                    "failing fast for %.0fs",
                    self._failures,
                    table,
                    self._open_seconds,
                )


class TtlCache:
    """A small thread-safe cache whose entries expire `seconds` after being stored."""

    MAX_ENTRIES = 5000  # expired entries are swept when this many are stored

    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[float, Any]] = {}

    def get(self, key: tuple[str, str]) -> tuple[bool, Any]:
        """(True, value) while fresh, else (False, None)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                self._entries.pop(key, None)
                return False, None
            return True, entry[1]

    def put(self, key: tuple[str, str], value: Any) -> None:
        """Store a value (None too: "no such customer" is worth remembering briefly)."""
        if self._seconds <= 0:
            return
        with self._lock:
            now = self._clock()
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
            self._entries[key] = (now + self._seconds, value)

    def drop(self, key: tuple[str, str]) -> None:
        """Forget one entry."""
        with self._lock:
            self._entries.pop(key, None)
