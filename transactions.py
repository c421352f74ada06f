"""One commit per turn: the stores' writes of one customer message share a transaction.

A turn writes to several tables (the replies in the outbox, the next timers, the
flow's run, maybe a protocol and a request). Each store opens its connection with
`writing(engine)` (and reads with `reading(engine)`); inside `one_commit(engine)`
they all get the turn's connection, so the turn is stored whole or not at all,
with one commit instead of one per store. Outside it, each call is its own
transaction, as before. The open connection lives in a context variable: each
thread (each webhook request) has its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from sqlalchemy import Connection, Engine

_open: ContextVar[Connection | None] = ContextVar("theo_turn_connection", default=None)


@contextlib.contextmanager
def one_commit(engine: Engine) -> Iterator[None]:
    """Every `writing`/`reading` on `engine` inside this block uses one transaction,
    committed when the block ends (rolled back if it raises). Nested blocks join it."""
    if _joined(engine) is not None:
        yield
        return
    with engine.begin() as conn:
        token = _open.set(conn)
        try:
            yield
        finally:
            _open.reset(token)


def writing(engine: Engine) -> contextlib.AbstractContextManager[Connection]:
    """A connection in a transaction: the turn's when one is open, else a new one."""
    return _turns_or(engine, engine.begin)


def reading(engine: Engine) -> contextlib.AbstractContextManager[Connection]:
    """A connection to read with; inside a turn, the turn's (it sees the turn's writes)."""
    return _turns_or(engine, engine.connect)


@contextlib.contextmanager
def _turns_or(
    engine: Engine, open_new: Callable[[], contextlib.AbstractContextManager[Connection]]
) -> Iterator[Connection]:
    conn = _joined(engine)
    if conn is not None:
        yield conn
        return
    with open_new() as conn:
        yield conn


def _joined(engine: Engine) -> Connection | None:
    conn = _open.get()
    return conn if conn is not None and conn.engine is engine else None
