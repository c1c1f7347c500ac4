"""Work run from a worker thread inside the caller's transaction (jobs.pending_sql), and the loader's use of it:
the work's error reaches the caller at `wait` (a row count other than expected too), and a load whose dictionary
insert fails in that thread raises and leaves nothing behind.

    python -m pytest -q tests/test_pending_sql.py
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text

from jobs import observation_codes
from jobs.load import load_batch
from jobs.pending_sql import Pending
from jobs.sources.base import SourceBatch


def test_the_callers_error_leaves_meanwhile_only_once_the_work_has_ended(conn: Connection) -> None:
    """`meanwhile` joins the work before the caller's own error propagates (so a rollback never races it), and
    the caller's error is the one raised; the work's error is kept for the next `wait`."""
    finished = threading.Event()

    def slow(driver: Any) -> int:
        time.sleep(0.3)
        finished.set()
        raise ValueError("work error")

    pending = Pending(deferred=True)
    pending.start(conn, slow, expected=0)
    with pytest.raises(KeyError, match="caller error"), pending.meanwhile():
        raise KeyError("caller error")
    assert finished.is_set() and pending.thread is None
    with pytest.raises(ValueError, match="work error"):
        pending.wait()


def test_deferred_work_runs_in_the_transaction_and_its_errors_surface_at_wait(conn: Connection) -> None:
    conn.execute(text("CREATE TEMP TABLE t (a integer)"))
    pending = Pending(deferred=True)
    three = "INSERT INTO t SELECT generate_series(1, 3)"
    pending.start(conn, lambda driver: driver.execute(three).rowcount, expected=3)
    pending.wait()
    assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 3  # the same transaction sees the rows
    pending.start(conn, lambda driver: driver.execute("INSERT INTO t VALUES (4)").rowcount, expected=2, what="t")
    with pytest.raises(RuntimeError, match="t: 1 added, 2 expected"):
        pending.wait()

    def broken(driver: Any) -> int:
        raise ValueError("broken work")

    pending.start(conn, broken, expected=0)
    pending.join()  # a caller raising its own error joins without raising this one ...
    with pytest.raises(ValueError, match="broken work"):
        pending.wait()  # ... which the next wait still reports
    pending.wait()  # reported once
    with pytest.raises(ValueError, match="broken work"):
        Pending().start(conn, broken, expected=0)  # not deferred: raised at once


def _batch(ids: list[str]) -> SourceBatch:
    observations = pd.DataFrame({"entity_type": "artist", "entity_id": ids, "metric": "spotify_popularity",
                                 "observed_on": date(2031, 3, 4), "source": "demo", "value": 1.0})  # fmt: skip
    return SourceBatch(source="demo", observations=observations)


@pytest.mark.parametrize("first_ids", [[], ["known"]], ids=["empty dictionary: COPY", "stage: INSERT"])
def test_a_dictionary_insert_failing_in_its_thread_fails_the_load_and_leaves_nothing(
    clean_db: Engine, monkeypatch: pytest.MonkeyPatch, first_ids: list[str]
) -> None:
    if first_ids:
        with clean_db.begin() as conn:
            load_batch(conn=conn, batch=_batch(first_ids), run_id=None)
    real = Pending.start

    def failing(self: Pending, conn: Connection, work: Any, **options: Any) -> None:
        def fail(driver: Any) -> int:
            work(driver)
            raise RuntimeError("dictionary insert failed")

        real(self, conn, fail, **options)

    monkeypatch.setattr(observation_codes.Pending, "start", failing)
    before = _counts(clean_db)
    with pytest.raises(RuntimeError, match="dictionary insert failed"), clean_db.begin() as conn:
        load_batch(conn=conn, batch=_batch([*first_ids, "new-1", "new-2"]), run_id=None)
    assert _counts(clean_db) == before


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT count(*) FROM observation_entities")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM observations")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM pg_class WHERE relname LIKE 'observations_y2031%'")).scalar_one(),
        )
