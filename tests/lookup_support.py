"""Helpers for the lookup tests: a small real LightGBM model made active, the fake Spotify and Last.fm servers
with one artist, and the worker's sources pointed at them.

    with fake_servers() as (spotify, lastfm, track_id): ...
    activate_tiny_model(engine)                 # a booster that leans on the artist's Spotify popularity
    answer_lookups(engine, lambda: sources(engine, spotify, lastfm), today=DAY)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import lightgbm as lgb
import numpy as np
import pandas as pd
from sqlalchemy import Engine, text

from jobs.lookup import LookupSources
from jobs.sources.lastfm import LastfmClient, LastfmConfig, LastfmSource, RateLimiter
from jobs.sources.spotify import SpotifyClient, SpotifyConfig
from jobs.sources.spotify_source import SpotifySource
from jobs.sources_store import StoredState
from tests.fakes.lastfm_server import API_KEY, FakeLastfm
from tests.fakes.spotify_server import CLIENT_ID, CLIENT_SECRET, FakeSpotify

ARTIST_ID, ARTIST = "2CWWgbxApjbyByxBBCvGTm", "Katatonia"
DAY = date(2026, 11, 20)
FEATURES = ["artist_spotify_popularity", "release_month", "days_since_release", "track_spotify_popularity_7d"]
LISTENERS, PLAYCOUNT = 81_234, 1_402_118


@contextmanager
def fake_servers() -> Iterator[tuple[FakeSpotify, FakeLastfm, str]]:
    """Both fakes running; the track is the fake's first track of the artist, which Last.fm also knows."""
    with FakeSpotify({ARTIST_ID: ARTIST}, albums_per_artist=1) as spotify:
        track_id = next(t for t, full in spotify.tracks.items() if len(full["artists"]) == 1)
        name = spotify.tracks[track_id]["name"]
        with FakeLastfm({ARTIST: (1_000, 2_000)}, {(ARTIST, name): (LISTENERS, PLAYCOUNT)}) as lastfm:
            yield spotify, lastfm, track_id


def sources(engine: Engine, spotify: FakeSpotify, lastfm: FakeLastfm) -> LookupSources:
    config = SpotifyConfig(CLIENT_ID, CLIENT_SECRET, api_url=spotify.api_url, token_url=spotify.token_url,
                           timeout=2.0, max_retries=1, backoff=0.0)  # fmt: skip
    limiter = RateLimiter(1000.0, clock=lambda: 0.0, sleep=lambda _s: None)
    last = LastfmClient(
        LastfmConfig(api_key=API_KEY, api_url=lastfm.api_url, timeout=2.0, max_retries=1),
        sleep=lambda _s: None, limiter=limiter,
    )  # fmt: skip
    return LookupSources(
        SpotifySource(StoredState(engine), SpotifyClient(config, sleep=lambda _s: None)),
        LastfmSource(StoredState(engine), last),
    )


def activate_tiny_model(engine: Engine, seed: int = 3) -> int:
    """Train a small booster on synthetic rows (hits: popular artists) and store it as the active version."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame(
        {
            "artist_spotify_popularity": rng.uniform(0, 100, 600),
            "release_month": rng.integers(1, 13, 600).astype(float),
            "days_since_release": rng.uniform(0, 3000, 600),
            "track_spotify_popularity_7d": rng.normal(0, 5, 600),
        }
    )
    label = (rows["artist_spotify_popularity"] + rng.normal(0, 8, 600) > 50).astype(int)
    params = {"objective": "binary", "num_threads": 1, "verbose": -1, "min_data_in_leaf": 10, "seed": seed}
    booster = lgb.train(params, lgb.Dataset(rows[FEATURES], label), num_boost_round=25)
    with engine.begin() as conn:
        conn.execute(text("UPDATE model_versions SET is_active = false WHERE is_active"))
        return int(
            conn.execute(
                text(
                    "INSERT INTO model_versions (is_active, promoted, label, params, metrics, data_window,"
                    " feature_names, model_text) VALUES (true, true, CAST(:label AS jsonb), CAST(:params AS jsonb),"
                    " '{}', '{}', CAST(:names AS jsonb), :text) RETURNING model_version_id"
                ),
                {
                    "label": json.dumps({"metric": "spotify_popularity", "threshold": 70, "horizon_days": 28}),
                    "params": json.dumps({"calibration": None}),
                    "names": json.dumps(FEATURES),
                    "text": booster.model_to_string(),
                },
            ).scalar_one()
        )


FIRST_SIGHT_FEATURES = ["artist_spotify_popularity", "release_month"]
FIRST_SIGHT_CALIBRATION = {"a": 0.5, "b": -1.0, "method": "platt", "fitted_on": "inner forward split"}


def add_first_sight_model(engine: Engine, model_version_id: int, seed: int = 5) -> lgb.Booster:
    """Store a first-sight booster (two features, its own calibration) with the version, as `jobs train` does."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({"artist_spotify_popularity": rng.uniform(0, 100, 400),
                         "release_month": rng.integers(1, 13, 400).astype(float)})  # fmt: skip
    label = (rows["artist_spotify_popularity"] + rng.normal(0, 10, 400) > 60).astype(int)
    params = {"objective": "binary", "num_threads": 1, "verbose": -1, "min_data_in_leaf": 10, "seed": seed}
    booster = lgb.train(params, lgb.Dataset(rows, label), num_boost_round=15)
    stored = {"features": FIRST_SIGHT_FEATURES, "calibration": FIRST_SIGHT_CALIBRATION}
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE model_versions SET first_sight_text = :text, first_sight_params = CAST(:params AS jsonb)"
                " WHERE model_version_id = :id"
            ),
            {"text": booster.model_to_string(), "params": json.dumps(stored), "id": model_version_id},
        )
    return booster
