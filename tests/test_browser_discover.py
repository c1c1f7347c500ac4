"""Discover in a real browser (gunicorn + headless Chromium, the fixtures of tests/test_browser.py): a demo artist's
segment, underperformers and collaboration ideas; a playlist generated and exported; similar tracks on a track.

    pytest -m browser tests/test_browser_discover.py
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.test_browser import SHOTS, browser, seeded, server, settle, signed_in_page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
PATIENCE_MS = 60_000  # the Discover page builds a map and three grids: generous on a loaded 2-core machine


def open_page(chromium: Any, base: str) -> Any:
    page = signed_in_page(chromium, base, "bo")
    page.set_default_timeout(PATIENCE_MS)
    return page


def test_discover_shows_a_demo_artists_segment_underperformers_and_ideas(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    seeded: dict[str, Any],  # noqa: F811
) -> None:
    with seeded["engine"].connect() as conn:
        artist, n_segment, n_under, n_ideas = conn.execute(
            text("""
                SELECT s.seed_artist_id, count(DISTINCT s.artist_id), count(DISTINCT u.track_id),
                       count(DISTINCT i.artist_id)
                FROM agg_segments s JOIN agg_underperformers u USING (publication_id, seed_artist_id)
                JOIN agg_collab_ideas i USING (publication_id, seed_artist_id)
                GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT 1
            """)
        ).one()
        first_idea = conn.execute(
            text("SELECT name FROM agg_collab_ideas WHERE seed_artist_id = :a ORDER BY rank LIMIT 1"), {"a": artist}
        ).scalar()
    page = open_page(browser, server)
    page.goto(f"{server}/discover?artist={artist}")
    for grid in ("discover-segment", "discover-underperformers", "discover-ideas"):
        page.wait_for_selector(f"#{grid} .ag-row")
    page.wait_for_selector("#discover-drivers .js-plotly-plot")
    settle(page)
    facts = page.inner_text("#discover-segment-facts")
    assert f"Segment: {n_segment} artists" in facts and "demo's similar-artist network" in facts
    assert page.locator("#discover-underperformers .ag-center-cols-container .ag-row").count() == min(n_under, 10)
    assert first_idea in page.inner_text("#discover-ideas")
    assert "Traceback" not in page.inner_text("body")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "discover-1440x900.png"), full_page=True)
    page.context.close()


def test_a_playlist_is_generated_and_exported(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    seeded: dict[str, Any],  # noqa: F811
    tmp_path: Path,
) -> None:
    page = open_page(browser, server)
    page.goto(f"{server}/discover")
    page.wait_for_selector("#playlist-go")
    settle(page)
    page.fill("#playlist-length", "12")
    page.click("#playlist-go")
    page.wait_for_selector("#playlist-grid .ag-row")
    settle(page)
    with page.expect_download() as download:
        page.click("#playlist-export")
    target = tmp_path / "playlist.csv"
    download.value.save_as(target)
    with target.open(newline="", encoding="utf-8-sig") as handle:
        exported = list(csv.DictReader(handle))
    with seeded["engine"].connect() as conn:
        expected = (
            conn.execute(
                text("SELECT name FROM agg_discover_tracks ORDER BY popularity DESC NULLS LAST, track_id LIMIT 12")
            )
            .scalars()
            .all()
        )
    assert [row["Track"] for row in exported] == expected  # ordered, most popular first, plain names
    assert [row["#"] for row in exported] == [str(i) for i in range(1, 13)]
    page.context.close()


def test_track_page_lists_similar_tracks(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    seeded: dict[str, Any],  # noqa: F811
) -> None:
    with seeded["engine"].connect() as conn:
        track, nearest = conn.execute(
            text("""
                SELECT t.track_id, d.name FROM agg_similar_tracks s
                JOIN agg_discover_tracks t ON t.publication_id = s.publication_id AND t.track_no = s.track_no
                JOIN agg_discover_tracks d ON d.publication_id = s.publication_id AND d.track_no = s.similar_nos[1]
                ORDER BY t.track_id LIMIT 1
            """)
        ).one()
    page = open_page(browser, server)
    page.goto(f"{server}/track/{track}")
    page.wait_for_selector("#track-similar .ag-row")
    settle(page)
    assert nearest in page.inner_text("#track-similar")
    page.context.close()
