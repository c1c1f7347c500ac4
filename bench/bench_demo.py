"""`make demo` from a clean clone: seconds until the login page answers 200, until the first publication, and
until the Morning page shows scores (the newest publication has scored tracks).

    python -m bench demo [--quick]   # --quick: the run against the local server only (no embedded PostgreSQL)

Each run clones this repository's HEAD (committed work only) into a temporary directory, symlinks the clone's
`.venv` to the interpreter's own virtual environment (so the bench measures the demo, not pip; `make` is run
with `-o .venv/.runtime`, which marks the install as done), then runs `make demo` with an unused `PORT`:
once with `DATABASE_URL` pointing at a fresh throwaway database on the local server (127.0.0.1:5432, dropped
after), and, unless `--quick`, once without it (the embedded PostgreSQL in the clone's `.pgdata/`, from an
empty data directory). The login page is polled over HTTP and the database every 0.5 s; the run is stopped
with SIGINT (the demo's own Ctrl-C clean-up) once scores show, or after `TIMEOUT_S`. Measured, never asserted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from bench.harness import ROOT, Options, Report, verdict
from dashboard import queries
from tests import pg
from tests.servers import free_port

TIMEOUT_S = 900
SCORES_TARGET_S = 180.0
POLL_S = 0.5


def clone(into: Path) -> Path:
    """A clone of ROOT's HEAD at `into/hitscope`, its `.venv` a symlink to the running interpreter's venv."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    target = into / "hitscope"
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(target)], check=True)
    subprocess.run(["git", "checkout", "--quiet", head.stdout.strip()], cwd=target, check=True)
    (target / ".venv").symlink_to(Path(sys.prefix))
    return target


class Lines(threading.Thread):
    """Read the demo's output; keep each line with the second (since `started`) it appeared."""

    def __init__(self, stream: Any, started: float) -> None:
        super().__init__(daemon=True)
        self.stream, self.started, self.lines = stream, started, []  # type: list[tuple[float, str]]

    def run(self) -> None:
        for line in self.stream:
            self.lines.append((round(time.perf_counter() - self.started, 1), line.rstrip()))


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds the demo's process tree has used so far (the live processes and the ones they reaped;
    the PostgreSQL server's own work is not in it)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return round(total, 1)


