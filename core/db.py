"""The database engine: created lazily, once per process, so gunicorn's forked workers never share a pool.

Every database function in the project takes a keyword-only `conn` and never commits by itself;
the caller owns the transaction (`with engine.begin() as conn:`).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from tenacity import before_sleep_log, retry, stop_after_delay, wait_exponential

from core.settings import Settings, normalise_database_url

logger = logging.getLogger(__name__)


def database_url(settings: Settings) -> str:
    """The URL to use: `DATABASE_URL`, else the embedded server (started if needed) under `EMBEDDED_PGDATA`."""
    if settings.DATABASE_URL:
        return settings.DATABASE_URL
    from core.embedded_pg import ensure_embedded_server

    return ensure_embedded_server(Path(settings.EMBEDDED_PGDATA))


@functools.cache
def get_engine(url: str, *, statement_timeout_ms: int = 0, lock_timeout_ms: int = 0) -> Engine:
    """One pooled engine per URL (and timeouts) per process; pre-ping so a restarted database is reconnected.

    Non-zero timeouts are set on every connection of the pool (libpq `options`), so no statement of that
    engine, read or write, waits longer than `statement_timeout_ms`, or on a lock longer than `lock_timeout_ms`.
    The web tier uses them (`web_engine`); jobs keep none (an import's statements may take minutes).
    """
    connect_args: dict[str, object] = {"connect_timeout": 5, "application_name": "hitscope"}
    if statement_timeout_ms or lock_timeout_ms:
        connect_args["options"] = f"-c statement_timeout={statement_timeout_ms} -c lock_timeout={lock_timeout_ms}"
    return create_engine(
        normalise_database_url(url),
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=10,
        connect_args=connect_args,
    )


def engine_from_settings(settings: Settings) -> Engine:
    return get_engine(database_url(settings))


def web_engine(settings: Settings) -> Engine:
    """The engine of the web tier: every statement and lock wait bounded by the WEB_*_TIMEOUT_MS settings."""
    return get_engine(
        database_url(settings),
        statement_timeout_ms=settings.WEB_STATEMENT_TIMEOUT_MS,
        lock_timeout_ms=settings.WEB_LOCK_TIMEOUT_MS,
    )


@retry(
    stop=stop_after_delay(60),
    wait=wait_exponential(multiplier=0.2, max=3),
    before_sleep=before_sleep_log(logger, logging.WARNING),
    reraise=True,
)
def wait_for_database(engine: Engine) -> None:
    """Block until the database answers `SELECT 1` (start-up order: wait, migrate, start)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
