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


def test_each_track_keeps_its_own_facts_whatever_the_catalogue_order() -> None:
    """The features follow each track by its row in the catalogue (no merges): shuffling the catalogue, the
    credits and the audio rows changes no track's prior success, release facts or audio; a track without a
    main artist or without a release date has no prior success, and a track without audio has NaN there."""
    catalogue, links = tracks(
        ("t1", "a1", "2025-01-01"), ("t2", "a1", "2025-02-01"), ("t3", "a2", "2025-01-15"),
        ("t4", "a2", "2025-02-10"), ("t5", "a1", "2025-02-20"), ("t6", "a3", "2025-02-05"),
    )  # fmt: skip
    catalogue.loc[catalogue["track_id"] == "t6", "release_date"] = None  # undated
    links = links[links["track_id"] != "t5"]  # no credit: no main artist
    catalogue["duration_ms"] = [180_000 + 1_000 * i for i in range(len(catalogue))]
    audio = pd.DataFrame({"track_id": ["t1", "t2", "t4", "t5", "t6"], "energy": [0.1, 0.2, 0.4, 0.5, 0.6]})
    rows = [obs(f"t{i}", "spotify_popularity", day, 90 - 10 * i)
            for i in range(1, 7) for day in ("2025-02-25", "2025-03-01")]  # fmt: skip
    rows += [obs("a1", "spotify_popularity", "2025-03-01", 50, "artist")]

    def features(order: np.ndarray) -> pd.DataFrame:
        frames = ModelFrames(pd.DataFrame(rows), catalogue.iloc[order].reset_index(drop=True),
                             links.iloc[order[order < len(links)]], audio_features=audio.iloc[::-1])  # fmt: skip
        out = build_features(frames, ["2025-03-01"], hit_metric="spotify_popularity", hit_threshold=70)
        return out.sort_values("track_id").set_index("track_id")

    straight = features(np.arange(len(catalogue)))
    assert straight.loc["t2", "artist_prior_releases"] == 1 and straight.loc["t2", "artist_prior_hits"] == 1
    assert straight.loc["t4", "artist_prior_releases"] == 1 and straight.loc["t4", "artist_prior_hits"] == 0
    assert straight.loc["t4", "artist_prior_peak_mean"] == 60  # t3's peak
    assert straight[["artist_prior_releases", "artist_prior_hit_rate"]].loc[["t5", "t6"]].isna().all().all()
    assert straight.loc["t5", "duration_ms"] == 184_000 and straight.loc["t4", "release_month"] == 2
    assert straight.loc["t4", "energy"] == 0.4 and np.isnan(straight.loc["t3", "energy"])
    shuffled = features(np.random.default_rng(1).permutation(len(catalogue)))
    pd.testing.assert_frame_equal(shuffled, straight)
    frames = ModelFrames(pd.DataFrame(rows), catalogue, links, audio_features=audio)
    early = build_features(frames, ["2024-12-01"], hit_metric="spotify_popularity", hit_threshold=70, mode="snapshot")
    assert list(early["track_id"]) == ["t6"] and early["artist_prior_releases"].isna().all()  # nothing released yet
