"""The normalised records every source produces, and the interface a source implements.

A batch holds catalogue rows (artists, tracks, links, genres, audio features) and metric observations
`(entity_type, entity_id, metric, observed_on, source, value)`. Any metric may be absent for a source;
a source says which ones it could not get in `unavailable_metrics`. `image_url` (artwork, core/artwork.py) is
optional: a frame without it loads NULL, and a NULL never erases an image another run stored.

Sources return data and never touch storage (tests/test_layout_rules.py checks it): what a source needs of our
own state (the watchlist, its checkpoint, which artists the catalogue knows) comes through `SourceState`, and
what it wants kept (its checkpoint) rides on the batch, which the extract stage (`jobs/extract.py`) stores with
the run's id in the same transaction as the batch's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
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


@dataclass(frozen=True)
class WatchItem:
    entity_type: str
    spotify_id: str
    name: str | None  # the watchlist label, else the catalogue name, else None
    artist_name: str | None  # for a track: its main artist's name when known


@dataclass
class Checkpoint:
    """Where a source stopped (`status` 'stopped': resume at `next_id`) or that it finished ('done') a day."""

    source: str
    snapshot_date: date
    status: str
    next_id: str | None = None
    done_ids: list[str] = field(default_factory=list)
    reason: str | None = None


class SourceState(Protocol):
    """What a source may read of our own state; `jobs.sources_store.StoredState` reads it from PostgreSQL."""

    def watchlist(self) -> list[WatchItem]: ...

    def checkpoint(self, source: str) -> Checkpoint | None: ...

    def known_artist_ids(self, artist_ids: list[str]) -> set[str]: ...


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
    checkpoint: Checkpoint | None = None  # stored with the batch's rows, under the run's id


class Source(Protocol):
    """A source of snapshots. `is_demo` marks simulated data, which the dashboard labels. `extract_range` is
    what the extract stage calls: batches for `first`..`last`, each loaded before the next is asked for."""

    name: str
    is_demo: bool

    def extract(self, snapshot_date: date) -> SourceBatch: ...

    def extract_range(self, first: date, last: date) -> Iterator[SourceBatch]: ...


class DailySource:
    """For a source without a range extract of its own: `extract_range` is one `extract` per day."""

    def extract(self, snapshot_date: date) -> SourceBatch:
        raise NotImplementedError

    def extract_range(self, first: date, last: date) -> Iterator[SourceBatch]:
        for offset in range((last - first).days + 1):
            yield self.extract(first + timedelta(days=offset))
