"""The run log (`job_runs`): one row per run with its trigger, status, per-stage timings and row counts.

The recorder writes in short transactions of its own, so the Admin page can watch a run progress while the
run's data transactions are still open, and a crashed run still leaves its record behind. While a stage runs,
`job_runs.progress` says which stage it is and how far it got (`recorder.progress(...)` gives a
`jobs.progress.Progress` bound to it; writes are throttled to one a second).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, text

from jobs.memory import release_free_memory
from jobs.progress import Progress

logger = logging.getLogger(__name__)


@dataclass
class StageResult:
    """What a stage reports: rows in and out, and any extra counts worth keeping."""

    rows_in: int = 0
    rows_out: int = 0
    counts: dict[str, int] = field(default_factory=dict)


# The highest VmHWM this process has read: (pid, MiB). The kernel reports VmHWM as the larger of the high-water
# mark it recorded and the current RSS, from approximate (per-CPU) counters, so a reading taken at a peak can be
# a MiB above the mark it records later (seen in CI: 734 at a stage's end, 733 at the next one's).
_peak_read: tuple[int, int] = (0, 0)
_peak_lock = threading.Lock()


def peak_rss_mib() -> int | None:
    """This process's peak resident memory so far, in MiB (Linux's VmHWM, which, unlike `ru_maxrss`, starts at
    this program's exec), never lower than an earlier answer in the same process; None where /proc is not there."""
    global _peak_read
    now = status_mib("VmHWM")
    if now is None:
        return None
    with _peak_lock:
        pid, highest = _peak_read
        _peak_read = (os.getpid(), max(now, highest) if pid == os.getpid() else now)  # a forked child starts anew
        return _peak_read[1]


