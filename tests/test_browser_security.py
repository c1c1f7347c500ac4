"""In headless Chromium against gunicorn: HTML/JS in names renders as text, and every page works under the CSP.

The database holds an artist named `<script>alert(...)</script>...` and a track named `<img onerror=...>`.
Each page is loaded signed in; the test fails if a dialog opens, if the literal names are not visible as text,
if the console reports a Content-Security-Policy violation, or if the page throws.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.conftest import reset_database, start_clean
from tests.dashboard_support import PASSWORDS, seed_model_outputs, users_setting
from tests.hostile_support import XSS_ARTIST, XSS_TRACK, seed_hostile
from tests.servers import gunicorn

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium")
PAGES = ["/", "/artists", "/seasonality", "/model", "/admin", "/artists?genre=%3Cscript%3Ealert(1)%3C/script%3E"]


@pytest.fixture(scope="module")
def site(engine: Engine, database_url: str) -> Iterator[dict[str, Any]]:
    start_clean(engine)
    renamed = seed_hostile(engine, days=8)
    with engine.connect() as conn:
        publication_id = conn.execute(text("SELECT max(publication_id) FROM publications")).scalar_one()
    seed_model_outputs(engine, publication_id=publication_id)  # the Model page and waterfalls have charts
    with gunicorn(database_url, workers=1, DASHBOARD_USERS=users_setting()) as base:
        yield {"base": base, **renamed}
    reset_database(engine)


@pytest.fixture(scope="module")
def browser_page(site: dict[str, Any]) -> Iterator[tuple[Any, dict[str, list[str]]]]:
    from playwright.sync_api import sync_playwright

    seen: dict[str, list[str]] = {"dialogs": [], "csp": [], "errors": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page()
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error("
            "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
        )
        page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
        page.on(
            "console",
            lambda message: seen["csp"].append(message.text) if "Content Security Policy" in message.text else None,
        )
        page.on("pageerror", lambda error: seen["errors"].append(str(error)))
        page.goto(site["base"] + "/login")
        page.fill("input[name=username]", "ana")
        page.fill("input[name=password]", PASSWORDS["ana"])
        page.click("button[type=submit]")
        page.wait_for_url(site["base"] + "/")
        yield page, seen
        browser.close()


def settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_selector("._dash-loading", state="detached", timeout=15000)


def test_every_page_loads_under_the_csp_without_violations(site: dict[str, Any], browser_page: Any) -> None:
    page, seen = browser_page
    drawn = 0
    for path in PAGES:
        response = page.goto(site["base"] + path)
        assert response is not None and response.status == 200
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        settle(page)
        page.wait_for_selector("h1, h2, .alert", timeout=15000)
        drawn += page.locator(".js-plotly-plot .main-svg").count()
    assert drawn >= 6, "charts must be drawn under the policy (bars, heatmap, importance, calibration)"
    assert seen["csp"] == [] and seen["errors"] == [] and seen["dialogs"] == []


def test_hostile_names_render_as_text(site: dict[str, Any], browser_page: Any) -> None:
    page, seen = browser_page
    page.goto(f"{site['base']}/artist/{site['artist_id']}")
    settle(page)
    assert page.get_by_text(XSS_ARTIST, exact=False).first.is_visible()
    page.goto(f"{site['base']}/track/{site['track_id']}")
    settle(page)
    assert page.get_by_text(XSS_TRACK, exact=False).first.is_visible()
    assert page.locator(".js-plotly-plot .main-svg").count() >= 2  # the waterfall and the history were drawn
    page.goto(site["base"] + "/artists")
    settle(page)
    page.fill("#app-nav-search", "Evil Artist")  # the navbar search, on every page
    page.wait_for_selector("text=Evil Artist", timeout=15000)
    assert page.get_by_text(XSS_ARTIST, exact=False).first.is_visible()
    assert page.locator("img[src=x]").count() == 0 and seen["dialogs"] == []
    assert seen["csp"] == [] and seen["errors"] == []
