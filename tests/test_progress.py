"""Progress: what a run records in `job_runs.progress` while it runs, and what the CLI shows with and without
a terminal (a pseudo-terminal stands in for one).

    pytest tests/test_progress.py
"""

from __future__ import annotations

import fcntl
import io
import logging
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import numpy as np
import optuna
import pytest
from sqlalchemy import Engine, text

from jobs.lock import exclusive_run
from jobs.pipeline import backfill
from jobs.progress import Progress, estimate_rows, optuna_trials
from jobs.runs import RunRecorder, start_run, status_mib
from jobs.sources.base import DailySource, SourceBatch
from tests.factories import DAY, config, tiny_source


class WatchedSource(DailySource):
    """The demo source, one day per batch, reading the run's progress row before each batch is handed over."""

    def __init__(self, engine: Engine) -> None:
        self.inner, self.engine = tiny_source(n_artists=20), engine
        self.name, self.is_demo = self.inner.name, self.inner.is_demo
        self.seen: list[dict[str, Any]] = []

    def extract(self, day: date) -> SourceBatch:
        with self.engine.connect() as conn:
            progress = conn.execute(text("SELECT progress FROM job_runs WHERE status = 'running'")).scalar()
        if progress is not None:
            self.seen.append(progress)
        return self.inner.extract(day)


def test_a_backfill_records_its_stage_and_days_done_while_it_runs(
    clean_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RunRecorder, "PROGRESS_INTERVAL", 0.0)  # record every step (the default is one a second)
    source = WatchedSource(clean_db)
    with exclusive_run(clean_db):
        backfill(clean_db, source, end_date=DAY, days=4, trigger="cli", requested_by="tests", config=config())
    assert [(p["stage"], p["done"], p["total"], p["unit"]) for p in source.seen] == [
        ("extract", 0, 4, "days"), ("extract", 1, 4, "days"), ("extract", 2, 4, "days"), ("extract", 3, 4, "days"),
    ]  # fmt: skip
    assert source.seen[1]["rows"] > 0 and source.seen[2]["rows"] > source.seen[1]["rows"]
    with clean_db.connect() as conn:
        final = conn.execute(text("SELECT progress FROM job_runs")).scalar_one()
    assert final["stage"] == "aggregate_publish"  # the last stage the run entered


def test_without_a_terminal_progress_is_plain_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    stream = io.StringIO()
    with caplog.at_level(logging.INFO, logger="jobs.progress"):
        with Progress("import", total=3, unit="rows", stream=stream, log_every=0.0) as bar:
            for _ in range(3):
                bar.update()
    assert stream.getvalue() == ""  # no bar drawn
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("import: 1 of 3 rows, ") and "s left" in lines[0]
    assert lines[-1].startswith("import: 3 of 3 rows in ")


def test_on_a_terminal_progress_is_a_bar_with_an_eta() -> None:
    stream = io.StringIO()
    with Progress("tuning", total=4, unit="trials", stream=stream, interactive=True) as bar:
        bar.update(2)
        assert bar.eta_seconds() is not None
        bar.update(2)
    drawn = stream.getvalue()
    assert "tuning" in drawn and "4/4" in drawn and "trials" in drawn and "<" in drawn  # tqdm's elapsed<remaining


def test_optuna_trials_counts_every_trial_of_a_study() -> None:
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1))
    with Progress("study", total=5, unit="trials", stream=io.StringIO(), interactive=False) as bar:
        with optuna_trials(bar):
            study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=5)
        study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)  # outside: not counted
    assert bar.done == 5


def test_estimate_rows_counts_data_lines_of_plain_and_gzipped_csv(tmp_path: Any) -> None:
    import gzip

    (tmp_path / "a.csv").write_text("id,name\n1,a\n2,b\n")
    with gzip.open(tmp_path / "b.csv.gz", "wt") as handle:
        handle.write("id\n" + "".join(f"{i}\n" for i in range(7)))
    assert estimate_rows([tmp_path / "a.csv", tmp_path / "b.csv.gz"]) == 9


def _cli(database_url: str, *args: str, terminal: bool) -> str:
    env = {**os.environ, "DATABASE_URL": database_url, "DEMO_ARTISTS": "30", "APP_ENV": "test", "COLUMNS": "120"}
    command = [sys.executable, "-m", "jobs", *args]
    if not terminal:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True).stderr
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # 40 rows, 120 columns
    try:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=follower)
        os.close(follower)
        return b"".join(_read_all(leader)).decode(errors="replace") if process.wait(timeout=120) == 0 else ""
    finally:
        os.close(leader)


def _read_all(fd: int) -> Iterator[bytes]:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            return
        if not chunk:
            return
        yield chunk


def test_backfill_on_the_command_line_with_and_without_a_terminal(clean_db: Engine, database_url: str) -> None:
    end = DAY.isoformat()
    plain = _cli(database_url, "backfill", "--days", "3", "--end", end, terminal=False)
    assert "extract + load: 3 of 3 days (" in plain and "\r" not in plain
    start = (DAY - timedelta(days=3)).isoformat()
    drawn = _cli(database_url, "backfill", "--days", "3", "--end", start, terminal=True)
    assert "extract + load" in drawn and "3/3" in drawn and " days" in drawn and "\r" in drawn


def test_each_stage_records_the_peak_memory_so_far_so_the_stage_that_set_the_peak_shows(clean_db: Engine) -> None:
    """`peak_rss_mib` is the process's VmHWM at the stage's end: a stage holding 200 MB raises it to at least
    200 MB above the memory resident when the stage began (the process may have peaked higher before)."""
    recorder = RunRecorder(clean_db, _started_run(clean_db))
    with recorder.stage("small"):
        pass
    with recorder.stage("big"):
        resident = status_mib("VmRSS")
        assert resident is not None
        held = np.ones(200 * 2**20 // 8)  # 200 MB, written (so resident)
    del held
    with recorder.stage("after"):
        pass
    small, big, after = (stage["peak_rss_mib"] for stage in recorder.stages)
    assert big >= max(small, resident + 190) and after == big  # a peak never goes down
    with clean_db.connect() as conn:
        stored = conn.execute(text("SELECT stages FROM job_runs")).scalar_one()
    assert [stage["peak_rss_mib"] for stage in stored] == [small, big, after]


def _started_run(engine: Engine) -> int:
    with engine.begin() as conn:
        return start_run(conn=conn, kind="refresh", trigger="cli", source="demo", snapshot_date=DAY, requested_by="t")


def test_the_peak_read_never_goes_down_in_a_process_and_starts_anew_in_a_forked_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """VmHWM comes from approximate counters: a later reading a MiB lower (seen in CI) is not a lower peak."""
    from jobs import runs

    readings = iter([734, 733, 500])
    monkeypatch.setattr(runs, "status_mib", lambda field: next(readings))
    monkeypatch.setattr(runs, "_peak_read", (os.getpid(), 0))
    assert [runs.peak_rss_mib(), runs.peak_rss_mib()] == [734, 734]
    monkeypatch.setattr(runs.os, "getpid", lambda: -1)  # as in a child forked after those readings
    assert runs.peak_rss_mib() == 500
