"""The demo market's catalogue as batches of artists (`jobs.sources.demo.DemoSource.catalogue_batches`).

At 1M tracks the catalogue as one batch built ~560 MB of frames at once (a 1.76 GiB extract). Each batch holds
`chunk_artists` artists' tracks (an artist's tracks are consecutive), the tracks' artists and audio features, and
the artists' similar artists; the first also holds every artist and genre, so the featured and similar artists
of every batch exist. The per-track random draws are made once for the catalogue (`TrackDraws`) and indexed, so
the batches together are the one batch, row for row (tests/test_demo_source.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from jobs.sources.base import SourceBatch
from jobs.sources.demo_network import featured_frame, featured_index, similar_frame, similar_index

CATALOGUE_CHUNK_ARTISTS = 25_000  # artists per batch: ~110k tracks and 500k similar-artist rows at 1M


@dataclass(frozen=True)
class TrackDraws:
    """The catalogue frames' random draws for every track, made once per catalogue: each generator's stream fixes
    every track's values, so a batch of tracks indexes them instead of drawing the whole catalogue again."""

    words: np.ndarray  # (tracks x 2) word numbers of the track's name (`demo_names`)
    duration: np.ndarray
    explicit: np.ndarray
    audio: dict[str, np.ndarray]  # the audio features, each genre's sound included


def catalogue_batches(market: Any, released_by: date, *, chunk_artists: int, source: str) -> Iterator[SourceBatch]:
    """The catalogue of `market` (a `jobs.sources.demo.DemoMarket`, not imported: it imports this) as of
    `released_by`, a batch per `chunk_artists` artists."""
    c = market.catalogue
    draws = market.track_draws()
    artists = market.artists_frame()
    ids, names = artists["artist_id"].to_numpy(), artists["name"].to_numpy()
    for first in range(0, max(market.n_artists, 1), chunk_artists):
        owners = slice(first, min(first + chunk_artists, market.n_artists))
        rows = slice(*np.searchsorted(c.track_artist, [owners.start, owners.stop]))  # sorted: np.repeat
        tracks = market.tracks_frame(released_by, rows, draws)
        similar = similar_index(market.seed, c.artist_genre, owners)
        guest = featured_index(market.seed, c.track_artist, similar[0], similar[1], market.n_artists, rows)
        links = featured_frame(tracks, guest[tracks["track_id"].str.slice(6).astype(int).to_numpy() - rows.start], ids)
        head = {"artists": artists, "artist_genres": artists[["artist_id", "genre"]]} if first == 0 else {}
        yield SourceBatch(
            source=source,
            tracks=tracks,
            track_artists=pd.concat([market.track_artists_frame(tracks), links], ignore_index=True),
            audio_features=market.audio_features_frame(tracks, draws),
            similar_artists=similar_frame(similar, ids, names, market.start),
            **head,
        )
