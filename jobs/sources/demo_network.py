"""The demo market's social side: a similar-artist network, featured-artist collaborations, and a genre sound.

Each demo artist gets a point in a hidden 2-D "style" space; its similar artists are the `SIMILAR_PER_ARTIST`
nearest artists of its own genre there (Last.fm's `artist.getSimilar` gives about as many), with a match of
`exp(-distance)`. `FEATURE_SHARE` of the tracks credit a second artist, mostly one of the main artist's similar
artists (collaborations cluster in a market segment, as they do in real charts). Audio features get a per-genre
offset so that micro-genres exist to be found. Everything depends only on the seed, so a refresh and a backfill
agree; the network carries the market's start date as `observed_on`, so loading it again changes no row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

SIMILAR_PER_ARTIST = 20
FEATURE_SHARE = 0.15  # tracks with a featured artist
FEATURE_FROM_SEGMENT = 0.8  # of those, the share whose guest is one of the main artist's similar artists

# Per genre: offsets to (danceability, energy, acousticness, speechiness, valence, tempo) of its tracks.
GENRE_SOUND = {
    "pop": (0.05, 0.02, -0.05, -0.02, 0.10, 0.0),
    "hip hop": (0.12, -0.05, -0.08, 0.20, -0.05, -20.0),
    "rock": (-0.15, 0.18, -0.10, -0.03, -0.05, 15.0),
    "latin": (0.15, 0.05, -0.05, 0.02, 0.20, -10.0),
    "edm": (0.10, 0.25, -0.15, -0.03, 0.0, 8.0),
    "r&b": (0.02, -0.15, 0.10, 0.03, -0.08, -25.0),
    "country": (-0.05, -0.05, 0.25, -0.03, 0.08, -5.0),
    "indie": (-0.10, -0.12, 0.30, -0.02, -0.12, 0.0),
}
SOUND_COLUMNS = ("danceability", "energy", "acousticness", "speechiness", "valence", "tempo")


def style_points(seed: int, artist_genre: np.ndarray) -> np.ndarray:
    """Each artist's hidden position in style space (n x 2)."""
    return np.random.default_rng([seed, 20]).normal(0, 1, (artist_genre.size, 2))


