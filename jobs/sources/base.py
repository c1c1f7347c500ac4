"""The normalised records every source produces, and the interface a source implements.

A batch holds catalogue rows (artists, tracks, links, genres, audio features) and metric observations
`(entity_type, entity_id, metric, observed_on, source, value)`. Any metric may be absent for a source;
a source says which ones it could not get in `unavailable_metrics`. `image_url` (artwork, core/artwork.py) is
optional: a frame without it loads NULL, and a NULL never erases an image another run stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import pandas as pd

ARTIST_COLUMNS = ["artist_id", "name", "genre", "image_url", "source"]
TRACK_COLUMNS = [
    "track_id", "name", "album_name", "release_date", "release_date_precision",
    "duration_ms", "explicit", "isrc", "genre", "image_url", "source",
]  # fmt: skip
OPTIONAL_COLUMNS = ("image_url",)  # a source may leave these out of its frames
TRACK_ARTIST_COLUMNS = ["track_id", "artist_id", "position"]
ARTIST_GENRE_COLUMNS = ["artist_id", "genre"]
OBSERVATION_COLUMNS = ["entity_type", "entity_id", "metric", "observed_on", "source", "value"]
# Similar artists: Last.fm gives names; a source that knows the similar artist's own id fills similar_artist_id.
SIMILAR_ARTIST_COLUMNS = ["artist_id", "similar_name", "mbid", "match", "observed_on", "source", "similar_artist_id"]
AUDIO_FEATURE_COLUMNS = [
    "track_id", "danceability", "energy", "key", "loudness", "mode", "speechiness",
    "acousticness", "instrumentalness", "liveness", "valence", "tempo", "time_signature",
]  # fmt: skip


def empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})


@dataclass
class SourceBatch:
    """What one extract produced. Frames may be empty; their columns are always the ones above."""

    source: str
    artists: pd.DataFrame = field(default_factory=lambda: empty_frame(ARTIST_COLUMNS))
    tracks: pd.DataFrame = field(default_factory=lambda: empty_frame(TRACK_COLUMNS))
    track_artists: pd.DataFrame = field(default_factory=lambda: empty_frame(TRACK_ARTIST_COLUMNS))
    artist_genres: pd.DataFrame = field(default_factory=lambda: empty_frame(ARTIST_GENRE_COLUMNS))
    observations: pd.DataFrame = field(default_factory=lambda: empty_frame(OBSERVATION_COLUMNS))
    audio_features: pd.DataFrame = field(default_factory=lambda: empty_frame(AUDIO_FEATURE_COLUMNS))
    similar_artists: pd.DataFrame = field(default_factory=lambda: empty_frame(SIMILAR_ARTIST_COLUMNS))
    warnings: list[str] = field(default_factory=list)
    unavailable_metrics: list[str] = field(default_factory=list)


class Source(Protocol):
    """A source of snapshots for one date. `is_demo` marks simulated data, which the dashboard labels."""

    name: str
    is_demo: bool

    def extract(self, snapshot_date: date) -> SourceBatch: ...
