"""Sessions and message ids in Redis, shared by every worker and instance.

The in-memory stores (`sessions.InMemorySessionStore`, `dedup.SeenMessages`)
live inside one process; with several gunicorn workers or instances, a
customer's next message may reach another process. These stores keep the
same methods but put the data, its expiry and the per-phone lock in Redis.
Keys carry a digest of the phone, never the number itself.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, fields

import redis
from redis.exceptions import LockError, LockNotOwnedError

from dedup import DONE, PROCESSING
from privacy import mask_phone
from rate_limits import phone_key
from sessions import HUMAN, Clock, Session

log = logging.getLogger("theo.redis_store")

# Deletes the key only while it still holds the expected value (atomic in Redis).
_DELETE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class SessionLockTimeout(LockError):
    """Another worker held a customer's session lock for longer than we may wait."""


def connect(url: str) -> redis.Redis:
    """A client for `url` that answers in text and gives up quickly when Redis is away."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=2,
        socket_connect_timeout=2,
        health_check_interval=30,
    )


class RedisSessionStore:
    """Sessions as JSON under one key per phone, expired by Redis itself.

    Each key lives for the session's own `ttl` or the store's default, renewed
    on every save, so Redis needs no sweeping. `lock` is a Redis lock, so two
    processes never handle the same customer's messages at the same time.
    """

    def __init__(
        self,
        client: redis.Redis,
        ttl_seconds: float,
        *,
        prefix: str = "theo:",
        clock: Clock = time.time,
        lock_timeout: float = 30,
        lock_wait: float = 60,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.client = client
        self.ttl = ttl_seconds
        self.prefix = prefix
        self.clock = clock
        self.lock_timeout = lock_timeout  # a crashed holder frees the phone after this
        self.lock_wait = lock_wait

    def get(self, phone: str) -> Session | None:
        """The live session of `phone`, or None when absent or expired."""
        raw = self.client.get(self._key("session", phone))
        if raw is None:
            return None
        session = self._load(raw, phone)
        # Redis expires the key; the clock check keeps a test's fake clock meaningful too.
        if session is None or self.clock() - session.updated_at >= (session.ttl or self.ttl):
            return None
        return session

    def save(self, phone: str, session: Session, *, at: float | None = None) -> None:
        """Store `session` for `phone`, stamping its activity time (now, or `at`) and
        renewing its expiry."""
        session.updated_at = self.clock() if at is None else at
        expiry_ms = max(1, round((session.ttl or self.ttl) * 1000))
        payload = json.dumps(asdict(session), ensure_ascii=False)
        with self.client.pipeline() as pipe:
            pipe.set(self._key("session", phone), payload, px=expiry_ms)
            # Ops list the conversations a person attends: the one place the number is a
            # value (a key never holds it), and only while the person attends.
            if session.state == HUMAN:
                pipe.hset(self._attended_key, phone_key(phone), phone)
            else:
                pipe.hdel(self._attended_key, phone_key(phone))
            pipe.execute()

    def drop(self, phone: str) -> None:
        """Forget the conversation of `phone`."""
        with self.client.pipeline() as pipe:
            pipe.delete(self._key("session", phone))
            pipe.hdel(self._attended_key, phone_key(phone))
            pipe.execute()

    def attended(self) -> list[tuple[str, Session]]:
        """The live sessions a person attends (state HUMAN), with their phones (for ops).

        Entries whose session expired or moved on are swept from the index here.
        """
        found = []
        for digest, phone in self.client.hgetall(self._attended_key).items():
            session = self.get(phone)
            if session is None or session.state != HUMAN:
                self.client.hdel(self._attended_key, digest)
                continue
            found.append((phone, session))
        return found

    @property
    def _attended_key(self) -> str:
        return f"{self.prefix}attended"

    def lock(self, phone: str) -> AbstractContextManager[None]:
        """Serialise the handling of one phone's messages across every process.

        Raises SessionLockTimeout when the lock stays taken for `lock_wait` seconds.
        """
        return self._held(phone)

    @contextmanager
    def _held(self, phone: str) -> Iterator[None]:
        lock = self.client.lock(
            self._key("lock", phone), timeout=self.lock_timeout, blocking_timeout=self.lock_wait
        )
        if not lock.acquire():
            raise SessionLockTimeout(
                f"the session of {mask_phone(phone)} is still locked by another worker "
                f"after {self.lock_wait:g} s"
            )
        try:
            yield
        finally:
            try:
                lock.release()
            except LockNotOwnedError:
                # The work is done; only its exclusivity past lock_timeout is in doubt.
                log.warning(
                    "session lock of %s expired before release (held over %g s)",
                    mask_phone(phone),
                    self.lock_timeout,
                )

    def _key(self, kind: str, phone: str) -> str:
        return f"{self.prefix}{kind}:{phone_key(phone)}"

    @staticmethod
    def _load(raw: str, phone: str) -> Session | None:
        """A Session from its JSON; fields it no longer has are ignored, new ones defaulted."""
        try:
            stored = json.loads(raw)
            known = {field.name for field in fields(Session)}
            return Session(**{name: value for name, value in stored.items() if name in known})
        except (TypeError, ValueError, AttributeError):
            # Unreadable: start the conversation afresh rather than fail every message.
            log.warning("unreadable session of %s ignored", mask_phone(phone))
            return None


class RedisSeenMessages:
    """Message ids marked "processing" (a short claim) or "done", shared by every process.

    A claim whose handler crashed expires after `processing_ttl`, so Z-API's
    redelivery gets through; a done mark stays for `done_ttl` to catch duplicates.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = "theo:msg:",
        processing_ttl: int = 120,
        done_ttl: int = 3600,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.processing_ttl = processing_ttl
        self.done_ttl = done_ttl
        self._delete_if_equal = client.register_script(_DELETE_IF_EQUAL)

    def claim(self, message_id: str) -> bool:
        """Take `message_id` for handling; False when it is handled or being handled already."""
        key = self._key(message_id)
        return bool(self.client.set(key, PROCESSING, nx=True, ex=self.processing_ttl))

    def done(self, message_id: str) -> None:
        """The message's state and replies are stored: redeliveries are duplicates now."""
        self.add(message_id)

    def release(self, message_id: str) -> None:
        """Handling failed before anything was stored: drop the claim, never a done mark."""
        self._delete_if_equal(keys=[self._key(message_id)], args=[PROCESSING])

    def first_time(self, message_id: str) -> bool:
        """Record `message_id` as handled; True only the first time it is seen."""
        return bool(self.client.set(self._key(message_id), DONE, nx=True, ex=self.done_ttl))

    def add(self, message_id: str) -> None:
        """Remember `message_id` as handled (e.g. one Theo sent itself)."""
        self.client.set(self._key(message_id), DONE, ex=self.done_ttl)

    def __contains__(self, message_id: object) -> bool:
        return isinstance(message_id, str) and bool(self.client.exists(self._key(message_id)))

    def forget(self, message_id: str) -> None:
        """Let `message_id` be processed again (its handling did not happen)."""
        self.client.delete(self._key(message_id))

    def _key(self, message_id: str) -> str:
        return f"{self.prefix}{message_id}"
