"""The demo market's network (jobs/sources/demo_network.py) is the same as the brute force it replaced: a
k-d tree for the nearest same-genre artists, and featured artists drawn without a per-track loop."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jobs.sources.demo_network import (
    FEATURE_FROM_SEGMENT,
    FEATURE_SHARE,
    SIMILAR_PER_ARTIST,
    featured_artists,
    similar_artists,
    style_points,
)


def brute_similar(seed: int, artist_genre: np.ndarray, artist_ids: np.ndarray) -> pd.DataFrame:
    """The former implementation: every same-genre distance, sorted (stable) per artist."""
    points, rows = style_points(seed, artist_genre), []
    for genre in np.unique(artist_genre):
        members = np.flatnonzero(artist_genre == genre)
        if members.size < 2:
            continue
        diff = points[members][:, None, :] - points[members][None, :, :]
        distance = np.sqrt((diff**2).sum(axis=2))
        np.fill_diagonal(distance, np.inf)
        k = min(SIMILAR_PER_ARTIST, members.size - 1)
        nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
        near = np.take_along_axis(distance, nearest, axis=1)
        rows.append(pd.DataFrame({"artist_id": np.repeat(artist_ids[members], k),
                                  "similar_artist_id": artist_ids[members[nearest.ravel()]],
                                  "match": np.round(np.exp(-near.ravel()), 4)}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def looped_featured(seed: int, track_artist: np.ndarray, similar: pd.DataFrame, n_artists: int) -> np.ndarray:
    """The former implementation: a dict of each artist's first 10 similar artists, then a loop over tracks."""
    rng = np.random.default_rng([seed, 21])
    m = track_artist.size
    guest = np.full(m, -1)
    has_guest, from_segment = rng.random(m) < FEATURE_SHARE, rng.random(m) < FEATURE_FROM_SEGMENT
    anyone, pick = rng.integers(0, max(n_artists, 1), m), rng.integers(0, 10, m)
    numbers = similar["similar_artist_id"].str.slice(6).astype(int).to_numpy()
    owners = similar["artist_id"].str.slice(6).astype(int).to_numpy()
    by_artist = {int(owner): numbers[owners == owner][:10] for owner in np.unique(owners)}
    for t in np.flatnonzero(has_guest):
        main, near = int(track_artist[t]), by_artist.get(int(track_artist[t]))
        if from_segment[t] and near is not None and near.size:
            guest[t] = near[pick[t] % near.size]
        elif anyone[t] != main:
            guest[t] = anyone[t]
    return guest


def market(n_artists: int, n_genres: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    genre = rng.integers(0, n_genres, n_artists)
    genre[0] = n_genres  # a genre of one artist: no similar artists, its tracks' guests are anyone
    ids = np.char.add("demo:a", np.char.zfill(np.arange(n_artists).astype(str), 6))
    return genre, ids, rng.integers(0, n_artists, n_artists * 5)


def test_similar_artists_match_the_brute_force_including_small_genres() -> None:
    genre, ids, _ = market(700, 9)
    genre[1:4] = 99  # a genre of three: fewer than SIMILAR_PER_ARTIST others
    got, expected = similar_artists(3, genre, ids), brute_similar(3, genre, ids)
    assert len(got) > 0 and (got.groupby("artist_id").size() <= SIMILAR_PER_ARTIST).all()
    pd.testing.assert_frame_equal(got, expected)


def test_featured_artists_match_the_loop() -> None:
    genre, ids, track_artist = market(700, 6)
    similar = similar_artists(3, genre, ids)
    got = featured_artists(3, track_artist, similar, ids.size)
    assert (got >= 0).sum() > 100 and (got != track_artist).all()
    np.testing.assert_array_equal(got, looped_featured(3, track_artist, similar, ids.size))
    no_network = featured_artists(3, track_artist, similar.iloc[:0], ids.size)
    np.testing.assert_array_equal(no_network, looped_featured(3, track_artist, similar.iloc[:0], ids.size))
