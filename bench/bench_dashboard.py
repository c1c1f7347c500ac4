"""Dashboard callbacks against the floor. Three apps under gunicorn (`-w 2`, sync workers, 127.0.0.1 only):
the floor (`bench.floor_app`: a bare Dash app whose callback returns the same graph_objects figure from
memory), Hitscope (`dashboard.wsgi:server`, signed in, on a published demo database) and the naive way
(`bench.naive_app`: the Artists view aggregated live from `raw_observations`, every row shipped, no cache).
A threaded load generator posts each callback's real payload (bench/dashboard_targets.py; each answer is
checked once to hold rows) to `/_dash-update-component` at concurrency 1, 8 and 32, alternating the targets
in rounds: p50/p95/p99, requests/s, the ratio to the floor, and each gunicorn worker's RSS after the load.

    python -m bench dashboard [--quick]        # default demo market (3,000 artists) with 90 days of history

Targets: every grid callback's p50 at concurrency 1 within 1.3x the floor (`dashboard_targets.GRID_CALLBACKS`:
the Artists figure and its grid's first block, the Morning lists, the Track page's similar tracks, the Discover
artist grids, the playlist grid), throughput at 32 at least 0.8x the floor's, the naive app at least 15x slower
than the Artists figure and first block together (cached per publication after the warm-up: the same request
repeats, as a page's first view does for every user of a publication), each worker under 300 MiB resident.
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

from bench import dashboard_targets, loadgen
from bench.dashboard_targets import GRID_CALLBACKS, HITSCOPE, NAIVE_PAIR, Target
from bench.harness import ROOT, Options, Report, throwaway_engine, verdict
from bench.world import DAY, TRAIN_ARTISTS, install_model, load_history, model_for_scoring
from jobs import lock, pipeline
from jobs.sources.demo import DemoSource

CREDENTIALS = ("admin", "admin")  # the development user (APP_ENV=development, no DASHBOARD_USERS)
LEVELS = (1, 8, 32)
WORKER_RSS_LIMIT = 300 * 2**20
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
NAIVE_SPEEDUP = 15.0  # the naive app's p50 over Hitscope's Artists callbacks (figure + first block), at c=1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(app: str, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "development", "LOG_LEVEL": "WARNING",
           "SECRET_KEY": "bench-only-secret", "DASHBOARD_USERS": "", "PYTHONPATH": str(ROOT),
           "NAIVE_DAY": DAY.isoformat()}  # fmt: skip
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


def measure(targets: dict[str, Target], url: str, rounds: int, seconds: float) -> tuple[dict, dict]:
    """Serve every app, check each target's answer once, warm the workers, then the alternated bursts:
    ({target: {level: Burst}}, {app: worker RSS after the load})."""
    servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
    results: dict[str, dict[int, loadgen.Burst]] = {name: {} for name in targets}
    try:
        for app in sorted({app for app, *_ in targets.values()}):
            servers[app] = start_server(app, url)
        payloads = {name: payload(servers[app][1], signed, output, values)
                    for name, (app, signed, output, values) in targets.items()}  # fmt: skip
        for name, (app, signed, *_rest) in targets.items():  # warm every worker: imports, engine, pools
            loadgen.burst(servers[app][1], payloads[name], concurrency=4, seconds=5, max_requests=16,
                          credentials=CREDENTIALS if signed else None)  # fmt: skip
        for level in LEVELS:
            for _ in range(rounds):
                for name, (app, signed, *_rest) in targets.items():
                    got = loadgen.burst(servers[app][1], payloads[name], concurrency=level, seconds=seconds,
                                        max_requests=5000, credentials=CREDENTIALS if signed else None)  # fmt: skip
                    pooled = results[name].setdefault(level, loadgen.Burst())
                    pooled.latencies += got.latencies
                    pooled.errors += got.errors
                    pooled.seconds += got.seconds
                    pooled.response_bytes = got.response_bytes
        return results, {app: worker_rss(process) for app, (process, _) in servers.items()}
    finally:
        for process, _ in servers.values():
            stop_server(process)


def payload(base: str, signed: bool, output: str, values: dict[str, Any]) -> dict[str, Any]:
    """The callback's real payload, posted once and its answer checked (`dashboard_targets.check_answer`)."""
    session = loadgen.signed_in_session(base, *(CREDENTIALS if signed else (None, None)))
    try:
        deps = session.get(f"{base}/_dash-dependencies", timeout=10).json()
        body = loadgen.callback_payload(deps, output, values)
        answer = session.post(f"{base}/_dash-update-component", json=body, timeout=120)
        answer.raise_for_status()
        dashboard_targets.check_answer(output, answer.json())
        return body
    finally:
        session.close()


