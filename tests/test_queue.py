"""The manual-refresh queue: concurrent clicks collapse, one run at a time, schedules never duplicate."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, text

from core.queue import enqueue_request
from core.settings import Settings
from jobs import tasks
from jobs.lock import exclusive_run
from jobs.queue import claim_next, process_queue
from tests.factories import DAY


def _settings() -> Settings:
    return Settings(DEMO_ARTISTS=40, DEMO_SEED=7, HIT_THRESHOLD=60)


def _concurrently(n: int, fn) -> list:
    results: list = []
    barrier = threading.Barrier(n)

    def call() -> None:
        barrier.wait()
        results.append(fn())

    threads = [threading.Thread(target=call) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_ten_concurrent_requests_make_one_run(clean_db: Engine) -> None:
    def click():
        with clean_db.begin() as conn:
            return enqueue_request(conn=conn, kind="refresh", source="demo", trigger="manual", requested_by="ana")

    answers = _concurrently(10, click)
    assert len({a.request_id for a in answers}) == 1
    assert sum(a.created for a in answers) == 1

    assert tasks.drain_queue(clean_db, _settings()) == 1
    assert _count(clean_db, "SELECT count(*) FROM job_runs") == 1
    with clean_db.connect() as conn:
        status, run_id = conn.execute(text("SELECT status, run_id FROM refresh_requests")).one()
    assert status == "done" and run_id == 1


def test_two_workers_draining_at_once_run_one_refresh(clean_db: Engine) -> None:
    with clean_db.begin() as conn:
        enqueue_request(conn=conn, kind="refresh", source="demo", trigger="manual", requested_by="ana")
    processed = _concurrently(2, lambda: tasks.drain_queue(clean_db, _settings()))
    assert sorted(processed) == [0, 1]
    assert _count(clean_db, "SELECT count(*) FROM job_runs") == 1


def test_a_failing_request_is_marked_failed_and_the_next_one_runs(clean_db: Engine) -> None:
    with clean_db.begin() as conn:
        enqueue_request(conn=conn, kind="refresh", source="nowhere", trigger="manual", requested_by="ana")
        enqueue_request(conn=conn, kind="refresh", source="demo", trigger="manual", requested_by="bo")
    assert tasks.drain_queue(clean_db, _settings()) == 2
    with clean_db.connect() as conn:
        statuses = conn.execute(text("SELECT source, status FROM refresh_requests ORDER BY request_id")).all()
    assert [tuple(s) for s in statuses] == [("nowhere", "failed"), ("demo", "done")]


def test_two_clocks_schedule_one_run_per_day(clean_db: Engine) -> None:
    _concurrently(2, lambda: tasks.scheduled_refresh(clean_db, _settings(), today=DAY))
    tasks.scheduled_refresh(clean_db, _settings(), today=DAY)
    assert _count(clean_db, "SELECT count(*) FROM refresh_requests") == 1
    assert _count(clean_db, "SELECT count(*) FROM job_runs WHERE trigger = 'schedule'") == 1


def test_handler_errors_do_not_stop_the_queue(clean_db: Engine) -> None:
    with clean_db.begin() as conn:
        enqueue_request(conn=conn, kind="train", source="demo", trigger="manual", requested_by="ana")
    calls = []

    def handler(request):
        calls.append(request.kind)
        raise RuntimeError("no model code here")

    assert process_queue(clean_db, handler) == 1
    assert calls == ["train"]
    assert _count(clean_db, "SELECT count(*) FROM refresh_requests WHERE status = 'failed'") == 1


def test_the_run_lock_alone_keeps_a_second_worker_out(clean_db: Engine) -> None:
    """With the run lock held elsewhere, a worker claims nothing: the request stays pending for the lock holder."""
    with clean_db.begin() as conn:
        enqueue_request(conn=conn, kind="refresh", source="demo", trigger="manual", requested_by="ana")
    with exclusive_run(clean_db, wait=False):
        assert tasks.drain_queue(clean_db, _settings()) == 0
    assert _count(clean_db, "SELECT count(*) FROM refresh_requests WHERE status = 'pending'") == 1
    assert _count(clean_db, "SELECT count(*) FROM job_runs") == 0


def test_skip_locked_alone_passes_over_a_claimed_row_without_waiting(clean_db: Engine) -> None:
    """A row another transaction has locked is skipped (not waited on): the next pending request is claimed."""
    with clean_db.begin() as conn:
        first = enqueue_request(conn=conn, kind="refresh", source="demo", trigger="manual", requested_by="ana")
        second = enqueue_request(conn=conn, kind="train", source="demo", trigger="manual", requested_by="bo")
    with clean_db.connect() as holder, clean_db.connect() as claimer:
        holder.begin()
        holder.execute(
            text("SELECT 1 FROM refresh_requests WHERE request_id = :id FOR UPDATE"), {"id": first.request_id}
        )
        claimer.begin()
        claimer.execute(text("SET LOCAL lock_timeout = '2s'"))  # a claim that waited would fail here, not pass
        claimed = claim_next(conn=claimer)
        claimer.rollback()
        holder.rollback()
    assert claimed is not None and claimed.request_id == second.request_id
