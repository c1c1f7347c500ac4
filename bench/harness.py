"""What every benchmark shares: a throwaway database, alternated timings, a peak-memory sampler, and the
JSON + SUMMARY.md writer with machine info (cpu, memory, Python, package and PostgreSQL versions, commit, date).

These machines are noisy (2 cores shared with other work): comparisons run in one process, alternating
A and B, and report medians and ratios. Nothing here asserts a timing.
"""

from __future__ import annotations

import _thread
import json
import os
import platform
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["pandas", "numpy", "psycopg", "SQLAlchemy", "lightgbm", "dash", "plotly", "gunicorn", "optuna"]
# Big runs go in the window when the other engineers' test load is lowest (see docs/bench.md).
QUIET_WINDOW_UTC = ("06:00", "06:30")


@dataclass
class Options:
    quick: bool = False
    full: bool = False
    repeats: int | None = None


@dataclass
class Report:
    """What one benchmark returns: free-form figures, rows for SUMMARY.md, and notes for the reader."""

    figures: dict[str, Any] = field(default_factory=dict)
    summary: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, measure: str, value: str, target: str = "", status: str = "") -> None:
        self.summary.append({"measure": measure, "value": value, "target": target, "status": status})
        print(f"  {measure}: {value}" + (f"  (target {target}: {status})" if target else ""))


def verdict(value: float, limit: float, *, higher_is_better: bool) -> str:
    """'met' or 'missed by N%' against a limit."""
    met = value >= limit if higher_is_better else value <= limit
    if met:
        return "met"
    factor = (limit / value if value else float("inf")) if higher_is_better else value / limit
    return f"missed by {100 * (factor - 1):.0f}%" if factor < 2 else f"missed ({factor:,.1f}x off)"


def median(values: list[float]) -> float:
    return statistics.median(values)


def alternate(variants: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Run each variant once per round, in order, for `repeats` rounds (A B A B ...): seconds per run.

    A variant returns its own measured seconds as a float (so untimed set-up can live inside it); anything
    else it returns is ignored and the call is timed whole.
    """
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, run in variants.items():
            started = time.perf_counter()
            measured = run()
            elapsed = time.perf_counter() - started
            times[name].append(measured if isinstance(measured, float) else elapsed)
    return times


class PeakRSS:
    """Sample this process's resident memory in a thread; `peak` is the highest seen, `start` the RSS on entry
    (bytes). With `abort_above`, a run that grows past it is interrupted (KeyboardInterrupt in the main thread)
    rather than pushing a shared machine into swap or the OOM killer; `aborted` says so."""

    def __init__(self, interval: float = 0.05, abort_above: int | None = None) -> None:
        self.interval, self.peak, self.start, self._stop = interval, 0, 0, threading.Event()
        self.abort_above, self.aborted = abort_above, False
        self._process = psutil.Process()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            if self.abort_above and self.peak > self.abort_above and not self.aborted:
                self.aborted = True
                _thread.interrupt_main()
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self.peak = self.start = self._process.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def growth(self) -> int:
        """How far the peak rose above the RSS on entry (bytes): what the measured code itself added."""
        return self.peak - self.start


@contextmanager
def throwaway_engine() -> Iterator[Any]:
    """A migrated database of its own on the local PostgreSQL (tests/pg.py finds the server), dropped after."""
    from core import migrations
    from core.db import get_engine
    from tests import pg

    url = pg.create_throwaway_database(pg.server_url())
    engine = get_engine(url)
    try:
        migrations.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        pg.drop_database(url)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _postgres() -> dict[str, str] | str:
    """The local server's version and the settings that matter for loads (or why it could not be asked)."""
    import psycopg
    from sqlalchemy.engine import make_url

    from tests import pg

    names = ["server_version", "shared_buffers", "work_mem", "maintenance_work_mem", "synchronous_commit",
             "max_wal_size", "wal_level"]  # fmt: skip
    try:
        libpq = make_url(pg.server_url()).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, connect_timeout=3) as conn:
            return {name: str(conn.execute(f"SHOW {name}").fetchone()[0]) for name in names}  # type: ignore[index]
    except psycopg.Error as error:
        return f"unavailable: {error}"


def machine_info() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    memory = psutil.virtual_memory()
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(memory.total / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "postgresql": _postgres(),
        "git_commit": _git_commit(),
    }


def in_quiet_window(moment: datetime) -> bool:
    return QUIET_WINDOW_UTC[0] <= moment.strftime("%H:%M") < QUIET_WINDOW_UTC[1]


def write_result(
    name: str, report: Report, *, started: datetime, options: Options, results_dir: Path = RESULTS_DIR
) -> Path:
    """Write `<name>.json` with the report, the machine and the run's times, then regenerate SUMMARY.md."""
    finished = datetime.now(UTC)
    payload = {
        "benchmark": name,
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": finished.isoformat(timespec="seconds"),
        "in_quiet_window": in_quiet_window(started) and in_quiet_window(finished),
        "options": {"quick": options.quick, "full": options.full, "repeats": options.repeats},
        "machine": machine_info(),
        "figures": report.figures,
        "summary": report.summary,
        "notes": report.notes,
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    write_summary(results_dir)
    return path


def write_summary(results_dir: Path = RESULTS_DIR) -> Path:
    """SUMMARY.md: one table row per summary entry of every result JSON in the folder."""
    lines = [
        "# Benchmark summary",
        "",
        "Generated by `python -m bench` from the JSON files beside this one (medians of alternated runs).",
        "",
        "| benchmark | measure | value | target | status | run (UTC) |",
        "|---|---|---|---|---|---|",
    ]
    for path in sorted(results_dir.glob("*.json")):
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or "summary" not in data:  # e.g. bench/model_speed.py's own output
            continue
        when = data.get("started_utc", "")[:16].replace("T", " ")
        flags = " quick" if data.get("options", {}).get("quick") else ""
        for row in data.get("summary", []):
            lines.append(
                f"| {data.get('benchmark', path.stem)}{flags} | {row['measure']} | {row['value']}"
                f" | {row.get('target', '')} | {row.get('status', '')} | {when} |"
            )
    path = results_dir / "SUMMARY.md"
    path.write_text("\n".join(lines) + "\n")
    return path