def status_mib(field: str) -> int | None:
    """A memory field of /proc/self/status (VmHWM, VmRSS, ...) in MiB; None where /proc is not there."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) // 1024 for line in status if line.startswith(f"{field}:"))
    except (OSError, StopIteration):
        return None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def start_run(
    *,
    conn: Connection,
    kind: str,
    trigger: str,
    source: str,
    snapshot_date: date | None,
    requested_by: str | None,
) -> int:
    return int(
        conn.execute(
            text(
                "INSERT INTO job_runs (kind, trigger, source, snapshot_date, requested_by, worker)"
                " VALUES (:kind, :trigger, :source, :day, :by, :worker) RETURNING run_id"
            ),
            {
                "kind": kind,
                "trigger": trigger,
                "source": source,
                "day": snapshot_date,
                "by": requested_by,
                "worker": worker_name(),
            },  # fmt: skip
        ).scalar_one()
    )


def fail_abandoned_runs(*, conn: Connection) -> int:
    """Mark runs still 'running' as failed. Call only while holding the run lock: then none can be alive.
    Their queue requests are retried or failed by `jobs.queue.recover_abandoned`."""
    result = conn.execute(
        text(
            "UPDATE job_runs SET status = 'failed', finished_at = now(),"
            " error = 'abandoned: the worker stopped during the run (last heartbeat ' || heartbeat_at || ')'"
            " WHERE status = 'running'"
        )
    )
    return int(result.rowcount or 0)


@contextmanager
def recorded_run(
    engine: Engine,
    *,
    kind: str,
    trigger: str,
    source: str,
    snapshot_date: date | None,
    requested_by: str | None,
) -> Iterator[RunRecorder]:
    """Open a `job_runs` row and yield its recorder; mark it succeeded, or failed and raise `RunFailed`."""
    from jobs.errors import RunFailed

    with engine.begin() as conn:
        run_id = start_run(
            conn=conn, kind=kind, trigger=trigger, source=source, snapshot_date=snapshot_date,
            requested_by=requested_by,
        )  # fmt: skip
    recorder = RunRecorder(engine, run_id)
    try:
        yield recorder
    except Exception as error:
        recorder.fail(error)
        raise RunFailed(run_id, error) from error
    recorder.succeed()


class RunRecorder:
    """Records one run: each stage's timing and counts as it finishes, then success or failure."""

    PROGRESS_INTERVAL = 1.0  # seconds between two progress writes (a new total or the last step write at once)

    def __init__(self, engine: Engine, run_id: int) -> None:
        self.engine, self.run_id = engine, run_id
        self.stages: list[dict[str, Any]] = []
        self.row_counts: dict[str, int] = {}
        self.warnings: list[str] = []
        self.unavailable_metrics: set[str] = set()  # metrics a source could not give (data, not warning text)
        self.current_stage: str | None = None
        self._progress_written = 0.0
        self._progress_shape: tuple[int | None, str] = (None, "")
        self._lock = threading.Lock()  # stages may end in two threads (discover beside publish, jobs.pipeline)
        self._open: list[str] = []  # the stages entered and not ended, the last entered last

    def _update(self, sql: str, **params: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(sql), {"run_id": self.run_id, **params})

    def warn(self, message: str) -> None:
        logger.warning("run %s: %s", self.run_id, message)
        if message not in self.warnings:
            self.warnings.append(message)

    def metric_unavailable(self, source: str, metric: str) -> None:
        """A metric `source` could not give: kept as data for the publication, and said in a warning."""
        self.unavailable_metrics.add(metric)
        self.warn(f"metric unavailable from {source}: {metric}")

    @contextmanager
    def stage(self, name: str) -> Iterator[StageResult]:
        started = time.perf_counter()
        result = StageResult()
        with self._lock:  # the open stages and the one the progress names change together
            self.current_stage = name
            self._open.append(name)
        self._write_progress(0, None, "steps")
        yield result
        release_free_memory()  # the stage's freed frames go back to the system, not into the next stage's peak
        with self._lock:
            self._open.remove(name)
            named = self._open[-1] if self._open and self.current_stage == name else None
            if named is not None:  # one ended beside another: the progress names that one
                self.current_stage = named
        if named is not None:
            self._write_progress(0, None, "steps")
        seconds = round(time.perf_counter() - started, 3)
        record = {"stage": name, "seconds": seconds, "rows_in": result.rows_in, "rows_out": result.rows_out}
        if (peak := peak_rss_mib()) is not None:
            record["peak_rss_mib"] = peak  # the process's peak so far: the stage that raises it set the run's peak
        with self._lock:
            self._record(record, result)

    def _record(self, record: dict[str, Any], result: StageResult) -> None:
        self.stages.append(record)
        for key, value in result.counts.items():
            self.row_counts[key] = self.row_counts.get(key, 0) + int(value)
        logger.info(
            "run %s stage %s: %d rows in, %d rows out, %.2fs", self.run_id, record["stage"], result.rows_in,
            result.rows_out, record["seconds"],
        )  # fmt: skip
        self._update(
            "UPDATE job_runs SET heartbeat_at = now(), stages = CAST(:stages AS jsonb),"
            " row_counts = CAST(:counts AS jsonb), warnings = CAST(:warnings AS jsonb) WHERE run_id = :run_id",
            stages=json.dumps(self.stages), counts=json.dumps(self.row_counts), warnings=json.dumps(self.warnings),
        )  # fmt: skip

    def progress(self, desc: str, *, total: int | None = None, unit: str = "rows") -> Progress:
        """A progress bar (terminal) or log lines (no terminal) for the current stage, recorded in `job_runs`."""
        return Progress(f"run {self.run_id} {desc}", total=total, unit=unit, sink=self.report_progress)

    def report_progress(self, progress: Progress) -> None:
        """Record how far the current stage got; at most one write a second, and always the last step."""
        last_step = bool(progress.total) and progress.done >= (progress.total or 0)
        changed = (progress.total, progress.unit) != self._progress_shape
        if time.monotonic() - self._progress_written < self.PROGRESS_INTERVAL and not (last_step or changed):
            return
        self._write_progress(progress.done, progress.total, progress.unit, progress.rows)

    def _write_progress(self, done: int, total: int | None, unit: str, rows: int = 0) -> None:
        self._progress_written, self._progress_shape = time.monotonic(), (total, unit)
        progress = {"stage": self.current_stage, "done": done, "total": total, "unit": unit, "rows": rows}
        self._update(
            "UPDATE job_runs SET heartbeat_at = now(), progress = CAST(:progress AS jsonb)"
            " || jsonb_build_object('updated_at', now()) WHERE run_id = :run_id",
            progress=json.dumps(progress),
        )

    def succeed(self) -> None:
        self._update(
            "UPDATE job_runs SET status = 'succeeded', finished_at = now(), heartbeat_at = now(),"
            " warnings = CAST(:warnings AS jsonb) WHERE run_id = :run_id",
            warnings=json.dumps(self.warnings),
        )

    def fail(self, error: BaseException) -> None:
        message = f"{type(error).__name__}: {error}"[:2000]
        self._update(
            "UPDATE job_runs SET status = 'failed', finished_at = now(), error = :error,"
            " warnings = CAST(:warnings AS jsonb) WHERE run_id = :run_id",
            error=message, warnings=json.dumps(self.warnings),
        )  # fmt: skip


def status_rows(*, conn: Connection) -> dict[str, Any]:
    """The newest publication, the newest run and the active model version (each a dict, or None)."""

    def first(sql: str) -> dict[str, Any] | None:
        row = conn.execute(text(sql)).first()
        return dict(row._mapping) if row else None

    return {
        "publication": first(
            "SELECT publication_id, snapshot_date, source, is_demo, published_at FROM publications"
            " ORDER BY publication_id DESC LIMIT 1"
        ),
        "run": first(
            "SELECT run_id, kind, trigger, status, started_at, finished_at, error FROM job_runs"
            " ORDER BY run_id DESC LIMIT 1"
        ),
        "model": first(
            "SELECT model_version_id, created_at, metrics -> 'forward' -> 'pr_auc' AS pr_auc FROM model_versions"
            " WHERE is_active"
        ),
    }
