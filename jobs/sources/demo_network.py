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


def similar_index(
    seed: int, artist_genre: np.ndarray, artists: slice = slice(None)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner, similar artist, match) positions of the similar-artist rows of the artists in `artists` (a range
    of positions; default all): each artist's nearest same-genre artists in style space, closest first, the
    rows ordered by genre, then owner.

    A k-d tree of each genre finds an artist's k + 1 nearest (itself included) in O(n log n) instead of sorting an
    n x n distance matrix per genre (12 s at 100k tracks, and quadratic memory). The distances are then computed
    as the brute force computed them and each row ordered by (distance, position), as its stable sort did,
    so the rows are the same (tests/test_demo_network.py compares with the brute force). An artist's rows do
    not depend on which others are asked for, so the demo's catalogue batches ask for theirs alone."""
    points = style_points(seed, artist_genre)
    wanted = np.zeros(artist_genre.size, dtype=bool)
    wanted[artists] = True
    owners, others, matches = [], [], []
    for genre in np.unique(artist_genre):
        members = np.flatnonzero(artist_genre == genre)
        asked = np.flatnonzero(wanted[members])
        if members.size < 2 or not asked.size:
            continue
        k = min(SIMILAR_PER_ARTIST, members.size - 1)
        nearest = _nearest_others(points[members], points[members[asked]], asked, k)
        diff = points[members[asked]][:, None, :] - points[members][nearest]
        near_distance = np.sqrt((diff**2).sum(axis=2))
        order = np.lexsort((nearest, near_distance), axis=1)
        nearest, near_distance = (np.take_along_axis(a, order, axis=1) for a in (nearest, near_distance))
        owners.append(np.repeat(members[asked], k))
        others.append(members[nearest.ravel()])
        matches.append(np.round(np.exp(-near_distance.ravel()), 4))
    if not owners:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0)
    return np.concatenate(owners), np.concatenate(others), np.concatenate(matches)


def similar_artists(seed: int, artist_genre: np.ndarray, artist_ids: np.ndarray) -> pd.DataFrame:
    """(artist_id, similar_artist_id, match) of every artist (`similar_index`)."""
    owner, other, match = similar_index(seed, artist_genre)
    if not owner.size:
        return pd.DataFrame(columns=["artist_id", "similar_artist_id", "match"])
    return pd.DataFrame({"artist_id": artist_ids[owner], "similar_artist_id": artist_ids[other], "match": match})


def _nearest_others(points: np.ndarray, asked: np.ndarray, positions: np.ndarray, k: int) -> np.ndarray:
    """Per point of `asked` (the points at `positions` of `points`, n x 2), the positions of its `k` nearest
    other points (n x k, in no set order)."""
    _, found = cKDTree(points).query(asked, k=k + 1)
    found = found.reshape(len(asked), k + 1)
    itself = found == positions[:, None]
    itself[~itself.any(axis=1), -1] = True  # a point tied at distance 0 with k others: drop the farthest
    return found[~itself].reshape(len(asked), k)


def featured_artists(seed: int, track_artist: np.ndarray, similar: pd.DataFrame, n_artists: int) -> np.ndarray:
    """`featured_index` of a similar-artists frame (`similar_artists`' columns)."""
    owners, numbers = (
        similar[column].str.slice(6).astype(int).to_numpy() if len(similar) else np.empty(0, dtype=np.int64)
        for column in ("artist_id", "similar_artist_id")
    )
    return featured_index(seed, track_artist, owners, numbers, n_artists)


def featured_index(
    seed: int, track_artist: np.ndarray, owners: np.ndarray, numbers: np.ndarray, n_artists: int,
    tracks: slice = slice(None),
) -> np.ndarray:  # fmt: skip
    """For each track of `tracks` (default all), the position of its featured artist, or -1 (most tracks have
    none): with probability `FEATURE_FROM_SEGMENT` one of the main artist's first 10 similar artists (the rows
    (`owners`, `numbers`) of `similar_index`, which must hold those of every main artist of `tracks`), else anyone
    but the main artist (all drawn at once for every track, so a track's guest does not depend on `tracks`)."""
    rng = np.random.default_rng([seed, 21])
    m = track_artist.size
    has_guest = rng.random(m) < FEATURE_SHARE
    from_segment = rng.random(m) < FEATURE_FROM_SEGMENT
    anyone = rng.integers(0, max(n_artists, 1), m)
    pick = rng.integers(0, 10, m)
    has_guest, from_segment = has_guest[tracks], from_segment[tracks]
    anyone, pick, main = anyone[tracks], pick[tracks], track_artist[tracks]
    guest = np.full(main.size, -1)
    size = max(n_artists, int(track_artist.max(initial=-1)) + 1, int(owners.max(initial=-1)) + 1)
    numbers = numbers[np.argsort(owners, kind="stable")]  # each owner's similar artists together, in order
    per_owner = np.bincount(owners, minlength=size)
    start = np.concatenate([[0], np.cumsum(per_owner)[:-1]])
    count = np.minimum(per_owner, 10)  # the first 10 of each owner
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


def featured_frame(tracks: pd.DataFrame, guest: np.ndarray, artist_ids: np.ndarray) -> pd.DataFrame:
    """The featured track_artists rows (position 1) of `tracks`, whose featured artists are `guest` (aligned)."""
    featured = guest >= 0
    return pd.DataFrame(
        {"track_id": tracks["track_id"].to_numpy()[featured], "artist_id": artist_ids[guest[featured]], "position": 1}
    )


def similar_frame(
    rows: tuple[np.ndarray, np.ndarray, np.ndarray], artist_ids: np.ndarray, names: np.ndarray, observed_on: object
) -> pd.DataFrame:
    """The similar_artists rows of `similar_index`'s (owner, similar artist, match) positions; the market's
    start date is their `observed_on`, so loading them again changes no row."""
    owner, other, match = rows
    return pd.DataFrame({"artist_id": artist_ids[owner], "similar_artist_id": artist_ids[other], "match": match,
                         "similar_name": names[other], "mbid": None, "observed_on": observed_on,
                         "source": "demo"})  # fmt: skip
