"""Market segments and collaboration ideas on an artist graph (pure: frames in, frames out).

A segment is the seed artist's similar artists and their similar artists in turn, `hops` deep, taking at most
`per_hop` of each artist's similar artists (the strongest first). Closeness is the similarity along the path
(the product of the matches), so a second-hop artist is never closer than the first-hop artist that led to it.
Where no similar-artist lists exist, `sound_graph` links each artist to its nearest artists by mean sound and
genre, so every source with audio features still has segments.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.neighbors import NearestNeighbors

SEGMENT_COLUMNS = ["artist_id", "hop", "closeness"]
IDEA_COLUMNS = ["artist_id", "via_artist_id", "closeness", "popularity", "score"]


def adjacency(graph: pd.DataFrame, per_hop: int) -> dict[str, list[tuple[str, float]]]:
    """artist -> its `per_hop` strongest (similar_artist_id, match), from (artist_id, similar_artist_id, match)."""
    ordered = graph.dropna(subset=["similar_artist_id"]).sort_values(
        ["artist_id", "match", "similar_artist_id"], ascending=[True, False, True]
    )
    top = ordered.groupby("artist_id", sort=False).head(per_hop)
    artists = list(map(str, top["artist_id"].to_numpy(dtype=object)))
    similar = map(str, top["similar_artist_id"].to_numpy(dtype=object))
    pairs = list(zip(similar, top["match"].astype(float).tolist(), strict=True))
    return _grouped(artists, pairs)


def reachable_adjacency(
    lists: Callable[[list[str]], pd.DataFrame], seeds: list[str], *, hops: int, per_hop: int
) -> dict[str, list[tuple[str, float]]]:
    """`adjacency` for just the artists a `market_segment` of `seeds` reads: the seeds and whatever they reach
    in fewer than `hops` hops (each artist's entry equals the whole graph's). `lists(artists)` gives those
    artists' rows of the graph (artist_id, similar_artist_id, match), so at 30 seeds and 2 hops a few hundred
    of the catalogue's lists are read and built, not all of them."""
    links: dict[str, list[tuple[str, float]]] = {}
    wanted = set(seeds)
    for _ in range(hops):
        found = adjacency(lists(sorted(wanted)), per_hop)
        links.update(found)
        wanted = {similar for pairs in found.values() for similar, _ in pairs[:per_hop]} - links.keys() - wanted
        if not wanted:
            break
    return links


def _grouped(keys: list[str], values: list[Any]) -> dict[str, list[Any]]:
    """key -> its values in order, from equal-length lists whose equal keys are adjacent (plain lists, no
    per-row pandas: iterating an Arrow string column costs microseconds an element)."""
    grouped: dict[str, list[Any]] = {}
    start = 0
    for end in range(1, len(keys) + 1):
        if end == len(keys) or keys[end] != keys[start]:
            grouped.setdefault(keys[start], []).extend(values[start:end])
            start = end
    return grouped


def market_segment(
    links: Mapping[str, list[tuple[str, float]]], seed: str, *, hops: int = 2, per_hop: int = 20
) -> pd.DataFrame:
    """The seed's segment: (artist_id, hop, closeness), nearest hop first, then closest first. The seed is not in it."""
    reached: dict[str, tuple[int, float]] = {}
    frontier = {seed: 1.0}
    for hop in range(1, hops + 1):
        found: dict[str, float] = {}
        for artist, closeness in frontier.items():
            for similar, match in links.get(artist, [])[:per_hop]:
                if similar == seed or similar in reached:
                    continue
                found[similar] = max(found.get(similar, 0.0), closeness * max(match, 0.0))
        reached.update({artist: (hop, closeness) for artist, closeness in found.items()})
        frontier = found
    frame = pd.DataFrame(
        [(artist, hop, closeness) for artist, (hop, closeness) in reached.items()], columns=SEGMENT_COLUMNS
    )
    return frame.sort_values(["hop", "closeness", "artist_id"], ascending=[True, False, True]).reset_index(drop=True)