def similar_artists(seed: int, artist_genre: np.ndarray, artist_ids: np.ndarray) -> pd.DataFrame:
    """(artist_id, similar_artist_id, match): the nearest same-genre artists in style space, closest first."""
    points = style_points(seed, artist_genre)
    rows: list[pd.DataFrame] = []
    for genre in np.unique(artist_genre):
        members = np.flatnonzero(artist_genre == genre)
        if members.size < 2:
            continue
        k = min(SIMILAR_PER_ARTIST, members.size - 1)
        nearest, near_distance = _nearest(points[members], k)
        rows.append(
            pd.DataFrame(
                {
                    "artist_id": np.repeat(artist_ids[members], k),
                    "similar_artist_id": artist_ids[members[nearest.ravel()]],
                    "match": np.round(np.exp(-near_distance.ravel()), 4),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["artist_id", "similar_artist_id", "match"])
    return pd.concat(rows, ignore_index=True)


def _nearest(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each point the `k` nearest others, closest first, ties by position (the order a stable sort of the
    whole distance matrix gave), and their distances, computed as that matrix computed them.

    Candidates come from a k-d tree (`k` + 8 per point); their exact distances are recomputed and sorted by
    (distance, position). A row whose k-th distance is not clearly inside the candidates' radius (a tie at the
    edge, duplicated points) is done by brute force in blocks. The whole per-genre matrix was 22 GB for the 26k
    artists of a genre at 1M tracks (tests/test_demo_network.py checks the values against it)."""
    n = len(points)
    extra = min(n - 1, k + 8)
    radius, candidates = cKDTree(points).query(points, k=extra + 1)
    candidates = candidates.reshape(n, extra + 1)
    distance = np.sqrt(((points[:, None, :] - points[candidates]) ** 2).sum(axis=2))
    distance[candidates == np.arange(n)[:, None]] = np.inf
    order = np.lexsort((candidates, distance), axis=1)[:, :k]
    nearest = np.take_along_axis(candidates, order, axis=1)
    near_distance = np.take_along_axis(distance, order, axis=1)
    unsure = ~(near_distance[:, -1] < np.reshape(radius, (n, -1))[:, -1] * (1 - 1e-9)) if extra + 1 < n else None
    rows = np.flatnonzero(unsure) if unsure is not None else np.zeros(0, dtype=np.int64)
    if len(rows):
        nearest[rows], near_distance[rows] = _brute_nearest(points, rows, k)
    return nearest, near_distance


def _brute_nearest(points: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """`_nearest` of `rows` against every point, in blocks of about 4M distances."""
    block = max(1, (1 << 22) // len(points))
    nearest, near_distance = np.empty((len(rows), k), dtype=np.int64), np.empty((len(rows), k))
    for start in range(0, len(rows), block):
        part = rows[start : start + block]
        distance = np.sqrt(((points[part][:, None, :] - points[None, :, :]) ** 2).sum(axis=2))
        distance[np.arange(len(part)), part] = np.inf
        order = np.argsort(distance, axis=1, kind="stable")[:, :k]
        nearest[start : start + len(part)] = order
        near_distance[start : start + len(part)] = np.take_along_axis(distance, order, axis=1)
    return nearest, near_distance


def featured_artists(seed: int, track_artist: np.ndarray, similar: pd.DataFrame, n_artists: int) -> np.ndarray:
    """For each track, the index of its featured artist, or -1 (most tracks have none)."""
    rng = np.random.default_rng([seed, 21])
    m = track_artist.size
    guest = np.full(m, -1)
    has_guest = rng.random(m) < FEATURE_SHARE
    from_segment = rng.random(m) < FEATURE_FROM_SEGMENT
    anyone = rng.integers(0, max(n_artists, 1), m)
    pick = rng.integers(0, 10, m)
    by_artist: dict[int, np.ndarray] = {}
    if len(similar):
        numbers = similar["similar_artist_id"].str.slice(6).astype(int).to_numpy()
        owners = similar["artist_id"].str.slice(6).astype(int).to_numpy()
        order = np.argsort(owners, kind="stable")  # each owner's rows in frame order (a mask per owner: O(n^2))
        distinct, first, count = np.unique(owners[order], return_index=True, return_counts=True)
        for owner, start, size in zip(distinct.tolist(), first.tolist(), count.tolist(), strict=True):
            by_artist[owner] = numbers[order[start : start + min(size, 10)]]
    for t in np.flatnonzero(has_guest):
        main = int(track_artist[t])
        near = by_artist.get(main)
        if from_segment[t] and near is not None and near.size:
            guest[t] = near[pick[t] % near.size]
        elif anyone[t] != main:
            guest[t] = anyone[t]
    return guest


def genre_sound(genre_names: np.ndarray) -> dict[str, np.ndarray]:
    """Per-track offsets for the sound columns, from each track's genre name."""
    table = np.array([GENRE_SOUND.get(str(g), (0.0,) * len(SOUND_COLUMNS)) for g in genre_names], dtype=float)
    if table.size == 0:
        table = np.zeros((0, len(SOUND_COLUMNS)))
    return {column: table[:, i] for i, column in enumerate(SOUND_COLUMNS)}


def network_frames(
    seed: int,
    artists: pd.DataFrame,
    artist_genre: np.ndarray,
    track_artist: np.ndarray,
    tracks: pd.DataFrame,
    observed_on: object,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(featured track_artists rows at position 1 for the visible `tracks`, the similar_artists rows)."""
    artist_ids = artists["artist_id"].to_numpy()
    similar = similar_artists(seed, artist_genre, artist_ids)
    guest = featured_artists(seed, track_artist, similar, artist_ids.size)
    index = tracks["track_id"].str.slice(6).astype(int).to_numpy()
    featured = guest[index] >= 0
    links = pd.DataFrame(
        {
            "track_id": tracks["track_id"].to_numpy()[featured],
            "artist_id": artist_ids[guest[index][featured]],
            "position": 1,
        }
    )
    names = artists.set_index("artist_id")["name"]
    similar = similar.assign(
        similar_name=similar["similar_artist_id"].map(names), mbid=None, observed_on=observed_on, source="demo"
    )
    return links, similar
