"""Database access for the web process: the engine is created lazily, inside the first request.

gunicorn forks its workers after importing the app, so nothing here touches the database at import time;
`core.db.get_engine` then caches one pool per worker. Any database error while reading becomes
`DataUnavailable`, which pages turn into a "data temporarily unavailable" message, never a traceback: a
callback (or layout) says what it shows then with `@when_unavailable(fallback)`, the one place that catches it.

A callback's reads run in one REPEATABLE READ transaction (one snapshot: even a publication pruned while the
callback runs stays visible to it). A `reading()` inside another one (a page's layout reading its parts, each
written as its own reader) joins it: the same connection and snapshot, not a pool checkout, pre-ping, BEGIN,
SET and ROLLBACK more per part (Morning's first layout: 3 transactions -> 1); what cannot change inside one
snapshot is read once in it (`per_snapshot`: the newest publication). Every connection of the web engine has
a statement timeout and a lock timeout (`WEB_STATEMENT_TIMEOUT_MS`, `WEB_LOCK_TIMEOUT_MS`): a slow query or a
lock held elsewhere (a migration, an operator's `LOCK TABLE`) gives `DataUnavailable` in seconds instead of
pinning a gunicorn worker.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar, cast

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from core.db import web_engine
from core.settings import get_settings

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class DataUnavailable(RuntimeError):
    """The database could not answer (down, unreachable, or the schema is not migrated)."""


def get_web_engine() -> Engine:
    return web_engine(get_settings())


# The open `reading()` of this context: its connection and what `per_snapshot` functions read in it.
_OPEN_READ: ContextVar[tuple[Connection, dict[object, object]] | None] = ContextVar("open_read", default=None)


@contextmanager
def reading() -> Iterator[Connection]:
    """A connection for a callback's reads (the enclosing `reading()`'s, if any); database errors surface as
    `DataUnavailable`."""
    try:
        joined = _OPEN_READ.get()
        if joined is not None:
            yield joined[0]
            return
        with get_web_engine().connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            conn.execute(text("SET TRANSACTION READ ONLY"))
            token = _OPEN_READ.set((conn, {}))
            try:
                yield conn
            finally:
                _OPEN_READ.reset(token)
    except DBAPIError as error:
        logger.warning("database unavailable: %s", type(error.orig).__name__ if error.orig else error)
        raise DataUnavailable(str(error.orig or error)) from error


def per_snapshot(function: Callable[..., R]) -> Callable[..., R]:
    """Decorate a read `function(*, conn)` whose answer cannot change inside a read-only REPEATABLE READ snapshot:
    called with the open `reading()`'s connection, it runs once per snapshot; with any other, every time."""

    @functools.wraps(function)
    def once(*, conn: Connection) -> R:
        joined = _OPEN_READ.get()
        if joined is None or joined[0] is not conn:
            return function(conn=conn)
        if function not in joined[1]:
            joined[1][function] = function(conn=conn)
        return cast(R, joined[1][function])

    return once


@contextmanager
def one_snapshot() -> Iterator[None]:
    """Every `reading()` inside joins one (a layout built from parts that each read). When it cannot be opened,
    each part tries on its own and shows its own "unavailable", as without it; after a failed statement the
    snapshot's later reads fail too (the transaction is aborted), so those parts say "unavailable" as well."""
    stack = ExitStack()
    try:
        stack.enter_context(reading())
    except DataUnavailable:
        pass
    with stack:
        yield


@contextmanager
def writing() -> Iterator[Connection]:
    """A transaction for the few writes the UI makes (refresh requests, login attempts)."""
    try:
        with get_web_engine().begin() as conn:
            yield conn
    except DBAPIError as error:
        logger.warning("database unavailable for a write: %s", type(error.orig).__name__ if error.orig else error)
        raise DataUnavailable(str(error.orig or error)) from error


def when_unavailable(fallback: Callable[[], object]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a callback, layout or view: when the database does not answer (`DataUnavailable` anywhere in
    it), return `fallback()` instead (a fresh value per call, e.g. the unavailable alert and `no_update`s).

        @callback(Output(...), Output(...), Input(...))
        @when_unavailable(lambda: (unavailable_alert(), dash.no_update))
        def render(...): ...
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return function(*args, **kwargs)
            except DataUnavailable:
                return cast(R, fallback())  # a callback's outputs: what its Outputs accept

        return guarded

    return decorate
