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
    """(artist_id, similar_artist_id, match): the nearest same-genre artists in style space, closest first.

    A k-d tree finds each artist's k + 1 nearest (itself included) in O(n log n) instead of sorting an n x n
    distance matrix per genre (12 s at 100k tracks, and quadratic memory). The distances are then computed
    as the brute force computed them and each row ordered by (distance, position), as its stable sort did,
    so the rows are the same (tests/test_demo_network.py compares with the brute force)."""
    points = style_points(seed, artist_genre)
    rows: list[pd.DataFrame] = []
    for genre in np.unique(artist_genre):
        members = np.flatnonzero(artist_genre == genre)
        if members.size < 2:
            continue
        k = min(SIMILAR_PER_ARTIST, members.size - 1)
        nearest = _nearest_others(points[members], k)
        diff = points[members][:, None, :] - points[members][nearest]
        near_distance = np.sqrt((diff**2).sum(axis=2))
        order = np.lexsort((nearest, near_distance), axis=1)
        nearest, near_distance = (np.take_along_axis(a, order, axis=1) for a in (nearest, near_distance))
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


def _nearest_others(points: np.ndarray, k: int) -> np.ndarray:
    """Per point (n x 2), the positions of its `k` nearest other points (n x k, in no set order)."""
    _, found = cKDTree(points).query(points, k=k + 1)
    found = found.reshape(len(points), k + 1)
    itself = found == np.arange(len(points))[:, None]
    itself[~itself.any(axis=1), -1] = True  # a point tied at distance 0 with k others: drop the farthest
    return found[~itself].reshape(len(points), k)


def featured_artists(seed: int, track_artist: np.ndarray, similar: pd.DataFrame, n_artists: int) -> np.ndarray:
    """For each track, the index of its featured artist, or -1 (most tracks have none): with probability
    `FEATURE_FROM_SEGMENT` one of the main artist's first 10 similar artists, else anyone but the main artist
    (all drawn at once: no loop over artists or tracks)."""
    rng = np.random.default_rng([seed, 21])
    m = track_artist.size
    guest = np.full(m, -1)
    has_guest = rng.random(m) < FEATURE_SHARE
    from_segment = rng.random(m) < FEATURE_FROM_SEGMENT
    anyone = rng.integers(0, max(n_artists, 1), m)
    pick = rng.integers(0, 10, m)
    numbers, owners = (
        similar[column].str.slice(6).astype(int).to_numpy() if len(similar) else np.empty(0, dtype=np.int64)
        for column in ("similar_artist_id", "artist_id")
    )
    size = max(n_artists, int(track_artist.max(initial=-1)) + 1, int(owners.max(initial=-1)) + 1)
    numbers = numbers[np.argsort(owners, kind="stable")]  # each owner's similar artists together, in order
    per_owner = np.bincount(owners, minlength=size)
    start = np.concatenate([[0], np.cumsum(per_owner)[:-1]])
    count = np.minimum(per_owner, 10)  # the first 10 of each owner
    main = track_artist
    segment = has_guest & from_segment & (count[main] > 0)
    guest[segment] = numbers[start[main[segment]] + pick[segment] % count[main[segment]]]
    other = has_guest & ~segment & (anyone != main)
    guest[other] = anyone[other]
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