def sound_graph(profiles: pd.DataFrame, genres: pd.Series, *, per_hop: int = 20) -> pd.DataFrame:
    """Similar artists from sound: each artist's nearest artists by standardised mean audio features plus genre
    (one genre apart counts as much as two standard deviations); match = 1 / (1 + distance)."""
    if len(profiles) < 2:
        return pd.DataFrame(columns=["artist_id", "similar_artist_id", "match"])
    values = profiles.to_numpy(dtype=float)
    spread = values.std(axis=0)
    z = (values - values.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    onehot = pd.get_dummies(genres.reindex(profiles.index).fillna("unknown")).to_numpy(dtype=float) * np.sqrt(2)
    points = np.nan_to_num(np.hstack([z, onehot]))
    k = min(per_hop + 1, len(points))
    distance, index = NearestNeighbors(n_neighbors=k).fit(points).kneighbors(points)
    ids = profiles.index.to_numpy()
    frame = pd.DataFrame(
        {
            "artist_id": np.repeat(ids, k),
            "similar_artist_id": ids[index.ravel()],
            "match": 1.0 / (1.0 + distance.ravel()),
        }
    )
    return frame[frame["artist_id"] != frame["similar_artist_id"]].reset_index(drop=True)


def collaboration_ideas(
    segment: pd.DataFrame,
    partners: Mapping[str, set[str]],
    seed: str,
    popularity: Mapping[str, float],
    *,
    closest: int = 20,
    limit: int = 20,
) -> pd.DataFrame:
    """Artists who share a track with one of the `closest` segment artists but never with the seed.

    `partners` comes from `partner_map` (who shares a track with whom). Ranked by score = half closeness (of the
    segment artist they worked with, the closest one) plus half current popularity (0..100 scaled to 0..1)."""
    excluded = partners.get(seed, set()) | {seed}
    ideas: dict[str, tuple[str, float]] = {}
    for via, closeness in segment.head(closest)[["artist_id", "closeness"]].itertuples(index=False):
        for artist in partners.get(via, set()) - excluded:
            if artist not in ideas or closeness > ideas[artist][1]:
                ideas[artist] = (via, float(closeness))
    frame = pd.DataFrame(
        [(artist, via, closeness) for artist, (via, closeness) in ideas.items()],
        columns=["artist_id", "via_artist_id", "closeness"],
    )
    frame["popularity"] = frame["artist_id"].map(lambda a: popularity.get(a, np.nan)).astype(float)
    frame["score"] = 0.5 * frame["closeness"] + 0.5 * frame["popularity"].fillna(0.0) / 100.0
    frame = frame.sort_values(["score", "artist_id"], ascending=[False, True]).head(limit)
    return frame[IDEA_COLUMNS].reset_index(drop=True)


def partner_map(*credits: pd.DataFrame) -> dict[str, set[str]]:
    """artist -> the other artists credited on any of its tracks, from frames of (track_id, artist_id) rows
    (repeats count once). Paired as integer codes of the frames' columns read as one (Arrow chunks, not a
    concatenated copy): at 1M tracks the 890k text rows' concat, drop_duplicates and self-merge held ~250 MiB."""
    track, _ = _codes([frame["track_id"] for frame in credits])
    artist, distinct = _codes([frame["artist_id"] for frame in credits])
    known = (track >= 0) & (artist >= 0)
    pair = np.unique((track[known].astype(np.int64) << 32) | artist[known])  # by track, each artist once
    track, artist = pair >> 32, pair & 0xFFFFFFFF
    shared = np.bincount(track)[track] > 1 if len(track) else np.zeros(0, dtype=bool)
    rows = pd.DataFrame({"track": track[shared], "artist": artist[shared]})
    pairs = rows.merge(rows, on="track", suffixes=("", "_other"))
    pairs = pairs[pairs["artist"] != pairs["artist_other"]].sort_values("artist", kind="stable")
    names = np.asarray(distinct.to_pylist(), dtype=object)  # the artists' only: the tracks' stay codes
    grouped = _grouped(names[pairs["artist"].to_numpy()].tolist(), names[pairs["artist_other"].to_numpy()].tolist())
    return {artist: set(others) for artist, others in grouped.items()}


def _codes(columns: list[pd.Series]) -> tuple[np.ndarray, pa.Array]:
    """The values of `columns` read as one: an int64 code per value (-1 for a missing one) and the distinct
    values (`names[code]`), left in Arrow."""
    values = pa.chunked_array([pa.array(column, type=pa.string(), from_pandas=True) for column in columns],
                              type=pa.string())  # fmt: skip
    names = pc.unique(values).drop_null()
    codes = pc.fill_null(pc.index_in(values, value_set=names), -1).to_numpy().astype(np.int64)
    return codes, names


_FEAT = re.compile(r"[(\[]\s*(?:feat\.?|ft\.?|featuring|with)\s+([^)\]]+)[)\]]|\s(?:feat\.|ft\.)\s+(.+)$", re.I)
_SPLIT = re.compile(r"\s*(?:,|&|\band\b|\bx\b)\s*", re.I)


def featured_names(title: str) -> list[str]:
    """Guest names credited in a title: 'Song (feat. A & B)', 'Song [ft. A]', 'Song feat. A, B'."""
    found = _FEAT.search(title or "")
    if not found:
        return []
    names = found.group(1) or found.group(2) or ""
    return [name.strip() for name in _SPLIT.split(names) if name.strip()]
