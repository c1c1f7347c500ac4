"""Similar tracks reused, extended or rebuilt (`jobs.discover_similar`), on in-memory graphs.

python -m pytest tests/test_discover_similar.py -q
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from jobs.discover_extract import SimilarBase
from jobs.discover_similar import Similar, similar_tracks
from jobs.discover_sound import discover_sound
from model.sound import SOUND_FEATURES, in_space, nearest_tracks, space_of, standardise

K = 10


def _catalogue(n: int = 10_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = np.array([f"t{i:05d}" for i in range(n)], dtype=object)
    raw = rng.normal(loc=[0.5, 120.0, -7.0], scale=[0.2, 25.0, 3.0], size=(n, 3))
    return ids, np.asfortranarray(raw)


def _base(publication: int, ids: np.ndarray, result: Similar, *, space: bool = True) -> SimilarBase:
    """A publication holding `result` (what read_similar_base would give back)."""
    lists = result.index.astype(np.int64)
    summary: dict[str, Any] = dict(result.summary)
    if not space:  # published before the summary held its space
        summary.pop("space")
    return SimilarBase(publication, summary, lambda: (ids, lists))


def _lists(result: Similar, ids: np.ndarray) -> np.ndarray:
    return ids[result.index]


def test_new_tracks_extend_yesterdays_graph_exactly_in_its_space() -> None:
    ids, raw = _catalogue()
    yesterday = similar_tracks(ids[:9_980], raw[:9_980], K)
    assert yesterday.summary["built"] == "rebuilt"
    today = similar_tracks(ids, raw, K, base=lambda: _base(1, ids[:9_980], yesterday))
    assert today.summary["built"] == "extended" and today.summary["added"] == 20
    assert today.summary["extended_from"] == 1 and today.reused_from is None
    # Exactly the neighbours in yesterday's space (its mean and spread), new tracks and old alike.
    space = space_of(raw[:9_980])
    exact, _ = nearest_tracks(in_space(raw, *space), K)
    assert (_lists(today, ids) == ids[exact]).all()
    assert today.summary["space"]["spread"] == [float(v) for v in space[1]]
    # A day later, extended again from today's (its stored space, not its tracks' own standardisation).
    more_ids, more_raw = _catalogue(10_015)
    after = similar_tracks(more_ids, more_raw, K, base=lambda: _base(2, ids, today))
    assert after.summary["built"] == "extended" and after.summary["added"] == 15
    assert (_lists(after, more_ids) == more_ids[nearest_tracks(in_space(more_raw, *space), K)[0]]).all()


def test_a_graph_published_without_its_space_is_extended_in_its_tracks_standardisation() -> None:
    ids, raw = _catalogue()
    yesterday = similar_tracks(ids[:9_990], raw[:9_990], K)
    today = similar_tracks(ids, raw, K, base=lambda: _base(1, ids[:9_990], yesterday, space=False))
    assert today.summary["built"] == "extended"


def test_unchanged_tracks_reuse_the_publication_in_the_graphs_space() -> None:
    ids, raw = _catalogue()
    yesterday = similar_tracks(ids[:9_990], raw[:9_990], K)
    today = similar_tracks(ids, raw, K, base=lambda: _base(1, ids[:9_990], yesterday))
    again = similar_tracks(
        ids, raw, K, reusable={today.summary["key"]: 2}, base=lambda: _base(2, ids, today)
    )  # the next day's run, same tracks: yesterday's space is not today's standardisation, yet it is reused
    assert again.reused_from == 2 and not again.index.size and again.summary["built"] == "reused"


def test_changed_sound_moved_space_or_too_many_new_tracks_rebuild() -> None:
    ids, raw = _catalogue()
    yesterday = similar_tracks(ids[:9_980], raw[:9_980], K)
    changed = raw.copy(order="F")
    changed[3, 0] += 0.01  # one old track's sound
    rebuilt = similar_tracks(ids, changed, K, base=lambda: _base(1, ids[:9_980], yesterday))
    assert rebuilt.summary["built"] == "rebuilt" and "sound" in rebuilt.summary["reason"]
    assert (_lists(rebuilt, ids) == ids[nearest_tracks(in_space(changed, *space_of(changed)), K)[0]]).all()
    moved = np.asfortranarray(np.vstack([raw[:9_980], raw[9_980:] * 3.0]))  # new tracks widen the spreads
    assert (
        "space moved" in similar_tracks(ids, moved, K, base=lambda: _base(1, ids[:9_980], yesterday)).summary["reason"]
    )
    small = similar_tracks(ids[:9_000], raw[:9_000], K)
    assert "new tracks" in similar_tracks(ids, raw, K, base=lambda: _base(1, ids[:9_000], small)).summary["reason"]
    gone = similar_tracks(ids[1:], raw[1:], K, base=lambda: _base(1, ids[:9_980], yesterday))
    assert "gone" in gone.summary["reason"]


def test_the_stage_hands_its_standardisation_over_and_gets_the_same_lists() -> None:
    """`discover_sound` standardises the sound once and hands (space, z-scores) to `similar_tracks`: the lists
    and key are those of the tracks' own standardisation, as when `similar_tracks` computed it itself."""
    rng = np.random.default_rng(7)
    n = 300
    tracks = pd.DataFrame({
        "track_id": [f"t{i:03d}" for i in range(n)], "name": "x", "artist_id": "a", "artist_name": "A",
        "genre": rng.choice(["pop", "rock"], n), "release_date": pd.Timestamp("2020-01-01").date(),
        "duration_ms": 200_000.0, "has_audio": True, "popularity": rng.uniform(0, 100, n),
        **{feature: rng.normal(size=n) * (i + 1) + i for i, feature in enumerate(SOUND_FEATURES)},
    })  # fmt: skip
    tracks.loc[5, "energy"] = np.nan  # a missing feature: the column mean
    sound = discover_sound(tracks, hit_metric="spotify_popularity", hit_threshold=70.0, k_range=(2, 4), neighbours=K)
    raw = tracks[SOUND_FEATURES].to_numpy(dtype=float)
    alone = similar_tracks(tracks["track_id"].to_numpy(), raw, K)
    assert sound.similar is not None and sound.summary["similar"] == alone.summary
    np.testing.assert_array_equal(sound.similar.index, alone.index)
    np.testing.assert_array_equal(sound.similar.index, nearest_tracks(standardise(raw), K)[0])
    np.testing.assert_array_equal(sound.similar.distance, alone.distance)
