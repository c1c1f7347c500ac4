"""The dashboard in a real browser: gunicorn (2 workers) on a free port, headless Chromium via Playwright.

Signs in, visits every page, changes filters and checks the URL and the chart, goes back and forward, exports
a CSV, requests a refresh as an admin and watches it land in the run history, and is refused as a viewer.
Screenshots of every page at 1440x900 and 390x844 are written to a fresh folder and checked there (exactly
those files, each a PNG at least its viewport's size), then copied to artifacts/screenshots/ (git-ignored), or to
$SCREENSHOT_DIR: the README's pictures are made with

    SCREENSHOT_DIR=docs/screenshots pytest -m browser tests/test_browser.py -k screenshotted
    pytest -m browser tests/test_browser.py
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, text

from core.settings import Settings
from tests.conftest import reset_database, start_clean
from tests.dashboard_support import PASSWORDS, seed_demo, seed_model_outputs, users_setting

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "artifacts" / "screenshots")
VIEWPORTS = {"desktop": (1440, 900), "phone": (390, 844)}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]  # fmt: skip

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (make test installs Debian's chromium as root)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> Iterator[dict[str, Any]]:
    start_clean(engine)
    outcome = seed_demo(engine)
    seed_model_outputs(engine, publication_id=outcome.publication_id)
    yield {"engine": engine, "publication_id": outcome.publication_id}
    reset_database(engine)


@pytest.fixture(scope="module")
def server(seeded: dict[str, Any], database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn serving dashboard.wsgi:server against the test database; stopped (by its pid) afterwards."""
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": database_url, "APP_ENV": "test", "DASHBOARD_USERS": users_setting(),
           "SECRET_KEY": "browser-test-secret", "LOG_LEVEL": "INFO"}  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "dashboard.wsgi:server", "-w", "2", "-b", f"127.0.0.1:{port}",
             "--timeout", "60"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not become healthy:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in_page(browser: Any, base: str, user: str, viewport: str = "desktop") -> Any:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def graph_data(page: Any, graph_id: str, trace: int = 0, axis: str = "y") -> list[Any]:
    return page.evaluate(f"document.querySelector('#{graph_id} .js-plotly-plot').data[{trace}].{axis}")


def wait_for_graph(page: Any, graph_id: str) -> None:
    page.wait_for_function(
        f"() => {{ const g = document.querySelector('#{graph_id} .js-plotly-plot');"
        " return g && g.data && g.data.length > 0; }"
    )


def wait_for_graph_y(page: Any, graph_id: str, expected: list[Any], timeout: int = 15_000) -> None:
    """Wait until the chart's first trace shows `expected` as its y values (the assertion, with patience)."""
    page.wait_for_function(
        "([id, want]) => { const g = document.querySelector('#' + id + ' .js-plotly-plot');"
        " return !!(g && g.data && g.data[0]"
        "   && JSON.stringify(Array.from(g.data[0].y)) === JSON.stringify(want)); }",
        arg=[graph_id, expected],
        timeout=timeout,
    )


