"""The Morning page fully rendered with ~100k tracks in the database, in headless Chromium (Playwright driving
the system /usr/bin/chromium) against gunicorn (`-w 2`): time from navigation to all Dash callbacks done
(no `_dash-update-component` request in flight, network idle, the emerging-hit and risers tables populated).

    python -m bench morning [--quick] [--repeats N]   # 20,000 demo artists (~100k tracks), 8 days of history

The world: `DemoSource(n_artists=20_000)`, 8 days of history before the snapshot (plus 8 a label horizon
earlier, so the score stage has outcomes to read), the benchmark model installed, one real refresh published
under `exclusive_run`. Then one signed-in browser context loads `/` N times: the first load is reported apart
(cold: fresh workers, empty caches), the others as median and p95. Measured, never asserted.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.harness import Options, Report, throwaway_engine, verdict
from bench.world import DAY, install_model, load_scoring_history, model_for_scoring
from dashboard import ids
from jobs import lock, pipeline
from jobs.sources.demo import DemoSource
from tests.dashboard_support import PASSWORDS, users_setting
from tests.servers import gunicorn

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip
USER = "bo"  # the viewer: the Morning page as most of its readers see it
ROWS = "tbody tr"  # Morning's lists are server-drawn tables (dashboard/short_table.py), no longer ag-grids
WARM_TARGET_S = 0.5  # issue 12: Morning fully rendered at 100k tracks, warm


def prepare_database(engine: Any, n_artists: int, days: int) -> dict[str, float]:
    """Seed the demo market, install the model, publish one refresh; seconds per step."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    model = model_for_scoring()
    seconds["model"] = time.perf_counter() - started
    source = DemoSource(n_artists=n_artists)
    started = time.perf_counter()
    load_scoring_history(engine, source, days)
    seconds["history_load"] = time.perf_counter() - started
    install_model(engine, model)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    started = time.perf_counter()
    with lock.exclusive_run(engine):
        pipeline.refresh(engine, source, snapshot_date=DAY, trigger="cli", requested_by="bench",
                         config=pipeline.RunConfig())  # fmt: skip
    seconds["refresh"] = time.perf_counter() - started
    return {name: round(value, 1) for name, value in seconds.items()}


def database_counts(engine: Any) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            "tracks": int(conn.execute(text("SELECT count(*) FROM tracks")).scalar_one()),
            "artists": int(conn.execute(text("SELECT count(*) FROM artists")).scalar_one()),
            "raw_observations": int(conn.execute(text("SELECT count(*) FROM raw_observations")).scalar_one()),
            "scored_tracks": int(conn.execute(text("SELECT count(*) FROM agg_track_scores")).scalar_one()),
        }


def load_once(page: Any, base: str) -> dict[str, Any]:
    """Navigate to `/` and wait until every Dash callback has answered and both lists show rows.

    Done = the latest of: the last `_dash-update-component` response finished, each list's first row seen.
    Network idle (500 ms without requests) is waited for but not counted, so it adds no constant 0.5 s.
    """
    in_flight: set[Any] = set()
    finished: list[float] = []

    def on_request(request: Any) -> None:
        if "_dash-update-component" in request.url:
            in_flight.add(request)

    def on_done(request: Any) -> None:
        if request in in_flight:
            in_flight.discard(request)
            finished.append(time.perf_counter())

    page.on("request", on_request)
    page.on("requestfinished", on_done)
    page.on("requestfailed", on_done)
    try:
        started = time.perf_counter()
        page.goto(f"{base}/", wait_until="commit")
        page.wait_for_selector(f"#{ids.MORNING_EMERGING} {ROWS}", timeout=120_000)
        emerging = time.perf_counter()
        page.wait_for_selector(f"#{ids.MORNING_RISERS} {ROWS}", timeout=120_000)
        risers = time.perf_counter()
        page.wait_for_load_state("networkidle", timeout=120_000)
        while in_flight:  # a callback chained after the idle window: wait for it too
            page.wait_for_timeout(50)
        done = max([emerging, risers, *finished])
        emerging_rows = page.locator(f"#{ids.MORNING_EMERGING} {ROWS}").count()
        riser_rows = page.locator(f"#{ids.MORNING_RISERS} {ROWS}").count()
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("requestfinished", on_done)
        page.remove_listener("requestfailed", on_done)
    return {
        "seconds": round(done - started, 3),
        "emerging_grid_s": round(emerging - started, 3),
        "risers_grid_s": round(risers - started, 3),
        "callbacks": len(finished),
        "emerging_rows_rendered": emerging_rows,
        "riser_rows_rendered": riser_rows,
    }


def measure(base: str, loads: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{base}/login")
            page.fill("#username", USER)
            page.fill("#password", PASSWORDS[USER])
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            page.goto("about:blank")  # every measured load starts from a page other than the Morning page
            results = []
            for _ in range(loads):
                results.append(load_once(page, base))
                page.goto("about:blank")
            context.close()
        finally:
            browser.close()
    return results


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(options: Options) -> Report:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: the Morning benchmark needs Debian's chromium")
    n_artists, days = (2_000, 8) if options.quick else (20_000, 8)
    loads = options.repeats or (3 if options.quick else 7)
    report = Report()
    with throwaway_engine() as engine:
        setup = prepare_database(engine, n_artists, days)
        counts = database_counts(engine)
        url = engine.url.render_as_string(hide_password=False)
        env = {"DASHBOARD_USERS": users_setting(), "SECRET_KEY": "bench-only-secret", "LOG_LEVEL": "WARNING"}
        with gunicorn(url, workers=2, **env) as base:
            results = measure(base, loads)
    cold, warm = results[0], results[1:]
    warm_seconds = [row["seconds"] for row in warm]
    report.figures = {
        "n_artists": n_artists, "history_days": days, "snapshot_date": DAY, "database": counts,
        "setup_seconds": setup, "loads": loads, "gunicorn_workers": 2, "user_role": "viewer",
        "cold": cold, "warm": warm,
        "warm_median_s": round(statistics.median(warm_seconds), 3) if warm else None,
        "warm_p95_s": round(p95(warm_seconds), 3) if warm else None,
        "browser": "headless /usr/bin/chromium via playwright, 1440x900, one signed-in context",
    }  # fmt: skip
    size = f"{counts['tracks']:,} tracks, {counts['artists']:,} artists"
    report.row(f"Morning page, all callbacks done, cold (first load; {size})", f"{cold['seconds']:.2f} s")
    if warm:
        report.row(
            f"Morning page, all callbacks done, warm median / p95 ({len(warm)} loads)",
            f"{statistics.median(warm_seconds):.2f} s / {p95(warm_seconds):.2f} s",
            f"median <= {WARM_TARGET_S} s",
            verdict(statistics.median(warm_seconds), WARM_TARGET_S, higher_is_better=False),
        )
    report.notes.append(
        "Done = latest of: last _dash-update-component response finished, first row in the emerging-hit table, "
        "first row in the risers table (network idle is waited for, its 500 ms quiet window not counted). "
        "Browser, gunicorn and PostgreSQL share the same 2 noisy cores."
    )
    return report
