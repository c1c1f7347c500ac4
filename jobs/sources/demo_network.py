"""The demo market's social side: a similar-artist network, featured-artist collaborations, and a genre sound.

Each demo artist gets a point in a hidden 2-D "style" space; its similar artists are the `SIMILAR_PER_ARTIST`
nearest artists of its own genre there (Last.fm's `artist.getSimilar` gives about as many), with a match of
`exp(-distance)`. `FEATURE_SHARE` of the tracks credit a second artist, mostly one of the main artist's similar
artists (collaborations cluster in a market segment, as they do in real charts). Audio features get a per-genre
offset so that micro-genres exist to be found. Everything depends only on the seed, so a refresh and a backfill
agree; the network carries the market's start date as `observed_on`, so loading it again changes no row.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class SimilarPairs:
    """The similar-artist rows as positions into the artists: `owner` (artist), `similar` (its similar
    artist) and `match`, grouped by genre and each owner's rows closest first (`similar_artists`' row order)."""

    owner: np.ndarray
    similar: np.ndarray
    match: np.ndarray

    def __len__(self) -> int:
        return len(self.owner)

    def frame(self, artist_ids: np.ndarray, rows: slice = slice(None)) -> pd.DataFrame:
        """`rows` of them as (artist_id, similar_artist_id, match)."""
        return pd.DataFrame({"artist_id": artist_ids[self.owner[rows]], "similar_artist_id":
                             artist_ids[self.similar[rows]], "match": self.match[rows]})  # fmt: skip


def similar_pairs(seed: int, artist_genre: np.ndarray) -> SimilarPairs:
    """The nearest same-genre artists in style space, closest first, as positions (see `similar_artists`).

    A k-d tree finds each artist's k + 1 nearest (itself included) in O(n log n) instead of sorting an n x n
    distance matrix per genre (12 s at 100k tracks, and quadratic memory). The distances are then computed
    as the brute force computed them and each row ordered by (distance, position), as its stable sort did,
    so the rows are the same (tests/test_demo_network.py compares with the brute force)."""
    points = style_points(seed, artist_genre)
    owners: list[np.ndarray] = []
    similars: list[np.ndarray] = []
    matches: list[np.ndarray] = []
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
        members = members.astype(np.int32)  # positions of artists: 4.2M pairs at 1M tracks
        owners.append(np.repeat(members, k))
        similars.append(members[nearest.ravel()])
        matches.append(np.round(np.exp(-near_distance.ravel()), 4))
    if not owners:
        empty = np.zeros(0, dtype=np.int32)
        return SimilarPairs(empty, empty, np.zeros(0))
    return SimilarPairs(np.concatenate(owners), np.concatenate(similars), np.concatenate(matches))


def similar_artists(seed: int, artist_genre: np.ndarray, artist_ids: np.ndarray) -> pd.DataFrame:
    """(artist_id, similar_artist_id, match): the nearest same-genre artists in style space, closest first
    (`similar_pairs` as ids)."""
    pairs = similar_pairs(seed, artist_genre)
    if not len(pairs):
        return pd.DataFrame(columns=["artist_id", "similar_artist_id", "match"])
    return pairs.frame(artist_ids)


def _nearest_others(points: np.ndarray, k: int) -> np.ndarray:
    """Per point (n x 2), the positions of its `k` nearest other points (n x k, in no set order)."""
    _, found = cKDTree(points).query(points, k=k + 1)
    found = found.reshape(len(points), k + 1)
    itself = found == np.arange(len(points))[:, None]
    itself[~itself.any(axis=1), -1] = True  # a point tied at distance 0 with k others: drop the farthest
    return found[~itself].reshape(len(points), k)


def featured_artists(
    seed: int, track_artist: np.ndarray, similar: SimilarPairs | pd.DataFrame, n_artists: int
) -> np.ndarray:
    """For each track, the index of its featured artist, or -1 (most tracks have none): with probability
    `FEATURE_FROM_SEGMENT` one of the main artist's first 10 similar artists, else anyone but the main artist
    (all drawn at once: no loop over artists or tracks). `similar`: the pairs, or their frame of demo ids."""
    rng = np.random.default_rng([seed, 21])
    m = track_artist.size
    guest = np.full(m, -1)
    has_guest = rng.random(m) < FEATURE_SHARE
    from_segment = rng.random(m) < FEATURE_FROM_SEGMENT
    anyone = rng.integers(0, max(n_artists, 1), m)
    pick = rng.integers(0, 10, m)
    if isinstance(similar, SimilarPairs):
        numbers, owners = similar.similar, similar.owner
    else:
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


@dataclass(frozen=True)
class Network:
    """The market's network as positions: the similar pairs and each track's featured artist (-1: none)."""

    similar: SimilarPairs
    guest: np.ndarray


def market_network(seed: int, artist_genre: np.ndarray, track_artist: np.ndarray) -> Network:
    similar = similar_pairs(seed, artist_genre)
    return Network(similar, featured_artists(seed, track_artist, similar, artist_genre.size))


def featured_links(network: Network, artist_ids: np.ndarray, track_ids: np.ndarray, index: np.ndarray) -> pd.DataFrame:
    """The track_artists rows at position 1 of the tracks at positions `index` (ids `track_ids`)."""
    featured = network.guest[index] >= 0
    return pd.DataFrame({"track_id": track_ids[featured], "artist_id": artist_ids[network.guest[index][featured]],
                         "position": 1})  # fmt: skip


def similar_rows(
    network: Network, artist_ids: np.ndarray, names: pd.Series, observed_on: object, rows: slice = slice(None)
) -> pd.DataFrame:
    """`rows` of the similar_artists rows (default: all of them); `names`: artist id -> name."""
    similar = network.similar.frame(artist_ids, rows)
    return similar.assign(
        similar_name=similar["similar_artist_id"].map(names), mbid=None, observed_on=observed_on, source="demo"
    )


def network_frames(
    seed: int,
    artists: pd.DataFrame,
    artist_genre: np.ndarray,
    track_artist: np.ndarray,
    tracks: pd.DataFrame,
    observed_on: object,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(featured track_artists rows at position 1 for the visible `tracks`, the similar_artists rows)."""
    network = market_network(seed, artist_genre, track_artist)
    index = tracks["track_id"].str.slice(6).astype(int).to_numpy()
    links = featured_links(network, artists["artist_id"].to_numpy(), tracks["track_id"].to_numpy(), index)
    names = artists.set_index("artist_id")["name"]
    if not len(network.similar):  # as before: the empty frame of the three columns, with the others added
        empty = pd.DataFrame(columns=["artist_id", "similar_artist_id", "match"])
        return links, empty.assign(similar_name=empty["similar_artist_id"].map(names), mbid=None,
                                   observed_on=observed_on, source="demo")  # fmt: skip
    return links, similar_rows(network, artists["artist_id"].to_numpy(), names, observed_on)
