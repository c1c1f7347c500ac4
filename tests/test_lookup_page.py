"""The lookup page's callbacks on a small published demo catalogue: 'song - artist' gives a pick list, a name that
matches nothing says so, an untracked Spotify link queues one lookup request (the web tier scores nothing), a
tracked one links to its page, and the worker's answer renders as gauge, reasons and "tracked daily".

    pytest tests/test_lookup_page.py
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text

from jobs.lock import exclusive_run
from jobs.pipeline import backfill
from tests.conftest import reset_database, start_clean
from tests.dashboard_support import dash_app, dashboard_database, signed_in
from tests.factories import config, tiny_source

UNTRACKED, TRACKED = "4uLU6hMCjMI75M1A2tKUQC", "7ouMYWpwJ422jRcDASZB7P"


@pytest.fixture(scope="module")
def seeded(engine: Engine, database_url: str) -> Iterator[Engine]:
    start_clean(engine)
    with exclusive_run(engine):
        backfill(engine, tiny_source(n_artists=12), end_date=date(2024, 3, 1), days=2, trigger="cli",
                 requested_by="tests", config=config())  # fmt: skip
    with dashboard_database(database_url):
        dash_app()
        yield engine
    reset_database(engine)


def lookup() -> Any:
    return importlib.import_module("dashboard.pages.lookup")


def html_text(component: Any) -> str:
    return str(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component)


def requests_for(engine: Engine, spotify_id: str) -> int:
    with engine.connect() as conn:
        query = text("SELECT count(*) FROM lookup_requests WHERE spotify_id = :id")
        return int(conn.execute(query, {"id": spotify_id}).scalar_one())


def test_song_and_artist_text_gives_a_pick_list_of_catalogue_tracks(seeded: Engine) -> None:
    with seeded.connect() as conn:
        track_id, name, artist = conn.execute(
            text(
                "SELECT t.track_id, t.name, a.name FROM tracks t JOIN track_artists ta USING (track_id)"
                " JOIN artists a USING (artist_id) WHERE ta.position = 0 ORDER BY t.track_id LIMIT 1"
            )
        ).one()
    with signed_in("bo"):
        shown, request, polling_off = lookup().look_up(1, None, f"{name} - {artist}")
    assert request is None and polling_off
    assert f"/track/{track_id}" in html_text(shown) and "lookup-candidates" in html_text(shown)
    with signed_in("bo"):
        wrong_artist, _, _ = lookup().look_up(1, None, f"{name} - Zyxwvut Qqqq")
        nothing, _, _ = lookup().look_up(1, None, "Qqqqzz Xxyyzz - Nobody")
    assert f"/track/{track_id}" not in html_text(wrong_artist)
    assert "No tracked track matches" in html_text(nothing)


def test_an_untracked_link_queues_one_request_and_a_tracked_one_links_to_its_page(seeded: Engine) -> None:
    with signed_in("bo"):
        shown, request, polling_off = lookup().look_up(1, None, f"https://open.spotify.com/track/{UNTRACKED}")
        again, request_again, _ = lookup().look_up(2, None, f"spotify:track:{UNTRACKED}")
    assert not polling_off and isinstance(request, dict) and request == request_again
    assert "lookup-waiting" in html_text(shown) and requests_for(seeded, UNTRACKED) == 1
    with seeded.begin() as conn:
        conn.execute(
            text("INSERT INTO tracks (track_id, name, source) VALUES (:id, 'Known', 'spotify')"), {"id": TRACKED}
        )
    with signed_in("bo"):
        shown, request, _ = lookup().look_up(1, None, TRACKED)
    assert request is None and f"/track/{TRACKED}" in html_text(shown) and requests_for(seeded, TRACKED) == 0
    with signed_in(None):
        refused, request, _ = lookup().look_up(1, None, UNTRACKED)
    assert request is None and "Sign in" in html_text(refused)
    with signed_in("ana"):  # a user's unanswered lookups are capped at MAX_WAITING (5)
        queued = [lookup().look_up(1, None, f"spotify:track:{n}{UNTRACKED[1:]}")[1] for n in range(1, 7)]
    assert all(isinstance(q, dict) for q in queued[:5]) and queued[5] is None


def test_the_answer_shows_gauge_reasons_and_tracked_daily(seeded: Engine) -> None:
    answer = {
        "request_id": 1, "spotify_id": UNTRACKED, "status": "done", "track_id": UNTRACKED, "name": "New Song",
        "artist_name": "Someone", "probability": 0.42, "message": None,
        "contributions": {"artist_spotify_popularity": 0.9, "release_month": -0.2, "bias": -1.0},
        "feature_values": {"artist_spotify_popularity": 57.0, "release_month": 8.0},
    }  # fmt: skip
    shown = html_text(lookup().answer_view(answer))
    assert "lookup-gauge" in shown and "Tracked daily from now on" in shown
    assert "Artist's Spotify popularity 57" in shown and "given only what is known before" in shown  # blanked
    assert "has no interval" in shown  # an unvalidated number says so
    separate = html_text(lookup().answer_view({**answer, "scored_with": "first_sight", "report": None}))
    assert "Scored by the first-sight model" in separate and "given only what is known before" not in separate
    assert "has no interval" not in separate
    missing = html_text(lookup().answer_view({**answer, "status": "not_found", "message": "Spotify has no track"}))
    assert "Spotify has no track" in missing and "lookup-gauge" not in missing


def test_the_first_sight_verdict_reads_in_words_with_its_interval() -> None:
    from types import SimpleNamespace

    from core.model_report import FirstSight
    from dashboard.first_sight_words import first_sight_sentences, scored_with_note

    section = FirstSight.model_validate({
        "forward": {"pr_auc": 0.55, "precision_at_k": 0.3, "oracle_at_k": 0.4, "k": 10},
        "ci": {"pr_auc": {"against": "artist_level", "diff": 0.19, "lo": 0.05, "hi": 0.41, "b": 0.36,
                          "verdict": "win"}},
        "verdict": "win", "positives": {"rows": 28, "tracks": 20, "test_rows": 824},
    })  # fmt: skip
    words = " ".join(scored_with_note("first_sight", SimpleNamespace(first_sight=section)))
    assert "beat sorting by the artist's current level" in words and "PR-AUC 0.55" in words
    assert "95% interval +0.05 to +0.41" in words and "top 10 tracks on a date, 30%" in words
    skipped = first_sight_sentences(SimpleNamespace(first_sight=FirstSight(skipped="not enough history")))
    assert "not enough history" in skipped[0]
    assert "no first-sight model" in first_sight_sentences(SimpleNamespace(first_sight=None))[0]
