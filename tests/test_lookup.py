"""On-demand lookup, worker side: a queued lookup of an untracked Spotify track, answered through the fake
Spotify and Last.fm servers, ends with the track stored, on both watchlists and scored at first sight.

    pytest tests/test_lookup.py
"""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, text

from core.spotify_refs import parse_reference
from dashboard.lookup_queries import lookup_answer, queue_lookup
from jobs.lookup import answer_lookups
from tests.lookup_support import ARTIST, ARTIST_ID, DAY, LISTENERS, activate_tiny_model, fake_servers, sources


def queue(engine: Engine, reference: str, user: str = "bo") -> int:
    _, spotify_id = parse_reference(reference, bare="track")
    with engine.begin() as conn:
        return queue_lookup(conn=conn, username=user, spotify_id=spotify_id)


def test_an_untracked_track_is_fetched_stored_watched_and_scored(clean_db: Engine) -> None:
    model_id = activate_tiny_model(clean_db)
    with fake_servers() as (spotify, lastfm, track_id):
        request_id = queue(clean_db, f"https://open.spotify.com/track/{track_id}?si=x")
        assert answer_lookups(clean_db, lambda: sources(clean_db, spotify, lastfm), today=DAY) == 1
    with clean_db.connect() as conn:
        answer = lookup_answer(conn=conn, request_id=request_id, username="bo")
        stored = conn.execute(
            text(
                "SELECT t.name, a.name, a.genre FROM tracks t JOIN track_artists ta USING (track_id)"
                " JOIN artists a USING (artist_id) WHERE t.track_id = :id AND ta.position = 0"
            ),
            {"id": track_id},
        ).one()
        listeners = conn.execute(
            text("SELECT value FROM raw_observations WHERE entity_id = :id AND metric = 'lastfm_listeners'"),
            {"id": track_id},
        ).scalar()
        watched = conn.execute(
            text("SELECT count(*) FROM user_watchlist WHERE username = 'bo' AND entity_id = :id"), {"id": track_id}
        ).scalar()
        tracked = conn.execute(text("SELECT count(*) FROM watchlist WHERE spotify_id = :id"), {"id": track_id}).scalar()
        version = conn.execute(text("SELECT model_version_id FROM lookup_requests")).scalar()
    assert answer is not None and answer["status"] == "done", answer
    assert stored[1] == ARTIST and stored[2]  # the main artist's row, with its genre, came from Spotify
    assert listeners == LISTENERS
    assert watched == 1 and tracked == 1
    assert version == model_id
    assert 0 < answer["probability"] < 1
    # first sight: the artist's level was seen, the track's own momentum was not
    assert answer["feature_values"]["artist_spotify_popularity"] == 57.0
    assert "track_spotify_popularity_7d" not in answer["contributions"]
    assert abs(answer["contributions"]["artist_spotify_popularity"]) > 0


def test_popular_artist_scores_higher_than_an_obscure_one_at_first_sight(clean_db: Engine) -> None:
    activate_tiny_model(clean_db)
    with fake_servers() as (spotify, lastfm, track_id):
        first = queue(clean_db, track_id)
        answer_lookups(clean_db, lambda: sources(clean_db, spotify, lastfm), today=DAY)
        spotify.artists[ARTIST_ID]["popularity"] = 3
        with clean_db.begin() as conn:  # forget the track, so the second lookup fetches it afresh
            conn.execute(text("TRUNCATE user_watchlist, watchlist, observations, track_artists, tracks CASCADE"))
        second = queue(clean_db, f"spotify:track:{track_id}", user="ana")
        answer_lookups(clean_db, lambda: sources(clean_db, spotify, lastfm), today=DAY)
    with clean_db.connect() as conn:
        high = lookup_answer(conn=conn, request_id=first, username="bo")
        low = lookup_answer(conn=conn, request_id=second, username="ana")
    assert high and low and high["probability"] > low["probability"]


def test_an_unknown_id_is_answered_not_found(clean_db: Engine) -> None:
    activate_tiny_model(clean_db)
    with fake_servers() as (spotify, lastfm, _track):
        request_id = queue(clean_db, "0" * 22)
        answer_lookups(clean_db, lambda: sources(clean_db, spotify, lastfm), today=DAY)
    with clean_db.connect() as conn:
        answer = lookup_answer(conn=conn, request_id=request_id, username="bo")
        tracks = conn.execute(text("SELECT count(*) FROM tracks")).scalar()
    assert answer is not None and answer["status"] == "not_found" and "no track" in answer["message"]
    assert answer["probability"] is None and tracks == 0


def test_a_user_reads_only_their_own_lookup(clean_db: Engine) -> None:
    request_id = queue(clean_db, "1" * 22, user="bo")
    with clean_db.connect() as conn:
        assert lookup_answer(conn=conn, request_id=request_id, username="ana") is None
    assert queue(clean_db, "1" * 22, user="bo") == request_id  # a second click reuses the pending request


@pytest.mark.parametrize("reference", ["not a link", "https://open.spotify.com/album/" + "a" * 22])
def test_only_track_references_parse(reference: str) -> None:
    with pytest.raises(ValueError):
        parse_reference(reference, bare="track")


def test_first_sight_scores_ignore_the_tracks_own_history(clean_db: Engine) -> None:
    import lightgbm as lgb
    import pandas as pd

    from jobs.model_store import active_model
    from model.first_sight import first_sight_scores

    activate_tiny_model(clean_db)
    with clean_db.connect() as conn:
        stored = active_model(conn=conn)
    assert stored is not None
    booster = lgb.Booster(model_str=stored.model_text)
    rows = pd.DataFrame({"artist_spotify_popularity": [60.0, 60.0], "release_month": [8.0, 8.0],
                         "days_since_release": [30.0, 30.0], "track_spotify_popularity_7d": [-40.0, 40.0]})  # fmt: skip
    probability, contrib = first_sight_scores(booster, {}, rows)
    assert probability[0] == probability[1]
    logit = contrib.sum(axis=1).to_numpy()
    assert logit == pytest.approx(np.log(probability / (1 - probability)))  # the reasons add up to the score
