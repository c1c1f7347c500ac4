"""The lookup in a real browser (gunicorn + headless Chromium, the fixtures of tests/test_browser.py): a Spotify
link typed in the navbar search opens /lookup, which queues the lookup and polls it; the worker step (driven here,
through the fake Spotify and Last.fm servers) answers, and the page shows the gauge, the reasons and "tracked
daily from now on".

    pytest -m browser tests/test_browser_lookup.py
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from jobs.lookup import answer_lookups
from tests.conftest import reset_database, start_clean
from tests.lookup_support import DAY, activate_tiny_model, fake_servers, sources
from tests.test_browser import SHOTS, browser, graph_data, server, settle, signed_in_page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> Iterator[dict[str, Any]]:
    """An empty catalogue and an active model: the looked-up track is new to the installation."""
    start_clean(engine)
    activate_tiny_model(engine)
    yield {"engine": engine}
    reset_database(engine)


def pending(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM lookup_requests WHERE status = 'pending'")).scalar_one())


def test_a_pasted_spotify_link_ends_in_a_gauge(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    seeded: dict[str, Any],  # noqa: F811
) -> None:
    engine = seeded["engine"]
    page = signed_in_page(browser, server, "bo")
    with fake_servers() as (spotify, lastfm, track_id):
        page.fill("#app-nav-search", f"https://open.spotify.com/track/{track_id}")
        page.click(".search-lookup")
        page.wait_for_function("() => location.pathname === '/lookup'")
        page.wait_for_selector(".lookup-waiting")
        assert pending(engine) == 1
        assert answer_lookups(engine, lambda: sources(engine, spotify, lastfm), today=DAY) == 1
    page.wait_for_selector("#lookup-gauge .js-plotly-plot")
    settle(page)
    with engine.connect() as conn:
        probability, name = conn.execute(text("SELECT probability, name FROM lookup_requests")).one()
    assert graph_data(page, "lookup-gauge", axis="value") == round(probability * 100, 1)
    answer = page.inner_text(".lookup-answer")
    assert name in answer and "Tracked daily from now on" in answer
    assert page.locator(".lookup-answer li").count() >= 1  # the reasons, in words
    # the tiny model has no first-sight model of its own: the page says the main model scored it, blanked
    assert "no separately trained first-sight model" in " ".join(answer.split())
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "lookup-1440x900.png"), full_page=True)
    page.context.close()


def test_an_already_tracked_link_goes_to_its_page_and_queues_nothing(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    seeded: dict[str, Any],  # noqa: F811
) -> None:
    engine = seeded["engine"]
    with engine.connect() as conn:
        track_id = conn.execute(text("SELECT track_id FROM tracks LIMIT 1")).scalar()
    if track_id is None:
        pytest.skip("needs the track stored by the previous test")
    page = signed_in_page(browser, server, "bo")
    page.goto(f"{server}/lookup?q=spotify:track:{track_id}")
    page.wait_for_selector(".lookup-tracked a")
    assert page.get_attribute(".lookup-tracked a", "href") == f"/track/{track_id}"
    assert pending(engine) == 0
    page.context.close()
