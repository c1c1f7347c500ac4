"""The demo market's similar-artist network (`jobs.sources.demo_network`), built in blocks, against the whole
distance matrix it used to sort (the same neighbours in the same order and the same distances, ties included),
so the 1M-track demo world fits in memory without changing a single value of the smaller ones.

    python -m pytest tests/test_demo_network.py -q
"""

from __future__ import annotations

import numpy as np
import pytest

from jobs.sources import demo_network


def _whole_matrix(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    diff = points[:, None, :] - points[None, :, :]
    distance = np.sqrt((diff**2).sum(axis=2))
    np.fill_diagonal(distance, np.inf)
    nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
    return nearest, np.take_along_axis(distance, nearest, axis=1)


@pytest.mark.parametrize("n", [2, 7, 3000])  # 3000: three blocks
def test_blocks_give_the_whole_matrix_neighbours(n: int) -> None:
    points = np.random.default_rng(n).normal(0, 1, (n, 2))
    points[n // 2] = points[0]  # an exact tie: both at distance 0 of each other, and equally far from the rest
    k = min(demo_network.SIMILAR_PER_ARTIST, n - 1)
    expected = _whole_matrix(points, k)
    got = demo_network._nearest(points, k)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


def test_many_equal_points_are_ordered_by_position_as_the_whole_sort_did() -> None:
    points = np.random.default_rng(9).normal(0, 1, (400, 2))
    points[10:60] = points[5]  # 51 equal points: more than the tree's candidates, so they are done by brute force
    k = demo_network.SIMILAR_PER_ARTIST
    got, expected = demo_network._nearest(points, k), _whole_matrix(points, k)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


def test_the_network_of_a_market_is_unchanged() -> None:
    genre = np.random.default_rng(1).integers(0, 3, 900)
    ids = np.array([f"a{i}" for i in range(900)])
    frame = demo_network.similar_artists(42, genre, ids)
    points = demo_network.style_points(42, genre)
    for g in range(3):
        members = np.flatnonzero(genre == g)
        nearest, distance = _whole_matrix(points[members], demo_network.SIMILAR_PER_ARTIST)
        part = frame[frame["artist_id"].isin(ids[members])]
        assert part["similar_artist_id"].tolist() == ids[members[nearest.ravel()]].tolist()
        assert part["match"].tolist() == np.round(np.exp(-distance.ravel()), 4).tolist()


def test_featured_artists_are_the_ones_the_per_owner_masks_gave() -> None:
    genre = np.random.default_rng(2).integers(0, 4, 500)
    ids = np.array([f"demo:a{i:06d}" for i in range(500)])
    similar = demo_network.similar_artists(42, genre, ids)
    track_artist = np.random.default_rng(3).integers(0, 500, 4000)
    numbers = similar["similar_artist_id"].str.slice(6).astype(int).to_numpy()
    owners = similar["artist_id"].str.slice(6).astype(int).to_numpy()
    by_artist = {int(owner): numbers[owners == owner][:10] for owner in np.unique(owners)}  # as it was built
    rng = np.random.default_rng([42, 21])
    m = track_artist.size
    has_guest = rng.random(m) < demo_network.FEATURE_SHARE
    from_segment = rng.random(m) < demo_network.FEATURE_FROM_SEGMENT
    anyone, pick = rng.integers(0, 500, m), rng.integers(0, 10, m)
    expected = np.full(m, -1)
    for t in np.flatnonzero(has_guest):
        near = by_artist.get(int(track_artist[t]))
        if from_segment[t] and near is not None and near.size:
            expected[t] = near[pick[t] % near.size]
        elif anyone[t] != track_artist[t]:
            expected[t] = anyone[t]
    got = demo_network.featured_artists(42, track_artist, similar, 500)
    assert (got >= 0).sum() > 100
    np.testing.assert_array_equal(got, expected)
