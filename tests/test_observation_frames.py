"""The narrow reader of the model inputs (`jobs.observation_frames`, and the catalogue by typed COPY in
`jobs.model_inputs.read_model_frames`) against the path it replaced: the `raw_observations` view and the
catalogue fetched as rows of Python values, and the prior best grouped over the view. On a tiny demo world,
with one source and then with a second source observing some of the same days (whose values
`ModelFrames.normalised` must average), the same observations, prior best and feature rows come out, value
for value.

    python -m pytest tests/test_observation_frames.py -q
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text

from core.columnar import select
from jobs import observation_frames
from jobs.features import HISTORY_DAYS, features_on, snapshot_context
from jobs.load import load_batch
from jobs.model_inputs import read_model_frames
from jobs.observation_frames import observation_frame, observation_panels
from model.features import FeatureContext, build_features
from model.frames import ModelFrames
from tests.factories import DAY, tiny_source

FIRST, METRIC = DAY - timedelta(days=20), "spotify_popularity"
KEY = ["entity_type", "entity_id", "metric", "observed_on"]


@pytest.fixture
def world(clean_db: Engine) -> Engine:
    for batch in tiny_source().extract_range(DAY - timedelta(days=30), DAY):
        with clean_db.begin() as conn:
            load_batch(conn=conn, batch=batch, run_id=None)
    return clean_db


def _through_the_view(conn: Connection) -> ModelFrames:
    """The frames as `read_model_frames` read them before: text rows of the view, the prior best grouped on it."""
    new = read_model_frames(conn=conn, first=FIRST, last=DAY, hit_metric=METRIC)
    observations = select(conn, "SELECT entity_type, entity_id, metric, observed_on, source, value FROM"
                          " raw_observations WHERE observed_on BETWEEN :f AND :l", f=FIRST, l=DAY)  # fmt: skip
    prior = select(conn, "SELECT metric, entity_id AS track_id, max(value) AS best FROM raw_observations"
                   " WHERE entity_type = 'track' AND metric = :metric AND observed_on < :first"
                   " GROUP BY metric, entity_id", metric=METRIC, first=FIRST)  # fmt: skip
    tracks = select(conn, "SELECT track_id, name, release_date, release_date_precision, duration_ms, explicit, genre"
                    " FROM tracks WHERE release_date IS NULL OR release_date <= :last", last=DAY)  # fmt: skip
    links = select(conn, "SELECT track_id, artist_id, position FROM track_artists")
    artists = select(conn, "SELECT artist_id, name, genre FROM artists")
    audio = select(conn, "SELECT * FROM track_audio_features")
    assert len(new.tracks) == len(tracks) and len(new.audio_features) == len(audio) > 50
    return ModelFrames(observations, tracks, links, artists, audio, prior)


def _plain(observations: pd.DataFrame) -> pd.DataFrame:
    frame = observations.astype(dict.fromkeys(("entity_type", "entity_id", "metric"), object))
    frame["observed_on"] = pd.to_datetime(frame["observed_on"]).astype("datetime64[ns]")
    return frame.sort_values(KEY).reset_index(drop=True)[[*KEY, "value"]]


def _same_inputs_and_features(conn: Connection) -> None:
    new, old = read_model_frames(conn=conn, first=FIRST, last=DAY, hit_metric=METRIC), _through_the_view(conn)
    pd.testing.assert_frame_equal(_plain(new.normalised().observations), _plain(old.normalised().observations))
    new_best, old_best = (frames.prior_best.sort_values("track_id").reset_index(drop=True) for frames in (new, old))
    pd.testing.assert_frame_equal(new_best, old_best, check_dtype=False)
    dates = [pd.Timestamp(DAY - timedelta(days=7)), pd.Timestamp(DAY)]
    built = [build_features(frames, dates, hit_metric=METRIC, hit_threshold=60.0) for frames in (new, old)]
    order = ["as_of", "track_id"]
    assert len(built[0]) > 50
    pd.testing.assert_frame_equal(built[0].sort_values(order).reset_index(drop=True),
                                  built[1].sort_values(order).reset_index(drop=True), check_exact=True)  # fmt: skip


def test_one_source_gives_the_rows_and_features_of_the_view(world: Engine) -> None:
    with world.connect() as conn:
        frame = observation_frame(conn=conn, first=FIRST, last=DAY)
        assert isinstance(frame["entity_id"].dtype, pd.CategoricalDtype)
        assert len(frame) == select(conn, "SELECT count(*) AS n FROM raw_observations WHERE observed_on"
                                    " BETWEEN :f AND :l", f=FIRST, l=DAY)["n"].iloc[0]  # fmt: skip
        assert read_model_frames(conn=conn, first=FIRST, last=DAY, hit_metric=METRIC).one_per_key
        _same_inputs_and_features(conn)


def _add_second_source(conn: Connection, value: str) -> None:
    """A second stored source for every third entity over the last 8 days, its value `value` (SQL on `value`)."""
    conn.execute(text("INSERT INTO observation_sources (name) VALUES ('second')"))
    conn.execute(
        text(
            "INSERT INTO observations (entity, metric, source, observed_on, value)"
            " SELECT entity, metric, (SELECT source FROM observation_sources WHERE name = 'second'),"
            f"        observed_on, {value} FROM observations WHERE entity % 3 = 0 AND observed_on >= :day"
        ),
        {"day": DAY - timedelta(days=8)},
    )


def test_a_second_source_on_the_same_days_is_averaged_as_before(world: Engine) -> None:
    with world.begin() as conn:
        _add_second_source(conn, "value * 1.5 + 3")
        frames = read_model_frames(conn=conn, first=FIRST, last=DAY, hit_metric=METRIC)
        assert not frames.one_per_key
        duplicated = frames.observations.duplicated(KEY).sum()
        assert duplicated > 100 and np.isfinite(frames.observations["value"]).all()
        _same_inputs_and_features(conn)


def _same_context(conn: Connection, *, block_bytes: int) -> None:
    """The refresh's context (`snapshot_context`: the window read straight into panels, in COPY chunks of
    `block_bytes`) against `FeatureContext.build` of the frames: the same panels, days and feature rows."""
    day = DAY
    with patch_blocks(block_bytes):
        new = snapshot_context(conn=conn, day=day, hit_metric=METRIC, observed_audio=True)  # as a refresh reads it
    frames = read_model_frames(conn=conn, first=day - timedelta(days=HISTORY_DAYS), last=day, hit_metric=METRIC)
    old = FeatureContext.build(frames, until=pd.Timestamp(day))
    assert (new.start, new.n_days) == (old.start, old.n_days)
    for kind in ("track_panels", "artist_panels"):
        got, expected = getattr(new, kind), getattr(old, kind)
        assert list(got) == list(expected) and len(expected) > 0
        for metric, panel in expected.items():
            pd.testing.assert_index_equal(got[metric].ids, panel.ids)
            np.testing.assert_array_equal(got[metric].values, panel.values)
            assert got[metric].values.dtype == panel.values.dtype
    built = [features_on(ctx, day, hit_metric=METRIC, hit_threshold=60.0) for ctx in (new, old)]
    assert len(built[0].rows) > 50
    pd.testing.assert_frame_equal(built[0].rows, built[1].rows, check_exact=True)
    pd.testing.assert_series_equal(built[0].is_hit, built[1].is_hit)


@contextmanager
def patch_blocks(block_bytes: int) -> Iterator[None]:
    """Read the observation stream in blocks of `block_bytes` (many chunks on a tiny world)."""
    original = observation_frames.copy_out_fixed_chunks
    observation_frames.copy_out_fixed_chunks = partial(original, block_bytes=block_bytes)  # type: ignore[assignment]
    try:
        yield
    finally:
        observation_frames.copy_out_fixed_chunks = original  # type: ignore[assignment]


@pytest.mark.parametrize("block_bytes", [1, 4096, 32 * 2**20])
def test_the_refresh_reads_the_window_into_the_panels_the_frame_gives(world: Engine, block_bytes: int) -> None:
    with world.begin() as conn:  # a NaN value is not an observation (the frame drops it): some entities have none
        conn.execute(text("UPDATE observations SET value = 'NaN' WHERE entity % 7 = 0 OR (entity % 5 = 0"
                          " AND observed_on = :day)"), {"day": DAY - timedelta(days=3)})  # fmt: skip
        assert observation_panels(conn=conn, first=FIRST, last=DAY) is not None
        _same_context(conn, block_bytes=block_bytes)


def test_with_a_second_source_the_refresh_averages_from_the_frame(world: Engine) -> None:
    with world.begin() as conn:
        _add_second_source(conn, "value + 5")
        assert observation_panels(conn=conn, first=FIRST, last=DAY) is None
        _same_context(conn, block_bytes=4096)
