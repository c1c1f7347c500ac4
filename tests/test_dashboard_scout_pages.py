"""The scout's pages on a real publication (demo market through the real pipeline, model outputs written as the
scoring stage writes them): headline numbers follow the genre, the emerging list keeps its floor and says how
often such scores came true, the Track page's reasons, the navbar search over artists and tracks.

    pytest tests/test_dashboard_scout_pages.py
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from dashboard import calibration, search
from tests.conftest import reset_database, start_clean
from tests.dashboard_support import dash_app, dashboard_database, seed_demo, seed_model_outputs


@pytest.fixture(scope="module")
def seeded(engine: Engine, database_url: str) -> Iterator[dict[str, Any]]:
    start_clean(engine)
    search._INDEXES.clear()  # publication ids repeat after truncation
    outcome = seed_demo(engine)
    written = seed_model_outputs(engine, publication_id=outcome.publication_id)
    with dashboard_database(database_url):
        dash_app()
        yield {"engine": engine, **written}
    reset_database(engine)


def page(name: str):
    return importlib.import_module(f"dashboard.pages.{name}")


def scalar(engine: Engine, sql: str, **params: object) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_headline_numbers_follow_the_genre(seeded: dict[str, Any]) -> None:
    engine = seeded["engine"]
    everyone = str(page("morning").render_lists(None, "7", "points")[5])
    latin = str(page("morning").render_lists("latin", "7", "points")[5])
    for genre, shown in ((None, everyone), ("latin", latin)):
        where = "" if genre is None else f" AND genre = '{genre}'"
        ranked = scalar(engine, f"SELECT count(*) FROM agg_artist_leaderboard WHERE true{where}")
        scored = scalar(engine, f"SELECT count(*) FROM agg_track_scores WHERE true{where}")
        emerging = scalar(
            engine, f"SELECT count(*) FROM agg_track_scores WHERE NOT is_hit AND probability >= 0.05{where}"
        )
        for number in (ranked, scored, emerging):
            assert f"'{number:,}'" in shown, (genre, number)
    assert "Latin" in latin and latin != everyone


def test_the_emerging_list_keeps_its_floor_and_says_how_often_such_scores_came_true(seeded: dict[str, Any]) -> None:
    note, emerging, *_ = page("morning").render_lists(None, "7", "points")
    assert emerging and min(r["probability"] for r in emerging) >= calibration.LIST_FLOOR
    bins = seeded["metrics"]["calibration"]
    for row in emerging:
        found = calibration.bin_for(row["probability"], bins)
        assert row["came_true"] == calibration.rate_in_words(found["observed_rate"])
        assert row["band"] == calibration.band(row["probability"])
    words = str(note.to_plotly_json())
    assert "strong (50% or more): about" in words and "became hits" in words


def test_the_track_page_gives_reasons_with_values(seeded: dict[str, Any]) -> None:
    track_id = scalar(seeded["engine"], "SELECT track_id FROM agg_track_scores ORDER BY probability DESC LIMIT 1")
    header, reasons, waterfall, history = page("track").render_track(track_id)
    items = [
        str(li.children[0].children) + " " + li.children[1].children for li in reasons.children[1].children.children
    ]
    assert len(items) == 6 and all(item.endswith(" pts") for item in items)
    assert any(item.startswith("Released ") and " days ago " in item for item in items)
    assert "Days since release" in list(waterfall.data[0].y)  # the exact chart names features by the glossary too
    assert any(trace.name.startswith("hit threshold 70") for trace in history.data)


def test_a_track_scored_without_reasons_says_they_are_computed_for_listed_tracks(seeded: dict[str, Any]) -> None:
    engine = seeded["engine"]
    track_id = scalar(engine, "SELECT track_id FROM agg_track_scores ORDER BY probability LIMIT 1")
    with engine.begin() as conn:  # as the score stage writes a track no page lists: probability, no reasons
        conn.execute(
            text("UPDATE agg_track_scores SET contributions = NULL, feature_values = NULL WHERE track_id = :t"),
            {"t": track_id},
        )
    header, reasons, waterfall, history = page("track").render_track(track_id)
    words = str(reasons.to_plotly_json())
    assert "Reasons are computed for listed tracks" in words and "Watch it" in words
    assert "Reasons are computed for listed tracks" in str(waterfall.layout.annotations[0].text)
    assert "%" in str([h.to_plotly_json() for h in header])  # the probability is still shown


def test_navbar_search_finds_a_track_by_its_misspelt_title(seeded: dict[str, Any]) -> None:
    from dashboard.search_box import search_everything

    with seeded["engine"].connect() as conn:
        track_id, title, artist = conn.execute(
            text("SELECT track_id, name, artist_name FROM agg_track_scores ORDER BY probability DESC LIMIT 1")
        ).one()
    typo = title[:2] + title[3] + title[2] + title[4:]
    hits = search_everything(typo.lower()).children
    first = str(hits[0].to_plotly_json())
    assert hits[0].href.startswith("/track/") and title in first and "by " in first
    assert any(hit.href == f"/track/{track_id}" for hit in hits)
