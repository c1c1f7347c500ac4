"""A manual refresh whose worker is SIGKILLed mid-run is retried, a bounded number of times, then failed for good.

The first test kills a real `python -m jobs worker` process while it runs a queued refresh, then lets the next
drain (in-process, same code path) pick the request up again. The second starts from the state a worker killed
on the last allowed attempt leaves behind, and checks the request fails with the reason instead of looping.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import Engine, text

from core.queue import enqueue_request
from core.settings import Settings
from jobs import tasks
from jobs.queue import claim_next
from jobs.runs import start_run


def _settings(**extra: object) -> Settings:
    return Settings(DEMO_ARTISTS=40, DEMO_SEED=7, HIT_THRESHOLD=60, **extra)  # type: ignore[arg-type]


def _request(engine: Engine) -> tuple[str, int, str | None]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, attempts, error FROM refresh_requests")).one()
    return row.status, row.attempts, row.error


@pytest.mark.timeout(180)
def test_a_request_killed_mid_run_is_retried_and_then_done(clean_db: Engine, database_url: str) -> None:
    env = {
        **os.environ, "DATABASE_URL": database_url, "DEMO_ARTISTS": "300", "DEMO_SEED": "7", "APP_ENV": "test",
        "QUEUE_POLL_SECONDS": "1", "DAILY_CRON": "0 0 1 1 *", "BACKFILL_DAYS": "30",
    }  # fmt: skip
    with clean_db.begin() as conn:
        enqueue_request(conn=conn, kind="refresh", source="demo", trigger="manual", requested_by="ana")
    worker = subprocess.Popen(
        [sys.executable, "-m", "jobs", "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with clean_db.connect() as conn:
                running = conn.execute(text("SELECT count(*) FROM job_runs WHERE status = 'running'")).scalar()
            if running:
                break
            time.sleep(0.02)
        worker.send_signal(signal.SIGKILL)  # mid-run: its job_runs row exists and is still 'running'
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert running, "the worker never started the run"
    assert _request(clean_db)[:2] == ("running", 1)  # what the dead worker left behind

    assert tasks.drain_queue(clean_db, _settings()) == 1
    status, attempts, error = _request(clean_db)
    assert (status, attempts, error) == ("done", 2, None)  # the second attempt ran it
    with clean_db.connect() as conn:
        runs = conn.execute(text("SELECT status, error FROM job_runs ORDER BY run_id")).all()
    assert [r.status for r in runs] == ["failed", "succeeded"] and runs[0].error.startswith("abandoned")


def test_a_request_abandoned_on_its_last_attempt_fails_for_good_with_the_reason(clean_db: Engine) -> None:
    with clean_db.begin() as conn:
        enqueue_request(conn=conn, kind="refresh", source="demo", trigger="manual", requested_by="ana")
        conn.execute(text("UPDATE refresh_requests SET attempts = 1"))  # claimed and abandoned once before
        claim_next(conn=conn)  # the second claim, by a worker that is then killed:
        start_run(conn=conn, kind="refresh", trigger="manual", source="demo", snapshot_date=None, requested_by="ana")
    assert tasks.drain_queue(clean_db, _settings(QUEUE_MAX_ATTEMPTS=2)) == 0
    status, attempts, error = _request(clean_db)
    assert (status, attempts) == ("failed", 2)
    assert error == (
        "abandoned: the worker stopped during each of its 2 attempts; not retried again (QUEUE_MAX_ATTEMPTS = 2)"
    )
    assert tasks.drain_queue(clean_db, _settings(QUEUE_MAX_ATTEMPTS=2)) == 0  # and it stays failed
    assert _request(clean_db)[0] == "failed"


def test_a_request_whose_run_raises_fails_once_with_its_error(clean_db: Engine) -> None:
    with clean_db.begin() as conn:
        enqueue_request(conn=conn, kind="refresh", source="nowhere", trigger="manual", requested_by="ana")
    assert tasks.drain_queue(clean_db, _settings()) == 1
    status, attempts, error = _request(clean_db)
    assert (status, attempts) == ("failed", 1)
    assert error is not None and "nowhere" in error
