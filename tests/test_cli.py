"""The CLI end to end in a subprocess, as an operator runs it: migrate, backfill, refresh, request."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import Engine, text

from jobs.load import load_batch
from jobs.sources.base import SourceBatch
from tests.factories import DAY
from tests.test_observation_storage import observations, partitions


def _jobs(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "DEMO_ARTISTS": "30", "APP_ENV": "test"}
    return subprocess.run(
        [sys.executable, "-m", "jobs", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_the_commands() -> None:
    out = subprocess.run([sys.executable, "-m", "jobs", "--help"], capture_output=True, text=True, check=True)
    for command in ("migrate", "refresh", "backfill", "request", "worker"):
        assert command in out.stdout


def test_backfill_then_refresh_then_request(clean_db: Engine, database_url: str) -> None:
    assert _jobs(database_url, "migrate").returncode == 0
    backfill = _jobs(database_url, "backfill", "--days", "3", "--end", DAY.isoformat())
    assert backfill.returncode == 0, backfill.stderr
    refresh = _jobs(database_url, "refresh", "--date", DAY.isoformat())
    assert refresh.returncode == 0, refresh.stderr
    assert "not republishing" in refresh.stderr
    assert _jobs(database_url, "request").returncode == 0
    with clean_db.connect() as conn:
        runs = conn.execute(text("SELECT kind, trigger, status FROM job_runs ORDER BY run_id")).all()
        pending = conn.execute(text("SELECT trigger, status FROM refresh_requests")).all()
    assert [tuple(r) for r in runs] == [("backfill", "cli", "succeeded"), ("refresh", "cli", "succeeded")]
    assert [tuple(p) for p in pending] == [("cli", "pending")]


def test_bad_date_is_a_clear_error(database_url: str) -> None:
    result = _jobs(database_url, "refresh", "--date", "22/11/2026")
    assert result.returncode == 2
    assert "not a date (YYYY-MM-DD)" in result.stderr


def test_retention_drops_old_months_and_zero_keeps_everything(clean_db: Engine, database_url: str) -> None:
    today = date.today()
    old = date(today.year - 3, today.month, 1)  # three years back: no other test's month
    with clean_db.begin() as conn:
        load_batch(conn=conn, batch=SourceBatch("demo", observations=observations([old, today])), run_id=None)
    keep_all = _jobs(database_url, "retention")  # KEEP_OBSERVATION_MONTHS defaults to 0
    assert keep_all.returncode == 0 and "keeping every month" in keep_all.stderr
    assert partitions(clean_db, old.year) != []
    dropped = _jobs(database_url, "retention", "--keep-months", "2")
    assert dropped.returncode == 0, dropped.stderr
    assert partitions(clean_db, old.year) == [] and partitions(clean_db, today.year) != []
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT min(observed_on) FROM raw_observations")).scalar() == today
    assert _jobs(database_url, "retention", "--keep-months", "-1").returncode == 1


def test_demo_trains_and_publishes_scores_only_when_no_model_is_active(monkeypatch: pytest.MonkeyPatch) -> None:
    """`jobs demo` (make demo's data): backfill, then train and refresh in that order, or stop after the backfill
    when a model is already active (a second `make demo` keeps its model)."""
    from jobs import cli, tasks
    from jobs.pipeline import RunOutcome
    from jobs.train import TrainOutcome

    calls: list[str] = []
    monkeypatch.setattr(tasks, "backfill_now", lambda *a, **k: calls.append(f"backfill {k['days']}")
                        or RunOutcome(1, 1))  # fmt: skip
    monkeypatch.setattr(tasks, "train_now", lambda *a, **k: calls.append(f"train {k['time_budget']}")
                        or TrainOutcome(2, 1, True, "first", {}))  # fmt: skip
    monkeypatch.setattr(tasks, "refresh_now", lambda *a, **k: calls.append("refresh") or RunOutcome(3, 2))
    args = cli.build_parser().parse_args(["demo", "--days", "130", "--time-budget", "60"])
    settings = cli.get_settings()
    for active, wanted in ((False, ["backfill 130", "train 60.0", "refresh"]), (True, ["backfill 130"])):
        calls.clear()
        monkeypatch.setattr(tasks, "has_active_model", lambda _engine, active=active: active)
        cli._demo(None, settings, args, "demo", "test")  # type: ignore[arg-type]
        assert calls == wanted
