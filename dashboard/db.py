"""Database access for the web process: the engine is created lazily, inside the first request.

gunicorn forks its workers after importing the app, so nothing here touches the database at import time;
`core.db.get_engine` then caches one pool per worker. Any database error while reading becomes
`DataUnavailable`, which pages turn into a "data temporarily unavailable" message, never a traceback.

A callback's reads run in one REPEATABLE READ transaction (one snapshot: even a publication pruned while the
callback runs stays visible to it) with a statement timeout, so a slow query cannot pin a gunicorn worker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from core.db import engine_from_settings
from core.settings import get_settings

logger = logging.getLogger(__name__)

STATEMENT_TIMEOUT = "5s"


class DataUnavailable(RuntimeError):
    """The database could not answer (down, unreachable, or the schema is not migrated)."""


def get_web_engine() -> Engine:
    return engine_from_settings(get_settings())


@contextmanager
def reading() -> Iterator[Connection]:
    """A connection for a callback's reads; database errors surface as `DataUnavailable`."""
    try:
        with get_web_engine().connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            conn.execute(text("SET TRANSACTION READ ONLY"))
            conn.execute(text("SELECT set_config('statement_timeout', :timeout, true)"), {"timeout": STATEMENT_TIMEOUT})
            yield conn
    except DBAPIError as error:
        logger.warning("database unavailable: %s", type(error.orig).__name__ if error.orig else error)
        raise DataUnavailable(str(error.orig or error)) from error


@contextmanager
def writing() -> Iterator[Connection]:
    """A transaction for the few writes the UI makes (refresh requests, login attempts)."""
    try:
        with get_web_engine().begin() as conn:
            yield conn
    except DBAPIError as error:
        logger.warning("database unavailable for a write: %s", type(error.orig).__name__ if error.orig else error)
        raise DataUnavailable(str(error.orig or error)) from error
