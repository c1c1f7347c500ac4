"""One piece of a transaction's database work run from a worker thread while the caller computes.

    pending = Pending(deferred=True)
    pending.start(conn, lambda driver: driver.execute(sql, params), expected=n)   # returns at once
    with pending.meanwhile():
        ...numpy work, no statement on `conn`...
    pending.wait()                    # joins the thread; raises the work's error, or a row count not `expected`

The work runs on the transaction's own psycopg connection (`conn.connection.driver_connection`, thread-safe: a
statement the caller sent meanwhile would wait for it), so it commits or rolls back with everything else.
The caller sends no statement until `wait` (`jobs.observation_codes` reuses its stage); `meanwhile` joins the
work before the caller's own error leaves it, so the rollback never races the work. Not `deferred`, `start`
runs the work in the caller's thread. Used for the entity dictionary's insert of new ids (`jobs.observation_codes`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection

Work = Callable[[Any], int]  # given the psycopg connection, returns the rows it wrote


class Pending:
    """At most one piece of work of the caller's transaction in a worker thread; `wait` joins it and raises
    its error (or a row count other than the one expected: refused rather than publish misaligned codes)."""

    def __init__(self, *, deferred: bool = False) -> None:
        self.deferred = deferred
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self, conn: Connection, work: Work, *, expected: int, what: str = "rows") -> None:
        self.wait()
        driver = conn.connection.driver_connection

        def run() -> None:
            try:
                count = work(driver)
                if count != expected:
                    raise RuntimeError(f"{what}: {count} added, {expected} expected")
            except BaseException as error:  # noqa: BLE001 - handed to the caller's thread by wait()
                self.error = error

        if not self.deferred:
            run()
            self.wait()
            return
        self.thread = threading.Thread(target=run, name="pending-sql", daemon=True)
        self.thread.start()

    @contextmanager
    def meanwhile(self) -> Iterator[None]:
        """The caller's own work while this work runs (no statement on the connection): on the caller's error,
        join first (so the rollback never races the work), then raise the caller's error."""
        try:
            yield
        except BaseException:
            self.join()
            raise

    def join(self) -> None:
        """Wait for the work, keeping its error for `wait` (for a caller already raising its own)."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def wait(self) -> None:
        """Wait for the work; raise its error, if any."""
        self.join()
        error, self.error = self.error, None
        if error is not None:
            raise error
