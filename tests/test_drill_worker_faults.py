"""Fault drills on real processes: a refresh SIGKILLed at random points, and two workers started by mistake.

The kill drill runs `python -m jobs refresh` 20 times (seeded), kills each with SIGKILL at a random point of the run
itself (timed from the moment its `job_runs` row appears, up to just after a typical run ends: timing from process start
put most kills into Python's start-up on a busy machine), and after every kill checks: no half-published state, no
snapshot day partially loaded or duplicated, the killed run is marked failed by the next run, and the next run succeeds.
Prints its figures.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from jobs import lock, pipeline
from jobs.discover import DiscoverConfig
from jobs.sources.demo import DemoSource
from tests.factories import DAY, config

pytestmark = pytest.mark.slow

N_ARTISTS = 300
KILLS = 20
# The discover stage runs in every drill run, kept small (3 segments, k up to 5) so 20 kills fit the suite's time
DISCOVER = DiscoverConfig(seeds=3, k_max=5)


def drill_config() -> pipeline.RunConfig:
    return replace(config(), discover=DISCOVER)


def _env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ, "DATABASE_URL": database_url, "DEMO_ARTISTS": str(N_ARTISTS), "DEMO_SEED": "7",
        "DEMO_START": "2024-01-01", "HIT_THRESHOLD": "60", "APP_ENV": "test",
        "DISCOVER_SEEDS": str(DISCOVER.seeds), "DISCOVER_K_MAX": str(DISCOVER.k_max), **extra,
    }  # fmt: skip


def _refresh_process(database_url: str, day) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "jobs", "refresh", "--date", day.isoformat()],
        env=_env(database_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_for_run_row(engine: Engine, process: subprocess.Popen, day, *, finished: bool = False) -> None:
    """Until the refresh of `day` has started its run (or, with `finished`, ended it), or the process ended."""
    deadline = time.monotonic() + 120
    sql = "SELECT 1 FROM job_runs WHERE snapshot_date = :d" + (" AND status <> 'running'" if finished else "")
    while process.poll() is None and time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(text(sql), {"d": day}).first():
                return
        time.sleep(0.02)


def _check_invariants(engine: Engine, source: DemoSource, days: list) -> None:
    with engine.connect() as conn:
        # Every publication is complete: the rows it says it wrote are all there.
        for pid, summary in conn.execute(text("SELECT publication_id, summary FROM publications")):
            for table, expected in summary["rows"].items():
                actual = conn.execute(text(f"SELECT count(*) FROM {table} WHERE publication_id = :p"), {"p": pid})
                assert actual.scalar() == expected, f"publication {pid} is incomplete in {table}"
        # Each day's snapshot is all there or not there at all, never partial, never duplicated.
        for day in days:
            loaded = conn.execute(text("SELECT count(*) FROM raw_observations WHERE observed_on = :d"), {"d": day})
            assert loaded.scalar() in (0, len(source.market.observations(day)))


@pytest.mark.timeout(600)
def test_sigkill_at_random_points_loses_nothing(clean_db: Engine, database_url: str) -> None:
    source = DemoSource(seed=7, n_artists=N_ARTISTS, start=DAY.replace(year=2024, month=1, day=1))
    with lock.exclusive_run(clean_db):
        pipeline.backfill(
            clean_db, source, end_date=DAY, days=8, trigger="cli", requested_by="drill", config=drill_config()
        )
    calibration = _refresh_process(database_url, DAY + timedelta(days=1))
    _wait_for_run_row(clean_db, calibration, DAY + timedelta(days=1))
    started = time.perf_counter()
    _wait_for_run_row(clean_db, calibration, DAY + timedelta(days=1), finished=True)
    typical = time.perf_counter() - started  # the run itself, from its job_runs row to its end
    assert calibration.wait(120) == 0

    rng = random.Random(20261122)
    outcomes: Counter[str] = Counter()
    days = [DAY + timedelta(days=i) for i in range(1, KILLS + 2)]
    mid_run = 0
    for i in range(KILLS):
        day = days[i + 1]
        process = _refresh_process(database_url, day)
        _wait_for_run_row(clean_db, process, day)
        time.sleep(rng.uniform(0.0, 0.9) * typical)
        with clean_db.connect() as conn:  # is the run still going at the moment of the kill?
            running = conn.execute(
                text("SELECT 1 FROM job_runs WHERE snapshot_date = :d AND status = 'running'"), {"d": day}
            ).first()
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        mid_run += running is not None
        with clean_db.connect() as conn:
            latest = conn.execute(text("SELECT snapshot_date, status FROM job_runs ORDER BY run_id DESC LIMIT 1")).one()
        _check_invariants(clean_db, source, days)
        outcomes["killed before its run began" if latest.snapshot_date != day else f"run {latest.status}"] += 1

        with lock.exclusive_run(clean_db):  # the next run, in-process: the same code path, no start-up cost
            pipeline.refresh(
                clean_db, source, snapshot_date=day, trigger="cli", requested_by="drill", config=drill_config()
            )
        _check_invariants(clean_db, source, days)
        with clean_db.connect() as conn:
            stuck = conn.execute(text("SELECT count(*) FROM job_runs WHERE status = 'running'")).scalar()
            published = conn.execute(text("SELECT max(snapshot_date) FROM publications")).scalar()
        assert stuck == 0
        assert published == day

    with clean_db.connect() as conn:
        failed = conn.execute(text("SELECT count(*) FROM job_runs WHERE error LIKE 'abandoned%'")).scalar()
    sys.stderr.write(
        f"\nSIGKILL drill: {KILLS} kills (typical run {typical:.2f}s after start-up); state when killed: "
        f"{dict(outcomes)}; {mid_run} landed mid-run; {failed} abandoned runs marked failed; every next run succeeded\n"
    )
    assert mid_run >= KILLS // 2, "too few kills landed mid-run for the drill to mean anything"
    assert failed == mid_run, "every run killed mid-way is marked failed by the next run, and no other run is"


@pytest.mark.timeout(300)
def test_two_workers_run_one_refresh_at_a_time(clean_db: Engine, database_url: str) -> None:
    from core.queue import enqueue_request

    env = _env(database_url, QUEUE_POLL_SECONDS="1", DAILY_CRON="0 0 1 1 *")
    workers = [
        subprocess.Popen([sys.executable, "-m", "jobs", "worker"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]  # fmt: skip
    try:
        for _ in range(4):
            with clean_db.begin() as conn:
                enqueue_request(conn=conn, kind="refresh", source="demo", trigger="manual", requested_by="drill")
            time.sleep(1.5)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with clean_db.connect() as conn:
                open_requests = conn.execute(
                    text("SELECT count(*) FROM refresh_requests WHERE status IN ('pending', 'running')")
                ).scalar()
            if open_requests == 0:
                break
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
    with clean_db.connect() as conn:
        runs = conn.execute(text("SELECT started_at, finished_at, status FROM job_runs ORDER BY started_at")).all()
        requests = conn.execute(text("SELECT status, run_id FROM refresh_requests")).all()
    assert open_requests == 0
    assert all(r.status == "succeeded" for r in runs)
    assert len(runs) == len(requests) == len({r.run_id for r in requests})
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert earlier.finished_at <= later.started_at, "two runs overlapped"
