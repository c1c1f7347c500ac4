"""The Morning page of two checkouts in the same conditions: bench_morning's world (20,000 artists, ~74k tracks)
built once, each checkout's `dashboard.wsgi:server` served by its own gunicorn (`-w 2`) against that one
database, and warm loads alternated between them (A B, B A, ...) in one Chromium, each in its own signed-in
context. Load timing is `bench_morning.load_once`; a list is drawn when its first row shows (an ag-grid row
or a table row, whichever the checkout draws). Each load also counts the CPU seconds it cost the browser (every
Chromium process) and that checkout's gunicorn (master and workers), and Chromium's own main-thread figures of
the page (CDP `Performance.getMetrics`: TaskDuration, ScriptDuration): steadier than wall time on a loaded
machine, though blind to what runs in parallel. Prints the medians; writes nothing (on a shared machine the
ratio is the figure, the absolute times move with the load).

    python -m bench.morning_ab /work/main [--rounds 10] [--watching 5]   # this checkout (B) against /work/main (A)
    python -m bench.morning_ab /work/main --database postgresql+psycopg://postgres@127.0.0.1/hs_morning_w

`--watching N` gives the viewer N watched tracks first (Morning then shows its watchlist grid).
`--database URL` reuses a world built once by `bench_morning.prepare_database` (kept, not modified unless
`--watching`) instead of building a throwaway one: the world takes minutes, an A/B run one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import text

from bench import bench_morning
from bench.harness import throwaway_engine
from tests.dashboard_support import PASSWORDS, users_setting
from tests.servers import ROOT, free_port, wait_for_http

EITHER_ROWS = ":is(tbody tr, .ag-center-cols-container .ag-row)"


def serve(root: Path, database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {"DASHBOARD_USERS": users_setting(), "SECRET_KEY": "bench-only-secret", "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "dashboard.wsgi:server", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning"],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root), "DATABASE_URL": database_url, "APP_ENV": "test", **env},
    )  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """{pid: user + system CPU seconds so far} of those of these processes still running."""
    seconds = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two `cpu_seconds` readings: a process started in between counts from zero (a
    Chromium renderer for the new page), one that ended in between is lost (the previous page's, idle)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def tree(pid: int) -> list[psutil.Process]:
    """A process and its descendants (a gunicorn master and its workers)."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def browsers() -> list[psutil.Process]:
    """Every Chromium process this benchmark started (Playwright's driver and its browser are descendants)."""
    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if "chrom" in process.name():
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


def alternate(bases: list[str], rounds: int, servers: list[int] | None = None) -> list[list[dict[str, Any]]]:
    """Warm loads of `/` for each base, alternated; the first load of each (cold) is left out. With `servers`
    (each base's gunicorn pid), each load also holds its CPU seconds in the browser and in that server."""
    from playwright.sync_api import sync_playwright

    bench_morning.ROWS = EITHER_ROWS
    results: list[list[dict[str, Any]]] = [[] for _ in bases]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(bench_morning.CHROMIUM), args=bench_morning.CHROMIUM_ARGS
        )
        pages, sessions = [], []
        for base in bases:
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            page.goto(f"{base}/login")
            page.fill("#username", bench_morning.USER)
            page.fill("#password", PASSWORDS[bench_morning.USER])
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            page.goto("about:blank")
            metrics = page.context.new_cdp_session(page)
            metrics.send("Performance.enable")
            pages.append(page)
            sessions.append(metrics)
        for turn in range(rounds + 1):
            for k in range(len(bases)) if turn % 2 == 0 else reversed(range(len(bases))):
                server = tree(servers[k]) if servers else []
                before = cpu_seconds(browsers()), cpu_seconds(server)
                load = bench_morning.load_once(pages[k], bases[k])
                pages[k].wait_for_timeout(200)  # the page's last paint and the server's last response
                load["browser_cpu_s"] = round(spent(before[0], cpu_seconds(browsers())), 3)
                load["server_cpu_s"] = round(spent(before[1], cpu_seconds(server)), 3)
                shown = {m["name"]: m["value"] for m in sessions[k].send("Performance.getMetrics")["metrics"]}
                load["main_thread_s"] = round(shown["TaskDuration"], 3)  # this page's renderer main thread
                load["script_s"] = round(shown["ScriptDuration"], 3)
                pages[k].goto("about:blank")
                if turn:
                    results[k].append(load)
        browser.close()
    return results


@contextmanager
def world(database: str | None) -> Iterator[Any]:
    """The given database's engine, or a throwaway one with bench_morning's world prepared in it."""
    if database:
        from core.db import get_engine

        engine = get_engine(database)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    with throwaway_engine() as engine:
        bench_morning.prepare_database(engine, 20_000, 8)
        yield engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("against", type=Path, help="the other checkout (A), e.g. /work/main")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--watching", type=int, default=0)
    parser.add_argument("--database", help="a database holding bench_morning's world already (see above)")
    args = parser.parse_args(argv)
    roots = [args.against.resolve(), ROOT]
    with world(args.database) as engine:
        if args.watching:
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO user_watchlist (username, entity_type, entity_id) SELECT :user, 'track', "
                         "track_id FROM agg_track_scores ORDER BY probability DESC LIMIT :n"),
                    {"user": bench_morning.USER, "n": args.watching},
                )  # fmt: skip
        url = engine.url.render_as_string(hide_password=False)
        servers = [serve(root, url) for root in roots]
        try:
            for _, base in servers:
                wait_for_http(base + "/healthz")
            results = alternate([base for _, base in servers], args.rounds, [p.pid for p, _ in servers])
        finally:
            for process, _ in servers:
                process.terminate()
                process.wait(30)

    def median_of(loads: list[dict[str, Any]], key: str) -> float:
        return statistics.median(load[key] for load in loads)

    medians = [median_of(loads, "seconds") for loads in results]
    for root, loads, median in zip(roots, results, medians, strict=True):
        seconds = [load["seconds"] for load in loads]
        print(json.dumps({"checkout": str(root), "warm_median_s": round(median, 3),
                          "browser_cpu_median_s": round(median_of(loads, "browser_cpu_s"), 3),
                          "server_cpu_median_s": round(median_of(loads, "server_cpu_s"), 3),
                          "main_thread_median_s": round(median_of(loads, "main_thread_s"), 3),
                          "script_median_s": round(median_of(loads, "script_s"), 3),
                          "callbacks": loads[0]["callbacks"], "seconds": seconds}))  # fmt: skip
    cpu = [median_of(loads, "browser_cpu_s") + median_of(loads, "server_cpu_s") for loads in results]
    thread = [median_of(loads, "main_thread_s") for loads in results]
    print(
        f"B / A warm median: {medians[1] / medians[0]:.2f}x, CPU (browser + server) {cpu[1] / cpu[0]:.2f}x,"
        f" main thread {thread[1] / thread[0]:.2f}x  (load average {os.getloadavg()[0]:.1f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
