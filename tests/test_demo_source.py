"""The demo market: deterministic, plausible, and the same whether a day comes from a backfill or a refresh."""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from jobs.load import StagedLoad, load_batch
from jobs.load_hashes import KnownHashes
from jobs.sources.demo import GENRES, DemoMarket, DemoSource, season_effect
from jobs.sources.demo_names import _SYLLABLES, artist_names
from tests.factories import DAY, tiny_source


def test_same_seed_same_market_different_seed_different_market() -> None:
    a, b = tiny_source().market.observations(DAY), tiny_source().market.observations(DAY)
    pd.testing.assert_frame_equal(a, b)
    other = tiny_source(seed=8).market.observations(DAY)
    assert not a["value"].equals(other["value"])


def test_backfill_range_and_single_day_extract_agree() -> None:
    source = tiny_source()
    batches = list(source.extract_range(DAY - timedelta(days=20), DAY, chunk_days=7))
    assert len(batches) == 1 + 3  # catalogue, then 7 + 7 + 7 days
    ranged = pd.concat([b.observations for b in batches[1:]])
    single = source.extract(DAY - timedelta(days=5)).observations
    from_range = ranged[ranged["observed_on"] == DAY - timedelta(days=5)]
    pd.testing.assert_frame_equal(from_range.reset_index(drop=True), single.reset_index(drop=True))


def test_a_range_extract_lets_the_market_go_and_a_later_extract_rebuilds_the_same_one() -> None:
    """The refresh's later stages do not carry the simulated market (~200 MiB at 1M tracks)."""
    source = tiny_source()
    first = [b.observations for b in source.extract_range(DAY - timedelta(days=2), DAY)]
    assert source._market is None
    again = [b.observations for b in source.extract_range(DAY - timedelta(days=2), DAY)]
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_only_released_tracks_are_visible_and_observed() -> None:
    source = tiny_source()
    batch = source.extract(DAY)
    assert (pd.to_datetime(batch.tracks["release_date"]) <= pd.Timestamp(DAY)).all()
    observed = set(batch.observations.query("entity_type == 'track'")["entity_id"])
    assert observed <= set(batch.tracks["track_id"])
    assert set(batch.track_artists["track_id"]) == set(batch.tracks["track_id"])


def test_values_are_in_range_and_some_tracks_become_hits() -> None:
    market = DemoMarket(seed=42, n_artists=800, start=date(2024, 1, 1))
    obs = pd.concat([market.observations(DAY - timedelta(days=d)) for d in range(0, 180, 6)])
    popularity = obs.query("metric == 'spotify_popularity'")["value"]
    assert popularity.between(0, 100).all()
    peaks = obs.query("entity_type == 'track'").groupby("entity_id")["value"].max()
    assert 0.01 < (peaks >= 70).mean() < 0.25


def test_release_month_season_follows_the_genre_peak() -> None:
    latin = np.full(12, GENRES.index("latin"))
    effect = season_effect(latin, np.arange(1, 13))
    assert effect.argmax() + 1 == 7 and effect.argmin() + 1 == 1


def test_year_only_release_dates_fall_on_january_first_with_year_precision() -> None:
    tracks = DemoSource(seed=3, n_artists=300, start=date(2024, 1, 1)).extract(DAY).tracks
    year_only = tracks[tracks["release_date_precision"] == "year"]
    assert len(year_only) > 0
    assert all(d.month == 1 and d.day == 1 for d in year_only["release_date"])


def test_artist_names_are_seeded_words_of_syllables() -> None:
    """Vectorised naming: 2-3 syllables, capitalised, half the artists with a second two-syllable word."""
    names = artist_names(seed=5, n=4000)
    title = "(?:" + "|".join(s.capitalize() for s in _SYLLABLES) + ")"
    lower = "(?:" + "|".join(_SYLLABLES) + ")"
    shape = re.compile(f"^{title}{lower}{{1,2}}( {title}{lower})?$")
    assert all(shape.match(name) for name in names)
    assert 0.45 < sum(" " in name for name in names) / len(names) < 0.55
    assert list(artist_names(seed=5, n=4000)) == list(names) and list(artist_names(seed=6, n=4000)) != list(names)


SORT_KEYS = {"artists": ["artist_id"], "artist_genres": ["artist_id"], "tracks": ["track_id"],
             "track_artists": ["track_id", "artist_id"], "audio_features": ["track_id"],
             "similar_artists": ["artist_id", "similar_artist_id"]}  # fmt: skip


def test_the_catalogue_in_batches_of_artists_is_the_one_batch_split() -> None:
    """A big catalogue comes as batches of artists (bounded memory); together they are the one batch, row for
    row and dtype for dtype, and only the first carries the artists (every later batch's links point at them)."""
    source = tiny_source(n_artists=200)
    whole = source.catalogue_batch(DAY)
    parts = list(source.catalogue_batches(DAY, chunk_artists=45))
    assert len(parts) == 5 and all(part.artists.empty for part in parts[1:])
    for name, key in SORT_KEYS.items():
        joined = pd.concat([getattr(part, name) for part in parts if len(getattr(part, name))], ignore_index=True)
        expected = getattr(whole, name).sort_values(key, kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(joined.sort_values(key, kind="stable").reset_index(drop=True), expected)


def test_a_catalogue_loaded_whole_is_not_sent_again_in_batches(clean_db: Engine) -> None:
    """Each batch's rows hash as the one batch's did: re-delivered in batches, nothing is staged or changed."""
    source = tiny_source(n_artists=200)
    with clean_db.begin() as conn:
        load_batch(conn=conn, batch=source.catalogue_batch(DAY), run_id=None)
    known = KnownHashes()
    for part in source.catalogue_batches(DAY, chunk_artists=45):
        with clean_db.begin() as conn:
            staged = StagedLoad(conn, run_id=None, known=known)
            staged.add(part)
            assert staged.staged_rows == 0 and not any(staged.merge().values())
