"""Extend a k-nearest-neighbour graph by new points, exactly (pure: arrays in, arrays out).

A daily run adds a few hundred tracks to a catalogue of 775k; rebuilding their graph (`model.sound.
nearest_tracks`, an HNSW index: about a minute at 1M) for them is most of the discover stage. Given each old
point's k nearest among the old points (the base graph), the k nearest among old and new points are:

* for a new point: its k nearest among all points, by brute force (new x all distances);
* for an old point: the k nearest of its old list and the new points closer than its k-th. The same pass over
  the distances gives them: a new point enters an old point's list only if it is closer than that list's k-th.

The pass is in float32 blocks (BLAS), its candidates widened by `SLACK` and re-measured in float64. So the
result is exact relative to the base: exact where the base is (brute force up to 20k points; the tests check it
against brute force), and as good as the base's HNSW graph above. It costs new x all distances: 46 new tracks
among 77,749 took 1.6 s in a stage profile on the loaded machine (load 13), the rebuild 13.3 s (load 6).

    index, distance = extend_neighbours(z, base_rows, base_index, k)

    pytest tests/test_similar_graph.py
"""

from __future__ import annotations

import numpy as np

SLACK = 1e-3  # relative and absolute widening of a k-th distance when picking float32 candidates
# Cells (new x rows) of the new x all distances at a time: 8 MB of float32 a temporary, the block's rows at least
# `MIN_BLOCK`. A fixed 32,768 rows held ~400 MB for 460 new tracks (the first block's candidates are every column,
# as int64 and argsorted), the stage's peak at 10x the 100k world.
BLOCK_CELLS = 2**21
MIN_BLOCK = 1_024
# A new point is among the k nearest of about k old points (as many lists gain a point as the new lists have
# entries); far more entries than that means the base graph is not of these points' neighbourhoods.
MAX_ENTRANTS = 64
# Rows re-measured and re-sorted at a time: a block's temporaries are block x k x features float64 (two of 5.9 MB
# at k=10 and 9 features), where one pass over every old row held about five n x k copies (~300 MB at 1M).
PAIR_BLOCK = 8_192


class GraphTooChanged(ValueError):
    """The base graph is no base for these points: rebuild it."""


def pair_distances(z: np.ndarray, rows: np.ndarray, index: np.ndarray, *, block: int = PAIR_BLOCK) -> np.ndarray:
    """Euclidean distance of each `rows[i]` to each of `index[i]` (n x k), in blocks of rows."""
    out = np.empty(index.shape, dtype=np.float64)
    for start in range(0, len(rows), block):
        part = slice(start, start + block)
        out[part] = np.linalg.norm(z[index[part]] - z[rows[part], None, :], axis=2)
    return out