def settle(page: Any) -> None:
    """Wait until Dash has no callback in flight."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def test_sign_in_is_required(browser: Any, server: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/seasonality?genre=pop")
    assert page.url.startswith(f"{server}/login?next=/seasonality")
    page.fill("#username", "ana")
    page.fill("#password", "not-her-password")
    page.click("button[type=submit]")
    assert "Wrong user name or password" in page.content()
    context.close()


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; fails on anything that is not a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_every_page_renders_and_is_screenshotted(
    browser: Any, server: str, seeded: dict[str, Any], tmp_path: Path
) -> None:
    with seeded["engine"].connect() as conn:
        track = conn.execute(text("SELECT track_id FROM agg_track_scores ORDER BY probability DESC LIMIT 1")).scalar()
        artist = conn.execute(
            text("SELECT artist_id FROM agg_track_scores GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        ).scalar()
    pages = {
        "morning": ("/", "#morning-emerging tbody tr"),
        "artists": ("/artists", "#artists-graph .js-plotly-plot"),
        "seasonality": ("/seasonality", "#season-heatmap .js-plotly-plot"),
        "model": ("/model", "#model-metrics .ag-row"),
        "admin": ("/admin", "#admin-runs .ag-row"),
        "track": (f"/track/{track}", "#track-reasons li"),
        "artist": (f"/artist/{artist}", "#artist-releases .ag-row"),
    }
    fresh = tmp_path / "screenshots"  # empty: what is in it afterwards, this run wrote
    fresh.mkdir()
    for viewport, (width, height) in VIEWPORTS.items():
        page = signed_in_page(browser, server, "ana", viewport)
        for name, (path, ready) in pages.items():
            page.goto(f"{server}{path}")
            page.wait_for_selector(ready)
            settle(page)
            body = page.inner_text("body")
            assert "Traceback" not in body and "temporarily unavailable" not in body, (name, body[:500])
            page.screenshot(path=str(fresh / f"{name}-{width}x{height}.png"), full_page=True)
        page.context.close()
    expected = {f"{name}-{width}x{height}.png" for width, height in VIEWPORTS.values() for name in pages}
    assert {shot.name for shot in fresh.iterdir()} == expected  # every page at both widths, nothing else
    for shot in sorted(fresh.iterdir()):
        width, height = png_size(shot)
        wanted_width, wanted_height = (int(part) for part in shot.stem.rsplit("-", 1)[1].split("x"))
        # Full page: at least the viewport (a page a few pixels wider than a phone is wider here, not cut).
        assert width >= wanted_width and height >= wanted_height, (shot.name, width, height)
        assert shot.stat().st_size > 10_000, shot.name  # a rendered page, not a blank one
    SHOTS.mkdir(parents=True, exist_ok=True)  # then they replace the kept pictures (the README's, with SCREENSHOT_DIR)
    for shot in fresh.iterdir():
        shutil.copyfile(shot, SHOTS / shot.name)


def test_filters_live_in_the_url_and_back_forward_work(browser: Any, server: str) -> None:
    page = signed_in_page(browser, server, "bo")
    page.goto(f"{server}/artists")
    wait_for_graph(page, "artists-graph")
    settle(page)
    everyone = graph_data(page, "artists-graph")
    page.click("#artists-genre")
    page.get_by_role("option", name="Latin").click()
    page.wait_for_url(f"{server}/artists?genre=latin")
    page.wait_for_function(
        "(first) => document.querySelector('#artists-graph .js-plotly-plot').data[0].y[0] !== first",
        arg=everyone[0],
    )
    latin = graph_data(page, "artists-graph")
    assert latin != everyone

    page.get_by_text("Growth, 28 days").click()
    page.wait_for_url(f"{server}/artists?genre=latin&order=growth28")
    page.wait_for_function(
        "(first) => document.querySelector('#artists-graph .js-plotly-plot').data[0].y[0] !== first",
        arg=latin[0],
    )
    growth = graph_data(page, "artists-graph")
    assert growth != latin

    page.go_back()
    page.wait_for_url(f"{server}/artists?genre=latin")
    wait_for_graph_y(page, "artists-graph", latin)
    page.go_back()
    page.wait_for_url(f"{server}/artists")
    wait_for_graph_y(page, "artists-graph", everyone)
    page.go_forward()
    page.wait_for_url(f"{server}/artists?genre=latin")
    wait_for_graph_y(page, "artists-graph", latin)

    page.goto(f"{server}/artists?genre=latin&order=growth28")  # a shared link reproduces the view
    wait_for_graph_y(page, "artists-graph", growth)

    page.goto(f"{server}/seasonality")
    wait_for_graph(page, "season-bars")
    settle(page)
    bars = graph_data(page, "season-bars")
    page.locator("#season-metric").get_by_text("Mean popularity").click()
    page.wait_for_url(f"{server}/seasonality?metric=mean_popularity")
    page.wait_for_function(
        "() => (document.querySelector('#season-heatmap .gtitle')?.textContent || '').startsWith('Mean')"
    )
    page.goto(f"{server}/seasonality?genre=latin&metric=mean_popularity")
    page.wait_for_function(
        "() => (document.querySelector('#season-excluded')?.innerText || '').includes('Latin releases')"
    )
    settle(page)
    assert graph_data(page, "season-bars") != bars
    page.context.close()


def test_csv_export_is_what_the_grid_shows(browser: Any, server: str, tmp_path: Path, seeded: dict[str, Any]) -> None:
    page = signed_in_page(browser, server, "bo")
    page.goto(f"{server}/artists?genre=rock")
    page.wait_for_selector("#artists-grid .ag-row")
    settle(page)
    with page.expect_download() as download:
        page.click("#artists-export")
    target = tmp_path / "artists.csv"
    download.value.save_as(target)
    with target.open(newline="", encoding="utf-8-sig") as handle:
        exported = list(csv.DictReader(handle))
    with seeded["engine"].connect() as conn:
        rock = conn.execute(
            text("SELECT name FROM agg_artist_leaderboard WHERE genre = 'rock' AND popularity IS NOT NULL")
        ).scalars()
        expected = sorted(rock)
    assert sorted(row["Artist"] for row in exported) == expected  # plain names, not links
    assert {row["Genre"] for row in exported} == {"Rock"} and "Popularity" in exported[0]
    page.context.close()


def test_admin_requests_a_refresh_and_sees_it_in_run_history(browser: Any, server: str, seeded: dict[str, Any]) -> None:
    from jobs.tasks import drain_queue

    page = signed_in_page(browser, server, "ana")
    page.goto(f"{server}/admin")
    page.wait_for_selector("#admin-runs .ag-row")
    page.click("#admin-refresh")
    page.wait_for_selector("text=requested (request #")
    page.wait_for_selector("#admin-queue >> text=refresh of demo by ana: pending")
    engine = seeded["engine"]
    with engine.begin() as conn:  # the seeded model is a stand-in without a booster: a real run cannot use it
        conn.execute(text("UPDATE model_versions SET is_active = false"))
    settings = Settings(APP_ENV="test", DEMO_ARTISTS=150)
    assert drain_queue(engine, settings) == 1  # what the worker does with the request
    row = page.locator("#admin-runs .ag-row", has_text="manual").filter(has_text="succeeded").first
    row.wait_for(timeout=30_000)  # the page polls every 5 s: the run shows as running, then succeeded
    assert "ana" in row.inner_text() and "refresh" in row.inner_text()
    page.context.close()


def test_viewer_is_refused_admin_actions(browser: Any, server: str, seeded: dict[str, Any]) -> None:
    page = signed_in_page(browser, server, "bo")
    assert page.locator("#app-navbar a", has_text="Admin").count() == 0
    page.goto(f"{server}/admin")
    page.wait_for_selector("text=This page is for admins")
    before = _request_count(seeded["engine"])
    crafted = page.evaluate(
        """async () => {
            const token = document.cookie.split('; ').find(c => c.startsWith('_csrf_token=')).split('=')[1];
            const response = await fetch('/_dash-update-component', {
                method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
                body: JSON.stringify({
                    output: 'admin-refresh-result.children',
                    outputs: {id: 'admin-refresh-result', property: 'children'},
                    inputs: [{id: 'admin-refresh', property: 'n_clicks', value: 1},
                             {id: 'admin-retrain', property: 'n_clicks', value: null}],
                    state: [{id: 'admin-source', property: 'value', value: 'demo'}],
                    changedPropIds: ['admin-refresh.n_clicks']})});
            return [response.status, await response.text()];
        }"""
    )
    assert crafted[0] == 200 and "Refused: only admins" in crafted[1]
    assert _request_count(seeded["engine"]) == before
    page.context.close()


def _request_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM refresh_requests")).scalar_one())
