"""Similar tracks of the discover stage: reused, extended or rebuilt (each audio track's k nearest in sound).

Neighbours are measured in a *space*: the sound features in z-scores of some (mean, spread) per feature. A
rebuild measures in today's (the tracks' own standardisation, `model.sound.standardise`) and finds the
neighbours with `model.sound.nearest_tracks`. A daily run adds a few hundred tracks to hundreds of thousands,
so rather than rebuild (about a minute at 1M tracks), it *extends* the newest publication's graph in that
graph's space (`model.similar_graph.extend_neighbours`: a new track's neighbours by brute force, and a new
track enters an old track's list when closer than its k-th), when all of these hold:

* every track of that graph is still here, with the same sound (its neighbours key, recomputed from today's
  features in its space, is the one it was published under);
* its space is within `DRIFT` of today's standardisation (each feature's spread and mean, relative to the
  spread): the graph's lists are the neighbours in a space that weighs the features within 0.2% of today's
  (measured on the demo at 30k tracks: 99.6% of the 10 nearest in today's space, the HNSW graph itself finds
  99.3-99.6%; a month of the demo's growth drifts ~0.1%);
* at most `MAX_NEW_SHARE` of the tracks are new (the brute force costs new x all).

Otherwise it rebuilds. A run whose tracks and sound equal a kept publication's (its key, in today's space or the
newest graph's) reuses that publication's rows (`jobs.similar_tracks`). The summary's `similar` says which
(`built`: reused / extended / rebuilt, `reason` when rebuilt though a graph was there) and holds the space, so
the next run can extend.

    pytest tests/test_discover_similar.py tests/test_similar_graph.py tests/test_discover_reuse.py
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jobs.discover_extract import SimilarBase
from model.similar_graph import extend_neighbours
from model.sound import in_space, nearest_tracks, neighbours_key, space_of

logger = logging.getLogger(__name__)
SIMILAR_COLUMNS = ["track_id", "rank", "similar_track_id", "distance"]
DRIFT = 0.002
MAX_NEW_SHARE = 0.02


@dataclass
class Similar:
    """Each track's k neighbours as (tracks x k) matrices, row i the i-th track, nearest first: `index` their
    rows (int32), `distance` rounded to 4 places (float32, as published); both 0 columns when reused (the
    publish copies `reused_from`'s rows). No long frame of string ids: at 1M tracks that was 7.75M rows."""

    index: np.ndarray
    distance: np.ndarray
    summary: dict[str, Any]  # the discover summary's `similar`
    reused_from: int | None

    def frame(self, ids: np.ndarray) -> pd.DataFrame:
        """The long form (SIMILAR_COLUMNS: k rows a track, in the tracks' order) for the tracks `ids`."""
        n, k = self.index.shape
        return pd.DataFrame({
            "track_id": np.repeat(ids, k), "rank": np.tile(np.arange(1, k + 1), n),
            "similar_track_id": np.asarray(ids)[self.index.ravel()], "distance": self.distance.ravel(),
        })  # fmt: skip


Space = tuple[np.ndarray, np.ndarray]


def similar_tracks(
    ids: np.ndarray,
    raw: np.ndarray,
    neighbours: int,
    *,
    reusable: Mapping[str, int] | None = None,
    base: Callable[[], SimilarBase | None] | None = None,
    space: Space | None = None,
) -> Similar:
    """The similar tracks of the audio tracks `ids` with sound features `raw` (n x features, as the stage
    standardises them): reused, extended from `base()` (the newest publication's graph), or rebuilt.
    `space` is `space_of(raw)` when the caller has it (the stage's micro-genres do). The features in today's
    space are not held while a graph is extended (at 1M tracks 53 MB, beside the extension's own arrays): they
    are computed again for a rebuild, whose search costs a minute."""
    today = space if space is not None else space_of(raw)
    reusable = reusable or {}
    key = neighbours_key(ids, in_space(raw, *today), neighbours)
    if key in reusable:
        return _reused(key, today, reusable[key], len(ids), neighbours)
    found = base() if base is not None else None
    stored = _stored_space(found)
    if stored is not None:  # identical to a kept publication in the newest graph's space
        stored_key = neighbours_key(ids, in_space(raw, *stored), neighbours)
        if stored_key in reusable:
            return _reused(stored_key, stored, reusable[stored_key], len(ids), neighbours)
    reason = "no graph to extend" if found is None else None
    if found is not None:
        extended = _extended(ids, raw, neighbours, today, found, stored)
        if isinstance(extended, Similar):
            return extended
        reason = extended
    index, distance = nearest_tracks(in_space(raw, *today), neighbours)
    summary = _summary(key, today, len(ids), index.shape[1], built="rebuilt", reason=reason)
    logger.info("similar tracks rebuilt for %d tracks (%s)", len(ids), reason)
    return _found(index, distance, summary)


def _extended(
    ids: np.ndarray, raw: np.ndarray, neighbours: int, today: Space, found: SimilarBase, space: Space | None
) -> Similar | str:
    """The base graph extended by today's new tracks, or why it cannot be (`space`: the graph's, if it stored one)."""
    graph = found.graph()
    if graph is None:
        return f"publication {found.publication_id}'s lists are not {neighbours} a track"
    base_ids, base_index = graph
    del graph  # the ids go once they are matched and checked (below): not held through the extension
    rows = pd.Index(ids).get_indexer(base_ids)
    if (rows < 0).any():
        return f"tracks of publication {found.publication_id} are gone"
    added = len(ids) - len(base_ids)
    if added > MAX_NEW_SHARE * len(ids):
        return f"{added} new tracks of {len(ids)}"
    if space is None:  # published before spaces were: its tracks' own standardisation (column-major, as then)
        space = space_of(np.asfortranarray(raw[rows]))
    if neighbours_key(base_ids, in_space(raw[rows], *space), neighbours) != found.similar.get("key"):
        return f"the sound of publication {found.publication_id}'s tracks changed"
    del base_ids
    drift = _drift(space, today)
    if drift > DRIFT:
        return f"the sound space moved {drift:.2%} from publication {found.publication_id}'s"
    z = in_space(raw, *space)
    try:
        index, distance = extend_neighbours(z, rows, base_index, neighbours)
    except ValueError as error:  # GraphTooChanged, or too few tracks for k
        return str(error)
    summary = _summary(neighbours_key(ids, z, neighbours), space, len(ids), neighbours, built="extended",
                       extended_from=found.publication_id, added=added, drift=round(drift, 6))  # fmt: skip
    logger.info("similar tracks: publication %d's graph extended by %d tracks", found.publication_id, added)
    return _found(index, distance, summary)


def _drift(space: Space, today: Space) -> float:
    """How far `space` is from today's: the largest relative change of a spread or shift of a mean (in spreads)."""
    (mean, spread), (now_mean, now_spread) = space, today
    unit = np.where(spread > 0, spread, 1.0)
    return float(max(np.max(np.abs(now_spread - spread) / unit), np.max(np.abs(now_mean - mean) / unit)))


def _stored_space(found: SimilarBase | None) -> Space | None:
    space = (found.similar.get("space") if found is not None else None) or None
    return (np.array(space["mean"], dtype=float), np.array(space["spread"], dtype=float)) if space else None


def _summary(key: str, space: Space, n: int, k: int, **built: Any) -> dict[str, Any]:
    return {
        "key": key, "rows": n * k, "reused_from": built.pop("reused_from", None),
        "space": {"mean": [float(v) for v in space[0]], "spread": [float(v) for v in space[1]]}, **built,
    }  # fmt: skip


def _reused(key: str, space: Space, publication: int, n: int, neighbours: int) -> Similar:
    summary = _summary(key, space, n, min(neighbours, n - 1), built="reused", reused_from=publication)
    return Similar(np.zeros((n, 0), dtype=np.int32), np.zeros((n, 0), dtype=np.float32), summary, publication)


def _found(index: np.ndarray, distance: np.ndarray, summary: dict[str, Any]) -> Similar:
    """The computed lists, narrowed as published: int32 rows, distances rounded to 4 places then float32."""
    rounded = np.round(distance, 4, out=distance if distance.flags.writeable else None)  # in place: 59 MB at 1M
    return Similar(index.astype(np.int32, copy=False), rounded.astype(np.float32), summary, None)
