"""Where conversations live: one session per customer phone, with expiry.

A session is `{state, data, updated_at}` under one phone key. The state machine
reads and writes `Session.data`; only the store knows how sessions are kept.
The in-memory store is the default (one process, several threads); a store
with the same four methods can keep sessions elsewhere (e.g. Redis).
"""

from __future__ import annotations

import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Protocol

Clock = Callable[[], float]
HUMAN = "human"  # conversation.HUMAN (conversation imports this module): a person attends


@dataclass
class Session:
    """One customer's conversation: current state, collected data, last activity."""

    state: str
    data: dict = field(default_factory=dict)
    updated_at: float = 0.0
    ttl: float | None = None  # this session's own idle limit (None: the store's default)
    version: str = ""  # the flows' version the state belongs to (see bot_logic.FLOWS_VERSION)


class SessionStore(Protocol):
    """What the bot needs from a session store."""

    def get(self, phone: str) -> Session | None: ...
    def save(self, phone: str, session: Session, *, at: float | None = None) -> None: ...
    def drop(self, phone: str) -> None: ...
    def lock(self, phone: str) -> AbstractContextManager[None]: ...
    def attended(self) -> list[tuple[str, Session]]: ...


class PhoneLocks:
    """One lock per phone, created on demand and released when nobody holds it.

    Webhooks for one customer must be handled one at a time and in order, while
    different customers proceed in parallel.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, list] = {}  # phone -> [lock, holders]

    @contextmanager
    def hold(self, phone: str) -> Iterator[None]:
        """Hold the phone's lock for the duration of the block."""
        with self._guard:
            entry = self._locks.setdefault(phone, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[phone]

    def __len__(self) -> int:
        return len(self._locks)


class InMemorySessionStore:
    """Thread-safe sessions in a dict, expired lazily and bounded in size.

    An expired session is treated as absent on read (no scheduler needed) and
    swept out on writes, so memory stays bounded by live conversations; past
    `max_sessions`, the least recently active sessions are evicted.
    """

    def __init__(
        self, ttl_seconds: float, *, max_sessions: int = 50_000, clock: Clock = time.time
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self.ttl = ttl_seconds
        self.max_sessions = max_sessions
        self.clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._guard = threading.Lock()
        self._locks = PhoneLocks()

    def get(self, phone: str) -> Session | None:
        """The live session of `phone` (a copy), or None when absent or expired."""
        with self._guard:
            session = self._sessions.get(phone)
            if session is None:
                return None
            if self._expired(session):
                del self._sessions[phone]
                return None
            return _copied(session)

    def save(self, phone: str, session: Session, *, at: float | None = None) -> None:
        """Store `session` for `phone`, stamping its activity time (now, or `at`)."""
        session.updated_at = self.clock() if at is None else at
        with self._guard:
            self._sessions[phone] = _copied(session)
            self._sessions.move_to_end(phone)
            self._evict()

    def drop(self, phone: str) -> None:
        """Forget the conversation of `phone`."""
        with self._guard:
            self._sessions.pop(phone, None)

    def lock(self, phone: str) -> AbstractContextManager[None]:
        """Serialise the handling of one phone's messages."""
        return self._locks.hold(phone)

    def attended(self) -> list[tuple[str, Session]]:
        """The live sessions a person attends (state HUMAN), with their phones (for ops)."""
        with self._guard:
            return [
                (phone, _copied(session))
                for phone, session in self._sessions.items()
                if session.state == HUMAN and not self._expired(session)
            ]

    def __len__(self) -> int:
        with self._guard:
            return len(self._sessions)

    def _expired(self, session: Session) -> bool:
        return self.clock() - session.updated_at >= (session.ttl or self.ttl)

    def _evict(self) -> None:
        # Sessions are ordered by last activity, so expired ones sit at the front (a
        # longer-lived session there only delays the sweep; reads still expire lazily).
        while self._sessions:
            oldest = next(iter(self._sessions.values()))
            if not self._expired(oldest) and len(self._sessions) <= self.max_sessions:
                break
            self._sessions.popitem(last=False)


def _copied(session: Session) -> Session:
    """A copy sharing nothing with `session`: callers change what they get freely.

    A pickle round trip, not `copy.deepcopy`: the same result for plain data, done in C
    (a few times faster, and it runs twice a message).
    """
    return pickle.loads(pickle.dumps(session, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - our own bytes