def _sorted(index: np.ndarray, distance: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k smallest distances, nearest first (stable: ties keep their order)."""
    order = np.argsort(distance, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(index, order, axis=1), np.take_along_axis(distance, order, axis=1)


def extend_neighbours(
    z: np.ndarray, base_rows: np.ndarray, base_index: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(index n x k int32, distance n x k) of each row of `z`'s k nearest other rows, nearest first.

    `base_rows` are the rows of `z` the base graph is over (distinct), `base_index[i]` the k nearest of
    `base_rows[i]` among them, as positions in `base_rows`; every other row is new. Old rows keep their base
    neighbours (re-measured and re-sorted in `z`) unless new rows come closer than the k-th."""
    n = len(z)
    if base_index.shape != (len(base_rows), k) or k <= 0 or k >= n:
        raise ValueError(f"base graph {base_index.shape} is not {len(base_rows)} x k={k} for {n} points")
    z = np.ascontiguousarray(z, dtype=np.float64)
    index = np.full((n, k), -1, dtype=np.int32)  # what is published (int4[k]); n < 2**31
    distance = np.full((n, k), np.inf)
    for start in range(0, len(base_rows), PAIR_BLOCK):  # old rows: their base lists re-measured and re-sorted
        rows, lists = base_rows[start : start + PAIR_BLOCK], base_rows[base_index[start : start + PAIR_BLOCK]]
        index[rows], distance[rows] = _sorted(lists, pair_distances(z, rows, lists), k)
    is_new = np.ones(n, dtype=bool)
    is_new[base_rows] = False
    new = np.flatnonzero(is_new)
    if not len(new):
        return index, distance
    old_kth = np.where(is_new, -1.0, distance[:, -1])  # an old row's k-th: a new row closer enters its list
    found, owner, entrant = _candidates(z, new, old_kth, min(n - 1, 2 * k))
    gaps = np.where(found == new[:, None], np.inf, pair_distances(z, new, found))
    index[new], distance[new] = _sorted(found, gaps, k)
    gap = np.linalg.norm(z[owner] - z[entrant], axis=1)
    keep = gap < old_kth[owner]
    if keep.sum() > MAX_ENTRANTS * k * len(new):
        raise GraphTooChanged(f"new points enter {keep.sum():,} old lists: rebuild the graph instead")
    if keep.any():
        _merge(index, distance, owner[keep], entrant[keep], gap[keep], k)
    return index, distance


def _candidates(
    z: np.ndarray, new: np.ndarray, old_kth: np.ndarray, wanted: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One pass over the new x all distances (float32 |a|^2 - 2ab + |b|^2, `BLOCK_CELLS` at a time; the caller
    re-measures in float64): each new row's `wanted` + 1 nearest rows (itself usually among them), and the
    (old row, new row) pairs closer than the old row's k-th `old_kth` (widened by `SLACK` for the rounding)."""
    flat = np.ascontiguousarray(z, dtype=np.float32)
    queries = flat[new]
    query_squares = np.einsum("ij,ij->i", queries, queries)
    reach = np.where(old_kth < 0, -1.0, (old_kth * (1 + SLACK) + SLACK) ** 2).astype(np.float32)
    width = wanted + 1
    best_index = np.zeros((len(new), 0), dtype=np.int64)
    best_squared = np.zeros((len(new), 0), dtype=np.float32)
    owners, entrants = [], []
    step = max(MIN_BLOCK, BLOCK_CELLS // max(1, len(new)))  # rows of `z` a block
    for first in range(0, len(z), step):
        block = flat[first : first + step]
        squared = query_squares[:, None] - 2.0 * (queries @ block.T) + np.einsum("ij,ij->i", block, block)[None, :]
        hit_new, hit_old = np.nonzero(squared <= reach[None, first : first + step])
        owners.append(hit_old + first)
        entrants.append(new[hit_new])
        if best_index.shape[1] < width:  # the first blocks: every column a candidate
            best_index = np.hstack([best_index, np.broadcast_to(np.arange(first, first + len(block)), squared.shape)])
            best_squared = np.hstack([best_squared, squared])
            best_index, best_squared = _sorted(best_index, best_squared, width)
            continue
        rows, columns = np.nonzero(squared < best_squared[:, -1:])  # closer than a row's `width`-th so far
        if not len(rows):
            continue
        which, start, counts = np.unique(rows, return_index=True, return_counts=True)
        rank = np.arange(len(rows)) - np.repeat(start, counts)
        slot = np.repeat(np.arange(len(which)), counts)
        extra_index = np.full((len(which), counts.max()), -1, dtype=np.int64)
        extra_squared = np.full((len(which), counts.max()), np.inf, dtype=np.float32)
        extra_index[slot, rank] = columns + first
        extra_squared[slot, rank] = squared[rows, columns]
        best_index[which], best_squared[which] = _sorted(
            np.hstack([best_index[which], extra_index]), np.hstack([best_squared[which], extra_squared]), width
        )
    return best_index, np.concatenate(owners), np.concatenate(entrants)


def _merge(
    index: np.ndarray, distance: np.ndarray, owner: np.ndarray, entrant: np.ndarray, gap: np.ndarray, k: int
) -> None:
    """Merge each old row's entrants (new rows closer than its k-th) into its list, in place."""
    order = np.lexsort((gap, owner))
    owner, entrant, gap = owner[order], entrant[order], gap[order]
    rows, first, counts = np.unique(owner, return_index=True, return_counts=True)
    rank = np.arange(len(owner)) - np.repeat(first, counts)
    keep = rank < k  # at most k entrants a row can matter
    slot = np.searchsorted(rows, owner[keep])
    extra_index = np.full((len(rows), k), -1, dtype=np.int64)
    extra_distance = np.full((len(rows), k), np.inf)
    extra_index[slot, rank[keep]] = entrant[keep]
    extra_distance[slot, rank[keep]] = gap[keep]
    merged_index = np.hstack([index[rows], extra_index])
    merged_distance = np.hstack([distance[rows], extra_distance])
    index[rows], distance[rows] = _sorted(merged_index, merged_distance, k)