def page_up(base: str) -> bool:
    try:
        return requests.get(f"{base}/login", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def published(engine: Any) -> tuple[bool, bool]:
    """(a publication exists, the newest one has scored tracks): what the Morning page reads."""
    try:
        with engine.connect() as conn:
            publication = queries.current_publication(conn=conn)
            if publication is None:
                return False, False
            return True, queries.scored_track_count(conn=conn, publication_id=publication.publication_id) > 0
    except SQLAlchemyError:  # not migrated yet, or the embedded server not started yet
        return False, False


def job_runs(engine: Any) -> list[dict[str, Any]]:
    """The demo's runs so far, each with its seconds and its stages' seconds (where the time went)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT run_id, kind, status, round(extract(epoch FROM coalesce(finished_at, now()) - started_at))"
                " AS seconds, stages FROM job_runs ORDER BY run_id"
            )
        ).all()
    return [
        {**row._mapping, "seconds": float(row.seconds), "stages": {s["stage"]: s["seconds"] for s in row.stages}}
        for row in rows
    ]


def watch(process: subprocess.Popen[str], base: str, url: str | None, clone_dir: Path) -> dict[str, Any]:
    """Poll until scores show (or the demo exits, or TIMEOUT_S): seconds of each milestone, and the runs."""
    started = time.perf_counter()
    seen: dict[str, Any] = {"page_up_s": None, "first_publication_s": None, "scores_s": None, "runs": [],
                            "load_average_at_start": [round(x, 1) for x in os.getloadavg()]}  # fmt: skip
    engine = create_engine(url) if url else None
    try:
        while time.perf_counter() - started < TIMEOUT_S and process.poll() is None:
            now = round(time.perf_counter() - started, 1)
            if seen["page_up_s"] is None and page_up(base):
                seen["page_up_s"] = now
            if engine is None and url is None:
                engine = embedded_engine(clone_dir)
            if engine is not None:
                publication, scores = published(engine)
                if publication and seen["first_publication_s"] is None:
                    seen["first_publication_s"] = now
                if scores:
                    seen["scores_s"] = now
                    seen["cpu_s_to_scores"] = tree_cpu_seconds(process.pid)
                    seen["load_average_at_scores"] = [round(x, 1) for x in os.getloadavg()]
                    break
            time.sleep(POLL_S)
        if engine is not None:
            seen["runs"] = job_runs(engine)
    finally:
        if engine is not None:
            engine.dispose()
    return seen


def embedded_engine(clone_dir: Path) -> Any:
    """An engine on the clone's embedded server once it runs (None until then); the demo stops it."""
    from core.embedded_pg import ensure_embedded_server

    pgdata = clone_dir / ".pgdata"
    return create_engine(ensure_embedded_server(pgdata)) if (pgdata / "postmaster.pid").exists() else None


def stop(process: subprocess.Popen[str]) -> int | None:
    """Ctrl-C the demo (its trap stops the worker, gunicorn and the embedded server), SIGKILL if it hangs."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    return process.returncode


def run_demo(database: str | None) -> dict[str, Any]:
    """One `make demo` from a fresh clone, against `database` (None: the embedded PostgreSQL)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VIRTUAL_ENV", "PORT")}
    env.update({"PORT": str(port), **({"DATABASE_URL": database} if database else {})})
    with tempfile.TemporaryDirectory(prefix="hitscope-demo-") as tmp:
        clone_dir = clone(Path(tmp))
        started = time.perf_counter()
        process = subprocess.Popen(
            ["make", "-o", ".venv/.runtime", "demo"], cwd=clone_dir, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        lines = Lines(process.stdout, started)
        lines.start()
        try:
            seen = watch(process, f"http://127.0.0.1:{port}", database, clone_dir)
        finally:
            code = stop(process)
            lines.join(10)
    logged = [(second, line) for second, line in lines.lines if line and not line[0].isspace()]
    return {**seen, "exit_code": code, "log": logged[-80:]}  # no traceback bodies


def add_rows(report: Report, name: str, result: dict[str, Any]) -> None:
    page, scores = result["page_up_s"], result["scores_s"]
    report.row(f"make demo ({name}): login page answers 200", "never" if page is None else f"{page:.0f} s")
    first = result["first_publication_s"]
    report.row(f"make demo ({name}): first publication", "never" if first is None else f"{first:.0f} s")
    page_first = page is not None and (scores is None or page < scores)
    report.row(f"make demo ({name}): page up before scores", "yes" if page_first else "no", "yes",
               "met" if page_first else "missed")  # fmt: skip
    report.row(
        f"make demo ({name}): scores on the Morning page",
        "never" if scores is None else f"{scores:.0f} s",
        f"<= {SCORES_TARGET_S:.0f} s",
        "missed (none)" if scores is None else verdict(scores, SCORES_TARGET_S, higher_is_better=False),
    )
    if result.get("cpu_s_to_scores") is not None:
        load = result["load_average_at_start"][0], result["load_average_at_scores"][0]
        report.row(f"make demo ({name}): CPU seconds of its processes until scores (load {load[0]} -> {load[1]})",
                   f"{result['cpu_s_to_scores']:.0f} s")  # fmt: skip


def run(options: Options) -> Report:
    report = Report()
    runs: dict[str, dict[str, Any]] = {}
    database = pg.create_throwaway_database(pg.LOCAL_SERVER)
    try:
        runs["local server"] = run_demo(database)
    finally:
        pg.drop_database(database)
    if not options.quick:
        runs["embedded PostgreSQL"] = run_demo(None)
    for name, result in runs.items():
        add_rows(report, name, result)
    report.figures = {"runs": runs, "timeout_s": TIMEOUT_S, "venv": f"symlink to {sys.prefix}"}
    report.notes.append(
        "Fresh clone of HEAD with .venv symlinked to the bench's own venv and `make -o .venv/.runtime demo` "
        "(no pip). Scores = the newest publication has scored tracks (what the Morning page lists). "
        "The demo shares the 2 noisy cores with other work."
    )
    return report
