"""gunicorn's threaded worker, with a time limit on reading each request.

gunicorn's `gthread` worker hands a connection to a thread as soon as the first
bytes arrive, then reads the rest of the request with no time limit: a few
clients that send a request line and go silent hold every thread, and even
`/health` stops answering. This worker gives each connection's socket a read
timeout (`REQUEST_READ_TIMEOUT` seconds, default 10): a silent client is dropped
and its thread freed. Render's proxy also buffers requests; this protects
`make run` and any deployment without such a proxy.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

log = logging.getLogger("theo.web")
# How long a thread may keep Python's interpreter lock while others wait for it (the
# default is 5 ms). Every SQLite statement and socket call lets go of the lock; the
# thread then waits up to this long to get it back, and a turn holding SQLite's write
# lock makes every other writer wait with it. 1 ms keeps that convoy short.
SWITCH_INTERVAL_SECONDS = 0.001


def share_the_interpreter_quickly() -> None:
    """Shorter turns on the interpreter lock: see SWITCH_INTERVAL_SECONDS."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def read_timeout() -> float:
    raw = os.environ.get("REQUEST_READ_TIMEOUT", "10")
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"REQUEST_READ_TIMEOUT must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise SystemExit("REQUEST_READ_TIMEOUT must be greater than zero")
    return value


class TimedSocket:
    """A client socket whose blocking mode always has a timeout; all else is the socket's."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self._sock = sock
        self._timeout = timeout

    def setblocking(self, flag: bool) -> None:
        self._sock.settimeout(self._timeout if flag else 0.0)

    def recv(self, size: int, *flags: int) -> bytes:
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            # Reported to gunicorn as a reset: it closes the connection without a traceback.
            log.warning(
                "dropped a client that did not send its request within %.0f s", self._timeout
            )
            raise ConnectionResetError(errno.ECONNRESET, "request not read in time") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class TimedThreadWorker(ThreadWorker):
    """`gthread`, but a request must arrive within REQUEST_READ_TIMEOUT seconds."""

    def init_process(self) -> None:
        share_the_interpreter_quickly()
        super().init_process()

    def enqueue_req(self, conn: Any) -> None:
        if not isinstance(conn.sock, TimedSocket):
            conn.sock = TimedSocket(conn.sock, read_timeout())
        super().enqueue_req(conn)
