"""Dashboard callbacks against the floor. Three apps under gunicorn (`-w 2`, sync workers, 127.0.0.1 only):
the floor (`bench.floor_app`: a bare Dash app whose callback returns the same graph_objects figure from
memory), Hitscope (`dashboard.wsgi:server`, signed in, on a published demo database) and the naive way
(`bench.naive_app`: the Artists view aggregated live from `raw_observations`). A threaded load generator posts
each callback's real payload to `/_dash-update-component` at concurrency 1, 8 and 32, alternating the targets
in rounds: p50/p95/p99, requests/s, the ratio to the floor, and each gunicorn worker's RSS after the load.

    python -m bench dashboard [--quick]        # default demo market (3,000 artists) with 90 days of history

Targets: Hitscope's p50 at concurrency 1 within 1.3x the floor, throughput at 32 at least 0.8x the floor's,
each worker under 300 MiB resident after the load.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

import psutil
import requests
from sqlalchemy import text

from bench import loadgen
from bench.harness import ROOT, Options, Report, throwaway_engine, verdict
from bench.world import DAY, TRAIN_ARTISTS, install_model, load_history, model_for_scoring
from dashboard import ids
from jobs import lock, pipeline
from jobs.sources.demo import DemoSource

CREDENTIALS = ("admin", "admin")  # the development user (APP_ENV=development, no DASHBOARD_USERS)
LEVELS = (1, 8, 32)
WORKER_RSS_LIMIT = 300 * 2**20
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
# target -> (WSGI app, signed in?, output component of the callback, its input values)
TARGETS: dict[str, tuple[str, bool, str, dict[str, Any]]] = {
    "floor": ("bench.floor_app:server", False, "graph", {}),
    "hitscope_artists": ("dashboard.wsgi:server", True, ids.ARTISTS_GRAPH,
                         {f"{ids.ARTISTS_ORDER}.value": "level", f"{ids.ARTISTS_TOP}.value": 20}),
    "hitscope_seasonality": ("dashboard.wsgi:server", True, ids.SEASON_BARS,
                             {f"{ids.SEASON_METRIC}.value": "hit_rate"}),
    "hitscope_morning_lists": ("dashboard.wsgi:server", True, ids.MORNING_EMERGING,
                               {f"{ids.MORNING_RISER_WINDOW}.value": "7",
                                f"{ids.MORNING_RISER_BASIS}.value": "points"}),
    "naive_artists": ("bench.naive_app:server", False, "graph", {}),
}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(app: str, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "development", "LOG_LEVEL": "WARNING",
           "SECRET_KEY": "bench-only-secret", "DASHBOARD_USERS": "", "PYTHONPATH": str(ROOT)}  # fmt: skip
    process = subprocess.Popen(
        [GUNICORN, app, "--workers", "2", "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
         "--timeout", "60", "--chdir", str(ROOT)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                requests.get(f"{base}/login" if app.startswith("dashboard") else base, timeout=20)
                return process, base
            except requests.RequestException:
                time.sleep(0.5)
        raise RuntimeError(f"gunicorn {app} did not answer on {base} within 90 s")
    except BaseException:
        stop_server(process)
        raise


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def worker_rss(process: subprocess.Popen[bytes]) -> list[int]:
    return [child.memory_info().rss for child in psutil.Process(process.pid).children()]


def prepare_database(engine: Any, days: int) -> None:
    """The default demo market with `days` of history and one published refresh scored by the model."""
    source = DemoSource(n_artists=TRAIN_ARTISTS)
    load_history(engine, source, days)
    install_model(engine, model_for_scoring())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    with lock.exclusive_run(engine):
        pipeline.refresh(engine, source, snapshot_date=DAY, trigger="cli", requested_by="bench",
                         config=pipeline.RunConfig())  # fmt: skip


def run(options: Options) -> Report:
    days, rounds, seconds = (36, 1, 2.0) if options.quick else (90, options.repeats or 2, 5.0)
    report = Report()
    servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    results: dict[str, dict[int, loadgen.Burst]] = {name: {} for name in TARGETS}
    with throwaway_engine() as engine:
        prepare_database(engine, days)
        url = engine.url.render_as_string(hide_password=False)
        try:
            for app in sorted({app for app, *_ in TARGETS.values()}):
                servers[app] = start_server(app, url)
            payloads = {}
            for name, (app, signed, output, values) in TARGETS.items():
                session = loadgen.signed_in_session(servers[app][1], *(CREDENTIALS if signed else (None, None)))
                deps = session.get(f"{servers[app][1]}/_dash-dependencies", timeout=10).json()
                payloads[name] = loadgen.callback_payload(deps, output, values)
                session.close()
            for name, (app, signed, *_rest) in TARGETS.items():  # warm every worker: imports, engine, pools
                loadgen.burst(servers[app][1], payloads[name], concurrency=4, seconds=5, max_requests=16,
                              credentials=CREDENTIALS if signed else None)  # fmt: skip
            for level in LEVELS:
                for _ in range(rounds):
                    for name, (app, signed, *_rest) in TARGETS.items():
                        got = loadgen.burst(servers[app][1], payloads[name], concurrency=level, seconds=seconds,
                                            max_requests=5000, credentials=CREDENTIALS if signed else None)  # fmt: skip
                        pooled = results[name].setdefault(level, loadgen.Burst())
                        pooled.latencies += got.latencies
                        pooled.errors += got.errors
                        pooled.seconds += got.seconds
                        pooled.response_bytes = got.response_bytes
            memory = {app: worker_rss(process) for app, (process, _) in servers.items()}
        finally:
            for process, _ in servers.values():
                stop_server(process)
    table = {name: {level: burst.summary() for level, burst in by_level.items()} for name, by_level in results.items()}
    report.figures = {"history_days": days, "rounds": rounds, "burst_seconds": seconds, "levels": LEVELS,
                      "results": table, "worker_rss_bytes": memory,
                      "load_generator": "python threads + requests on the same 2 cores (competes for CPU)"}  # fmt: skip
    for name, by_level in table.items():
        for level, row in by_level.items():
            print(
                f"    {name:22s} c={level:<3d} p50 {row['p50_ms']} ms  p95 {row['p95_ms']} ms  p99 {row['p99_ms']} ms"
                f"  {row['rps']} req/s  errors {row['errors']}  {row['response_bytes']:,} bytes"
            )
    floor = table["floor"]
    for name in TARGETS:
        if name == "floor":
            continue
        p50 = table[name][1]["p50_ms"] / floor[1]["p50_ms"]
        rps = table[name][32]["rps"] / floor[32]["rps"]
        targets = name == "hitscope_artists"
        report.row(
            f"{name} p50 at c=1 / floor",
            f"{p50:.2f}x ({table[name][1]['p50_ms']} vs {floor[1]['p50_ms']} ms)",
            "≤ 1.3x" if targets else "",
            verdict(p50, 1.3, higher_is_better=False) if targets else "",
        )
        report.row(
            f"{name} req/s at c=32 / floor",
            f"{rps:.2f}x ({table[name][32]['rps']} vs {floor[32]['rps']})",
            "≥ 0.8x" if targets else "",
            verdict(rps, 0.8, higher_is_better=True) if targets else "",
        )
    worst = max(memory["dashboard.wsgi:server"])
    report.row(
        "Hitscope gunicorn worker RSS after the load (max)",
        f"{worst / 2**20:.0f} MiB",
        "< 300 MiB",
        verdict(worst, WORKER_RSS_LIMIT, higher_is_better=False),
    )
    return report
