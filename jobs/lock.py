"""One run at a time, across processes and machines: a PostgreSQL session advisory lock.

The lock lives on a connection held for the whole run; if the process dies, PostgreSQL drops the
connection and the lock with it, so a killed worker never blocks the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from jobs.errors import RunLockBusy
from jobs.runs import fail_abandoned_runs

logger = logging.getLogger(__name__)

RUN_LOCK_KEY = 7_270_002


@contextmanager
def run_lock(engine: Engine, *, wait: bool) -> Iterator[None]:
    """Hold the run lock for the block. `wait=False` raises `RunLockBusy` at once if another run holds it."""
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        if wait:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": RUN_LOCK_KEY}).scalar()
            if not got:
                logger.info("another run is in progress; waiting for it to finish")
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": RUN_LOCK_KEY})
        elif not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": RUN_LOCK_KEY}).scalar():
            raise RunLockBusy("a refresh is already running")
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": RUN_LOCK_KEY})


@contextmanager
def exclusive_run(engine: Engine, *, wait: bool = True) -> Iterator[None]:
    """Hold the run lock; runs left 'running' by a dead worker are marked failed on the way in."""
    with run_lock(engine, wait=wait):
        with engine.begin() as conn:
            abandoned = fail_abandoned_runs(conn=conn)
        if abandoned:
            logger.warning("marked %d abandoned run(s) as failed", abandoned)
        yield
