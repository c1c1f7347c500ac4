"""Features use only data observed on or before their date; missing stays missing; prior success is
earlier releases only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.features import build_features
from model.frames import ModelFrames
from tests.model_data import demo_frames, obs, tracks

CUT = pd.Timestamp("2025-05-15")


@pytest.fixture(scope="module")
def frames() -> ModelFrames:
    return demo_frames(n_artists=120, days=90)


def _features(frames: ModelFrames) -> pd.DataFrame:
    out = build_features(frames, [CUT], hit_metric="spotify_popularity", hit_threshold=70)
    return out.sort_values("track_id").reset_index(drop=True)


def test_features_do_not_change_when_the_future_changes(frames: ModelFrames) -> None:
    before = _features(frames)
    future = frames.observations["observed_on"] > CUT.date()
    changed = frames.observations.copy()
    changed.loc[future, "value"] = changed.loc[future, "value"] * 3 + 17
    extra = changed[future].copy()
    extra["source"] = "other"  # a second source's future rows
    extra["value"] = 100.0
    late_tracks = frames.tracks.copy()
    late_tracks["track_id"] = late_tracks["track_id"] + "-late"
    late_tracks["release_date"] = CUT.date() + pd.Timedelta(days=3)
    late_links = frames.track_artists.assign(track_id=frames.track_artists["track_id"] + "-late")
    shifted = ModelFrames(
        pd.concat([changed, extra], ignore_index=True),
        pd.concat([frames.tracks, late_tracks], ignore_index=True),
        pd.concat([frames.track_artists, late_links], ignore_index=True),
        frames.artists, frames.audio_features,
    )  # fmt: skip
    after = _features(shifted)
    assert len(before) > 100
    assert before["track_spotify_popularity"].notna().all()
    pd.testing.assert_frame_equal(before, after)


def test_features_change_when_the_past_changes(frames: ModelFrames) -> None:
    """The check above could pass vacuously; altering the past must move the features."""
    past = frames.observations["observed_on"] <= CUT.date()
    changed = frames.observations.copy()
    changed.loc[past, "value"] = changed.loc[past, "value"] + 5
    after = _features(ModelFrames(changed, frames.tracks, frames.track_artists, frames.artists))
    assert not np.allclose(after["track_spotify_popularity"], _features(frames)["track_spotify_popularity"])


def test_missing_metrics_stay_nan_and_prior_success_counts_earlier_releases_only() -> None:
    catalogue, links = tracks(
        ("t1", "a1", "2025-01-01"),
        ("t2", "a1", "2025-02-01"),
        ("t3", "a1", "2025-02-01"),
        ("t4", "a2", "2025-02-01"),
    )
    rows = [
        obs("t1", "spotify_popularity", "2025-01-20", 80),
        obs("t2", "spotify_popularity", "2025-03-01", 40),
        obs("t3", "spotify_popularity", "2025-03-01", 75),
        obs("t4", "spotify_popularity", "2025-03-01", 10),
        obs("a1", "spotify_popularity", "2025-03-01", 55, "artist"),
        obs("a2", "spotify_popularity", "2025-03-01", 30, "artist"),
        obs("a1", "spotify_followers", "2025-03-01", 1000, "artist"),
    ]
    frames = ModelFrames(pd.DataFrame(rows), catalogue, links)
    out = build_features(frames, ["2025-03-01"], hit_metric="spotify_popularity", hit_threshold=70)
    out = out.set_index("track_id")
    assert set(out.index) == {"t2", "t3", "t4"}  # t1 not observed within the last week
    assert out.loc["t2", "artist_prior_releases"] == 1 and out.loc["t2", "artist_prior_hits"] == 1
    assert out.loc["t3", "artist_prior_hits"] == 1  # t2, released the same day, is not "earlier"
    assert out.loc["t4", "artist_prior_releases"] == 0 and np.isnan(out.loc["t4", "artist_prior_hit_rate"])
    assert np.isnan(out.loc["t4", "artist_spotify_followers"])  # missing, not zero
    assert out.loc["t2", "artist_spotify_followers"] == pytest.approx(np.log1p(1000))
    assert np.isnan(out.loc["t2", "track_spotify_popularity_7d"])  # no value a week earlier
    assert out.loc["t2", "days_since_release"] == 28


def test_snapshot_mode_drops_metrics_measured_at_the_snapshot() -> None:
    catalogue, links = tracks(("t1", "a1", "2019-01-01"), ("t2", "a1", "2019-06-01"))
    rows = [
        obs("t1", "spotify_popularity", "2020-01-01", 80),
        obs("t2", "spotify_popularity", "2020-01-01", 20),
        obs("a1", "spotify_popularity", "2020-01-01", 90, "artist"),
    ]
    out = build_features(
        ModelFrames(pd.DataFrame(rows), catalogue, links), ["2020-01-01"], hit_metric="spotify_popularity",
        hit_threshold=70, mode="snapshot",
    ).set_index("track_id")  # fmt: skip
    assert not [c for c in out.columns if c.startswith(("track_spotify", "artist_spotify"))]
    assert out.loc["t2", "artist_prior_hits"] == 1 and out.loc["t1", "artist_prior_releases"] == 0
