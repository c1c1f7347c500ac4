"""People and operations in a real browser (headless Chromium against gunicorn, the fixtures of test_browser.py):
a watchlist star survives signing out, alerts reach a local SMTP server and webhook once and show on Admin,
and Admin shows a running run stage by stage. Screenshots go where tests/test_browser.py puts them
($SCREENSHOT_DIR=docs/screenshots makes the README's).

    pytest -m browser tests/test_browser_ops.py
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from jobs.deliver import DeliveryConfig, deliver
from jobs.lock import exclusive_run
from jobs.pipeline import RunConfig, backfill
from jobs.runs import RunRecorder
from jobs.sources.base import DailySource, SourceBatch
from jobs.sources.demo import DemoSource
from tests.dashboard_support import SNAPSHOT
from tests.ops_support import smtp_receiver, webhook_receiver
from tests.test_browser import SHOTS, VIEWPORTS, browser, seeded, server, settle, signed_in_page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

SHOT_NAMES = {"desktop": "1440x900", "phone": "390x844"}  # SHOTS: artifacts/screenshots, or $SCREENSHOT_DIR


def _top_artist(engine: Engine) -> tuple[str, str]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT artist_id, artist_name FROM agg_track_scores GROUP BY 1, 2 ORDER BY max(probability) DESC"
                 " LIMIT 1")
        ).one()  # fmt: skip
    return str(row[0]), str(row[1])


def _top_track(engine: Engine) -> tuple[str, str]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT track_id, name FROM agg_track_scores WHERE NOT is_hit ORDER BY probability DESC LIMIT 1")
        ).one()
    return str(row[0]), str(row[1])


def truncated_headers(page: Any, grid_id: str) -> list[str]:
    """Header labels of a grid that do not fit their cell (scrollWidth > clientWidth), in the visible columns."""
    return page.evaluate(
        "(id) => Array.from(document.querySelectorAll('#' + id + ' .ag-header-cell-text'))"
        "  .filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent)",
        grid_id,
    )


def _sign_out_and_in(page: Any, base: str, user: str) -> None:
    from tests.dashboard_support import PASSWORDS

    page.goto(f"{base}/logout")
    page.wait_for_url(f"{base}/login**")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_watchlist_star_survives_signing_out(browser: Any, server: str, seeded: dict[str, Any]) -> None:  # noqa: F811
    engine = seeded["engine"]
    artist_id, artist_name = _top_artist(engine)
    track_id, track_name = _top_track(engine)
    page = signed_in_page(browser, server, "bo")
    page.goto(f"{server}/artist/{artist_id}")
    star = page.locator(".watch-star")
    star.filter(has_text="☆ Watch").wait_for()
    star.click()
    star.filter(has_text="★ Watching").wait_for()
    page.goto(f"{server}/track/{track_id}")
    page.locator(".watch-star", has_text="☆ Watch").click()
    page.locator(".watch-star", has_text="★ Watching").wait_for()

    _sign_out_and_in(page, server, "bo")
    page.goto(f"{server}/artist/{artist_id}")
    page.locator(".watch-star", has_text="★ Watching").wait_for()  # still starred after signing out and in

    page.goto(f"{server}/")
    rows = page.locator("#morning-watchlist .ag-row")
    rows.filter(has_text=artist_name).first.wait_for()
    rows.filter(has_text=track_name).first.wait_for()
    note = page.locator("#morning-watchlist .ag-row", has_text=track_name).locator("[col-id=note]")
    note.dblclick()
    page.keyboard.type("call the manager")
    page.keyboard.press("Enter")
    page.locator("#morning-watchlist-note", has_text="Saved.").wait_for()
    with engine.connect() as conn:
        saved = conn.execute(
            text("SELECT entity_type, entity_id, note FROM user_watchlist WHERE username = 'bo' ORDER BY 1")
        ).all()
    assert [tuple(r) for r in saved] == [("artist", artist_id, ""), ("track", track_id, "call the manager")]
    page.context.close()

    for viewport in VIEWPORTS:
        page = signed_in_page(browser, server, "bo", viewport)
        page.locator("#morning-watchlist .ag-row", has_text=track_name).wait_for()
        page.wait_for_selector("#morning-emerging tbody tr")
        settle(page)
        assert truncated_headers(page, "morning-watchlist") == [], viewport
        page.screenshot(path=str(SHOTS / f"morning-watchlist-{SHOT_NAMES[viewport]}.png"), full_page=True)
        page.context.close()


def test_alerts_reach_smtp_and_webhook_once_and_admins_see_the_deliveries(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    seeded: dict[str, Any],  # noqa: F811
) -> None:
    engine = seeded["engine"]
    artist_id, artist_name = _top_artist(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM agg_alerts WHERE publication_id = :pid"), {"pid": seeded["publication_id"]})
        conn.execute(
            text(
                "INSERT INTO agg_alerts (publication_id, artist_id, name, genre, metric, observed_on, value, expected,"
                " zscore) VALUES (:pid, :artist, :name, 'pop', 'spotify_followers', :day, 5000, 1000, 7.5)"
            ),
            {"pid": seeded["publication_id"], "artist": artist_id, "name": artist_name, "day": SNAPSHOT},
        )
    with smtp_receiver() as inbox, webhook_receiver(fail_first=1) as hook:
        config = DeliveryConfig(
            smtp_host="127.0.0.1", smtp_port=inbox.port, smtp_tls="none", smtp_to=("scouts@example.test",),
            webhook_url=hook.url, backoff_seconds=0.0, max_attempts=3,
        )  # fmt: skip
        deliver(engine, config)  # the worker's round (the webhook fails once, then succeeds on the retry)
        deliver(engine, config)  # and its next round: nothing goes out twice
    assert [m["Subject"] for m in inbox.messages] == [f"Hitscope alert: {artist_name} is spiking"]
    assert len(hook.posts) == 2 and hook.posts[0] == hook.posts[1]  # one failure, one success: the same alert
    page = signed_in_page(browser, server, "ana")
    page.goto(f"{server}/admin")
    grid = page.locator("#admin-deliveries .ag-row")
    grid.filter(has_text="email").filter(has_text="sent").wait_for()
    webhook_row = grid.filter(has_text="webhook")
    webhook_row.wait_for()
    assert "sent" in webhook_row.inner_text() and "2" in webhook_row.locator("[col-id=attempts]").inner_text()
    assert f"alert:{artist_id}:{SNAPSHOT}" in page.locator("#admin-deliveries").inner_text()
    page.context.close()


class BlockingSource(DailySource):
    """The seeded demo market, one day per batch; the third day waits until the test lets it go."""

    def __init__(self) -> None:
        self.inner = DemoSource(n_artists=150)
        self.name, self.is_demo = self.inner.name, self.inner.is_demo
        self.reached, self.release = threading.Event(), threading.Event()

    def extract(self, day: date) -> SourceBatch:
        if day == SNAPSHOT + timedelta(days=3):
            self.reached.set()
            assert self.release.wait(120), "the test never released the run"
        return self.inner.extract(day)


def test_admin_shows_a_running_run_stage_by_stage(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    seeded: dict[str, Any],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(RunRecorder, "PROGRESS_INTERVAL", 0.0)  # the run is in this process: record every day
    engine = seeded["engine"]
    with engine.begin() as conn:  # the seeded model is a stand-in without a booster: a real run cannot use it
        conn.execute(text("UPDATE model_versions SET is_active = false"))
    source = BlockingSource()
    failures: list[BaseException] = []

    def run() -> None:
        try:
            with exclusive_run(engine):
                backfill(engine, source, end_date=SNAPSHOT + timedelta(days=5), days=5, trigger="manual",
                         requested_by="ana", config=RunConfig())  # fmt: skip
        except BaseException as error:  # reported by the test thread below
            failures.append(error)
            source.reached.set()

    worker = threading.Thread(target=run)
    worker.start()
    try:
        assert source.reached.wait(120) and not failures, failures
        for viewport in ("phone", "desktop"):  # the run is released after the last screenshot
            page = signed_in_page(browser, server, "ana", viewport)
            page.goto(f"{server}/admin")
            running = page.locator("#admin-running-run")
            running.wait_for()
            text_shown = running.inner_text()
            assert "is running" in text_shown and "extract + load" in text_shown and "2 of 5 days" in text_shown
            assert "features" in text_shown and "score" in text_shown and "aggregate + publish" in text_shown
            assert text_shown.count("to do") == 5  # features, score, reasons, discover, aggregate + publish
            assert page.locator("#admin-running-run .progress-bar").get_attribute("aria-valuenow") == "40"
            page.wait_for_selector("#admin-runs .ag-row")
            settle(page)
            assert truncated_headers(page, "admin-deliveries") == [], viewport
            page.screenshot(path=str(SHOTS / f"admin-running-{SHOT_NAMES[viewport]}.png"), full_page=True)
            if viewport == "desktop":
                source.release.set()
                page.locator("#admin-running-run").wait_for(state="detached", timeout=60_000)
            page.context.close()
    finally:
        source.release.set()
        worker.join(120)
    assert not failures, failures
