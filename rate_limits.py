"""Abuse limits: how many messages of one phone Theo handles per minute.

Built on Flask-Limiter and the `limits` library under it: Redis keeps the
counters when REDIS_URL is set (shared by every process), memory otherwise.
Past the limit Theo answers once per window that it will reply shortly and
acknowledges the rest without handling them; the conversation itself is left
untouched, so it goes on where it was once the window has passed. The same
limiter also caps how often one address may knock on /admin and /metrics, and
how many messages one address may send through the simulator's relay.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from typing import ClassVar, Literal

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage

import content
from config import Config
from inbound import Incoming
from privacy import mask_phone
from replies import Reply

log = logging.getLogger("theo.limits")

Verdict = Literal["allow", "notify", "drop"]
DEFAULT_PREFIX = "theo"
ADMIN_LIMIT = "60 per minute"
# A person chatting in the simulator sends a few messages a minute; a script looking up
# documents one simulated customer after another sends dozens a second.
SIMULATOR_RELAY_PER_MINUTE = 30
SIMULATOR_RELAY_LIMIT = f"{SIMULATOR_RELAY_PER_MINUTE} per minute"
NOTICE_KEY = "geral.muitas_mensagens"
# A dead Redis must slow nothing down: give up quickly and let the message through.
REDIS_OPTIONS = {"socket_timeout": 1, "socket_connect_timeout": 1}


class PhoneLimiter:
    """At most `per_minute` messages per phone in any 60 s, and one notice per window."""

    def __init__(self, limiter: Limiter, per_minute: int, *, prefix: str = DEFAULT_PREFIX) -> None:
        self.limiter = limiter
        self.item: RateLimitItem = RateLimitItemPerMinute(per_minute)
        self.notice: RateLimitItem = RateLimitItemPerMinute(1)
        self.prefix = prefix

    def check(self, phone: str) -> Verdict:
        """Whether to "allow" the message, "notify" (first excess in a window) or "drop" it."""
        key = phone_key(phone)
        try:
            if self.limiter.limiter.hit(self.item, self.prefix, "phone", key):
                return "allow"
            if self.limiter.limiter.hit(self.notice, self.prefix, "notice", key):
                return "notify"
        except StorageError as error:
            log.warning("rate limit storage unavailable, message allowed: %s", type(error).__name__)
            return "allow"
        return "drop"

    def reset(self, phone: str) -> None:
        """Forget the counters of `phone` (the window is over, or the customer asked)."""
        key = phone_key(phone)
        try:
            self.limiter.limiter.clear(self.item, self.prefix, "phone", key)
            self.limiter.limiter.clear(self.notice, self.prefix, "notice", key)
        except StorageError as error:
            log.warning("rate limit storage unavailable, not reset: %s", type(error).__name__)


def phone_key(phone: str) -> str:
    """The phone as stored in the limiter: a digest, so Redis never holds the number."""
    return hashlib.sha256(phone.encode("utf-8", "replace")).hexdigest()[:32]


class SweptMemoryStorage(MemoryStorage):
    """limits' in-memory storage, cleaned once a second instead of every 10 ms.

    The stock storage starts a timer thread 10 ms after any hit, and that thread walks
    every key: with a thousand customers writing, that walk took a third of a core.
    Counting stays exact (each check compares timestamps itself); only forgetting old
    entries waits up to SWEEP_SECONDS.
    """

    STORAGE_SCHEME: ClassVar[list[str]] = ["theo-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, **options: object) -> None:
        super().__init__(uri, **options)
        self.timer.cancel()  # the stock 10 ms one, started by the parent
        self._start_sweep()

    def _MemoryStorage__schedule_expiry(self) -> None:  # overrides the private scheduler
        if not self.timer.is_alive():
            self._start_sweep()

    def _start_sweep(self) -> None:
        self.timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)
        self.timer.daemon = True
        self.timer.start()


def build_limiter(app: Flask, config: Config, *, prefix: str = DEFAULT_PREFIX) -> Limiter:
    """Flask-Limiter on `app`, counting in Redis when REDIS_URL is set, in memory otherwise."""
    options: dict = {"wrap_exceptions": True}
    if config.redis_url:
        options.update(REDIS_OPTIONS)
    return Limiter(
        get_remote_address,
        app=app,
        storage_uri=config.redis_url or "theo-memory://",
        storage_options=options,
        strategy="moving-window",
        key_prefix=prefix,
        swallow_errors=True,  # a Redis outage must not turn /admin into a 500
    )


def install(app: Flask, config: Config, *, prefix: str = DEFAULT_PREFIX) -> Limiter:
    """Attach the limiter and the per-phone limit to `app`."""
    limiter = build_limiter(app, config, prefix=prefix)
    app.extensions["theo_phone_limiter"] = PhoneLimiter(
        limiter, config.rate_limit_per_minute, prefix=prefix
    )
    return limiter


def phone_limiter() -> PhoneLimiter:
    """The per-phone limiter of the running app."""
    return current_app.extensions["theo_phone_limiter"]


Queue = Callable[[str, str, list[Reply]], None]


def throttle(
    message: Incoming, queue: Queue, *, quiet: Callable[[str], bool] = lambda phone: False
) -> str | None:
    """None to handle `message`; else "rate_limited", after one notice per window.

    No notice when `quiet(phone)` (a person is attending this customer); it is
    asked only when a notice is due, not for every message.
    """
    if message.kind == "takeover":
        return None  # an attendant typing fast on the company phone is not abuse
    verdict = phone_limiter().check(message.phone)
    if verdict == "allow":
        return None
    log.info("rate limit reached for %s: %s", mask_phone(message.phone), verdict)
    if verdict == "notify" and not quiet(message.phone):
        # Through the outbox like every reply: stored now, sent after the 200.
        queue(message.phone, message.message_id, [Reply(content.text(NOTICE_KEY))])
    return "rate_limited"
