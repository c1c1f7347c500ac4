"""Drill: PostgreSQL stops while the dashboard is under load, then comes back.

A private embedded PostgreSQL (not the shared one) serves a seeded database to gunicorn (2 workers) while
threads keep requesting /healthz and a browser loads pages. During the outage every answer must be a clear
"unavailable" (503 from /healthz, and from a page once its session cannot be checked, with a "temporarily
unavailable" message), never a 500 or a traceback;
after the database returns, the app must recover by itself, without restarting gunicorn. Prints the figures.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from core import migrations
from core.db import get_engine
from core.embedded_pg import ensure_embedded_server, stop_embedded_server
from tests import pg
from tests.dashboard_support import PASSWORDS, seed_demo, users_setting
from tests.servers import gunicorn

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def private_postgres(tmp_path_factory) -> Path:
    pgdata = Path("/tmp") / f"hitscope-drill-{tmp_path_factory.getbasetemp().name[-8:]}"
    yield pgdata
    stop_embedded_server(pgdata)
    shutil.rmtree(pgdata, ignore_errors=True)


def _hammer(base: str, stop: threading.Event, statuses: Counter, log: list) -> None:
    session = requests.Session()
    while not stop.is_set():
        try:
            response = session.get(base + "/healthz", timeout=15)
            statuses[response.status_code] += 1
            log.append((time.monotonic(), response.status_code))
        except requests.RequestException as error:
            statuses[type(error).__name__] += 1
        time.sleep(0.02)


def _wait_for(log: list, status: int, *, after: float, count: int, timeout: float = 60) -> None:
    """Block until the hammer threads have logged `count` answers with `status` since `after` (no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while sum(1 for at, seen in list(log) if at > after and seen == status) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {count} x {status} from /healthz within {timeout:.0f} s")
        time.sleep(0.05)


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_dashboard_survives_a_database_restart(private_postgres: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    server = ensure_embedded_server(private_postgres)
    url = pg.create_throwaway_database(server)
    engine = get_engine(url)
    migrations.upgrade(engine)
    seed_demo(engine, days=10)
    engine.dispose()

    statuses: Counter = Counter()
    log: list = []
    stop = threading.Event()
    with gunicorn(url, DASHBOARD_USERS=users_setting()) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        page = browser.new_page()
        page.goto(base + "/login")
        page.fill("input[name=username]", "ana")
        page.fill("input[name=password]", PASSWORDS["ana"])
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        server_errors: list[str] = []
        page.on("response", lambda r: server_errors.append(r.url) if r.status >= 500 and r.status != 503 else None)

        threads = [threading.Thread(target=_hammer, args=(base, stop, statuses, log)) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            _wait_for(log, 200, after=0, count=20)  # the app is serving under load before the outage
            stop_embedded_server(private_postgres)
            down_at = time.monotonic()
            _wait_for(log, 503, after=down_at, count=20)  # the outage is seen by the load
            page.goto(base + "/artists")
            page.wait_for_load_state("networkidle")
            page.get_by_text("temporarily unavailable").first.wait_for(timeout=30000)
            outage_text = page.inner_text("body")

            restart_at = time.monotonic()
            ensure_embedded_server(private_postgres)
            up_at = time.monotonic()
            _wait_for(log, 200, after=up_at, count=1)  # raises if it never recovers by itself
            recovered_after = time.monotonic() - up_at
            page.goto(base + "/artists")
            page.wait_for_load_state("networkidle")
            page.wait_for_selector(".js-plotly-plot", timeout=30000)
            after_text = page.inner_text("body")
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
            browser.close()

    during = Counter(status for at, status in log if down_at + 0.5 < at < restart_at)
    sys.stderr.write(
        f"\nDB restart drill: {sum(statuses.values())} /healthz requests, statuses {dict(statuses)}; "
        f"during the outage {dict(during)}; healthy again {recovered_after:.2f}s after the database returned\n"
    )
    assert "temporarily unavailable" in outage_text.lower()
    assert "traceback" not in outage_text.lower()
    assert set(during) == {503}, "every request during the outage gets a clear 503"
    assert 500 not in statuses
    assert server_errors == []
    assert "temporarily unavailable" not in after_text.lower()
