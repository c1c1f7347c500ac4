"""Watchlists: the star callback and Morning's "Your watchlist", against rows written in the real schema.

    pytest tests/test_watchlist.py

Two publications score the same tracks, so the change since the previous one is known exactly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from dashboard import ids
from jobs.publication_partitions import ensure_partitions
from tests.conftest import reset_database, start_clean
from tests.dashboard_support import dash_app, dashboard_database, signed_in

STAR = {"type": ids.WATCH_STAR, "kind": "track", "id": "demo:t1"}
ARTIST_STAR = {"type": ids.WATCH_STAR, "kind": "artist", "id": "demo:a1"}


@pytest.fixture
def two_publications(engine: Engine, database_url: str) -> Iterator[Engine]:
    start_clean(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO genres VALUES ('pop')"))
        conn.execute(
            text("INSERT INTO artists (artist_id, name, genre, source) VALUES ('demo:a1', 'Ana Lua', 'pop', 'demo')")
        )
        conn.execute(
            text(
                "INSERT INTO tracks (track_id, name, genre, source) VALUES"
                " ('demo:t1', 'Night Drive', 'pop', 'demo'), ('demo:t2', 'Second Song', 'pop', 'demo')"
            )
        )
        for number, (p1, p2) in enumerate([(0.30, 0.20), (0.42, 0.25)], start=1):
            run = conn.execute(
                text("INSERT INTO job_runs (kind, trigger, source, status) VALUES ('refresh', 'cli', 'demo',"
                     " 'succeeded') RETURNING run_id")
            ).scalar_one()  # fmt: skip
            pid = conn.execute(
                text("INSERT INTO publications (run_id, snapshot_date, source, is_demo) VALUES"
                     " (:run, DATE '2026-06-28' + :n, 'demo', true) RETURNING publication_id"),
                {"run": run, "n": number},
            ).scalar_one()  # fmt: skip
            ensure_partitions(conn=conn, publication_id=pid)
            conn.execute(
                text(
                    "INSERT INTO agg_track_scores (publication_id, track_id, name, artist_id, artist_name, genre,"
                    " is_hit, probability) VALUES (:pid, 'demo:t1', 'Night Drive', 'demo:a1', 'Ana Lua', 'pop',"
                    " false, :p1), (:pid, 'demo:t2', 'Second Song', 'demo:a1', 'Ana Lua', 'pop', false, :p2)"
                ),
                {"pid": pid, "p1": p1, "p2": p2},
            )
        conn.execute(
            text(
                "INSERT INTO agg_alerts (publication_id, artist_id, name, genre, metric, observed_on, value,"
                " expected, zscore) VALUES (:pid, 'demo:a1', 'Ana Lua', 'pop', 'spotify_followers', '2026-06-30',"
                " 900, 100, 6)"
            ),
            {"pid": pid},
        )
    with dashboard_database(database_url):
        dash_app()
        yield engine
    reset_database(engine)


def test_a_star_toggles_and_morning_lists_it_with_probability_change_and_alerts(two_publications: Engine) -> None:
    from dashboard.watch_ui import render_watchlist, save_edit, toggle_star, watchlist_view

    with signed_in("bo"):
        assert toggle_star(None, STAR) == ("☆ Watch", True, False)  # on load: not watched
        assert toggle_star(1, STAR) == ("★ Watching", False, False)
        assert toggle_star(None, STAR) == ("★ Watching", False, False)  # a reload shows it starred
        assert toggle_star(1, ARTIST_STAR)[0] == "★ Watching"
        _, rows = watchlist_view()
    assert [
        (r["kind"], r["name"], r["artist"], r["probability"], r["change"], r["alerts"]) for r in rows
    ] == [
        ("Artist", "Ana Lua", "", 42.0, 12.0, "spotify_followers"),  # its best track: 30% -> 42%
        ("Track", "Night Drive", "Ana Lua", 42.0, 12.0, "spotify_followers"),
    ]  # fmt: skip
    with signed_in("bo"):
        assert render_watchlist(1)[2] is False  # something to export
    with signed_in("ana"):
        assert toggle_star(None, STAR)[0] == "☆ Watch"  # each user has their own list
        assert watchlist_view()[1] == []
        assert render_watchlist(1)[1:] == (None, True)  # no grid, and Export CSV disabled: nothing to export

    with signed_in("bo"):
        edited = {**rows[1], "note": "call the manager", "tags": "sync, radio,, sync"}
        save_edit([{"data": edited, "colId": "note"}])
        assert toggle_star(1, ARTIST_STAR)[0] == "☆ Watch"  # unstarred
        _, rows = watchlist_view()
    assert [(r["name"], r["note"], r["tags"]) for r in rows] == [("Night Drive", "call the manager", "sync, radio")]


def test_watchlist_writes_run_under_a_statement_timeout(two_publications: Engine) -> None:
    from dashboard import watchlist
    from dashboard.db import writing

    with signed_in("bo"), writing() as conn:
        watchlist.set_watched(conn=conn, username="bo", entity_type="track", entity_id="demo:t2", watched=True)
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "5s"


def test_only_artists_and_tracks_of_the_catalogue_can_be_watched(two_publications: Engine) -> None:
    from dashboard.watch_ui import save_edit, toggle_star

    with signed_in("bo"):
        assert toggle_star(1, {**STAR, "kind": "playlist"}) == ("☆ Watch", True, True)
        assert toggle_star(1, {**STAR, "id": "demo:no-such-track"}) == ("☆ Watch", True, False)
        assert toggle_star(1, {**ARTIST_STAR, "id": "demo:t1"}) == ("☆ Watch", True, False)  # a track id as artist
        assert toggle_star(1, "not-an-id") == ("☆ Watch", True, True)  # crafted callback values
        save_edit(["x", {"data": "y"}, {"data": {"entity_type": "track", "entity_id": "demo:t1", "note": 5}}])
    with two_publications.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_watchlist")).scalar() == 0