def run(options: Options) -> Report:
    days, rounds, seconds = (36, 1, 2.0) if options.quick else (90, options.repeats or 2, 5.0)
    with throwaway_engine() as engine:
        prepare_database(engine, days)
        targets = dashboard_targets.targets(engine)
        results, memory = measure(targets, engine.url.render_as_string(hide_password=False), rounds, seconds)
    table = {name: {level: burst.summary() for level, burst in by_level.items()} for name, by_level in results.items()}
    report = Report()
    report.figures = {"history_days": days, "rounds": rounds, "burst_seconds": seconds, "levels": LEVELS,
                      "results": table, "worker_rss_bytes": memory,
                      "load_generator": "python threads + requests on the same 2 cores (competes for CPU)"}  # fmt: skip
    for name, by_level in table.items():
        for level, row in by_level.items():
            print(
                f"    {name:24s} c={level:<3d} p50 {row['p50_ms']} ms  p95 {row['p95_ms']} ms  p99 {row['p99_ms']} ms"
                f"  {row['rps']} req/s  errors {row['errors']}  {row['response_bytes']:,} bytes"
            )
    summarise(report, table, memory)
    return report


def summarise(report: Report, table: dict[str, dict[int, dict[str, Any]]], memory: dict[str, list[int]]) -> None:
    """The rows with goals: each target against the floor, the naive app against the Artists pair, worker RSS."""
    floor = table["floor"]
    for name in table:
        if name == "floor":
            continue
        p50 = table[name][1]["p50_ms"] / floor[1]["p50_ms"]
        rps = table[name][32]["rps"] / floor[32]["rps"]
        goal = name in GRID_CALLBACKS
        report.row(
            f"{name} p50 at c=1 / floor",
            f"{p50:.2f}x ({table[name][1]['p50_ms']} vs {floor[1]['p50_ms']} ms)",
            "≤ 1.3x" if goal else "",
            verdict(p50, 1.3, higher_is_better=False) if goal else "",
        )
        report.row(
            f"{name} req/s at c=32 / floor",
            f"{rps:.2f}x ({table[name][32]['rps']} vs {floor[32]['rps']})",
            "≥ 0.8x" if goal else "",
            verdict(rps, 0.8, higher_is_better=True) if goal else "",
        )
    naive = table["naive_artists"][1]["p50_ms"]
    ours = sum(table[name][1]["p50_ms"] for name in NAIVE_PAIR)
    report.row(
        "naive Artists p50 / Hitscope Artists (figure + first grid block) p50, c=1, cached",
        f"{naive / ours:.1f}x faster ({ours:.1f} vs {naive} ms)",
        f"≥ {NAIVE_SPEEDUP:.0f}x",
        verdict(naive / ours, NAIVE_SPEEDUP, higher_is_better=True),
    )
    worst = max(memory[HITSCOPE])
    report.row(
        "Hitscope gunicorn worker RSS after the load (max)",
        f"{worst / 2**20:.0f} MiB",
        "< 300 MiB",
        verdict(worst, WORKER_RSS_LIMIT, higher_is_better=False),
    )
