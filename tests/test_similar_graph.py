"""Extending a nearest-neighbour graph by new points (`model.similar_graph`): exact against brute force.

python -m pytest tests/test_similar_graph.py -q
"""

from __future__ import annotations

import numpy as np
import pytest

from model import similar_graph
from model.similar_graph import GraphTooChanged, extend_neighbours
from model.sound import nearest_tracks


def _extended(z: np.ndarray, new: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    base_rows = np.setdiff1d(np.arange(len(z)), new)
    base_index, _ = nearest_tracks(z[base_rows], k)  # exact: brute force
    return extend_neighbours(z, base_rows, base_index, k)


@pytest.mark.parametrize("n_new", [0, 1, 37, 400])
def test_an_extended_graph_equals_the_brute_force_one(n_new: int) -> None:
    rng = np.random.default_rng(n_new)
    z = rng.normal(size=(3_000, 9))
    z[:50] *= 0.01  # a dense core: new points there enter many old lists
    new = np.sort(rng.choice(len(z), size=n_new, replace=False))
    index, distance = _extended(z, new, 10)
    exact_index, exact_distance = nearest_tracks(z, 10)
    assert (index == exact_index).all()
    np.testing.assert_allclose(distance, exact_distance, rtol=1e-9, atol=1e-12)


def test_the_block_sizes_do_not_change_the_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    """Old rows are re-measured and re-sorted `PAIR_BLOCK` rows at a time, and the new x all distances taken
    `BLOCK_CELLS` at a time (for memory): any block sizes, the last block short, give the same arrays bit for bit."""
    rng = np.random.default_rng(5)
    z = rng.normal(size=(2_000, 9))
    new = np.sort(rng.choice(len(z), size=30, replace=False))
    whole = _extended(z, new, 10)
    monkeypatch.setattr(similar_graph, "PAIR_BLOCK", 97)
    monkeypatch.setattr(similar_graph, "MIN_BLOCK", 1)
    monkeypatch.setattr(similar_graph, "BLOCK_CELLS", 30 * 53)  # 53 rows of `z` a block, the first one too
    blocked = _extended(z, new, 10)
    np.testing.assert_array_equal(blocked[0], whole[0])
    np.testing.assert_array_equal(blocked[1], whole[1])


def test_a_new_point_next_to_old_ones_enters_their_lists() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal(size=(500, 9))
    z = np.vstack([z, z[7] + 1e-6])  # a new point all but on top of old point 7
    index, distance = _extended(z, np.array([500]), 5)
    assert index[7, 0] == 500 and distance[7, 0] < 1e-5  # 7's nearest is now the new point
    assert index[500, 0] == 7
    assert (index == nearest_tracks(z, 5)[0]).all()


def test_a_base_graph_of_other_points_is_refused() -> None:
    rng = np.random.default_rng(2)
    z = rng.normal(size=(2_000, 9))
    base_rows = np.arange(1_990)
    far = rng.integers(0, len(base_rows), size=(len(base_rows), 10))  # random lists: every k-th is far
    with pytest.raises(GraphTooChanged):
        extend_neighbours(z, base_rows, far, 10)
