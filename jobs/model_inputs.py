"""Read what the model needs from PostgreSQL into frames (`model.frames.ModelFrames`) for a window of dates.

Observations from `first` to `last` (inclusive; from the narrow table by binary COPY, with categorical text
columns: `jobs.observation_frames`), the catalogue of tracks released by `last` (or undated),
their artists, audio features, and each track's best value of the hit metric *before* `first`, so features
such as "the artist's earlier hits" do not depend on how long a window was read.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, text

from core.columnar import copy_out_frame
from core.hit_definition import HitDefinition
from jobs.observation_frames import observation_frame, prior_best_frame
from model.frames import AUDIO_COLUMNS, OBSERVATION_COLUMNS, ModelFrames

logger = logging.getLogger(__name__)

# The catalogue's columns as stored (sql/versions/0001_backbone.sql), read by typed CSV COPY.
TEXT = pa.string()
TRACK_TYPES = {"track_id": TEXT, "name": TEXT, "release_date": pa.date32(), "release_date_precision": TEXT,
               "duration_ms": pa.int64(), "explicit": pa.bool_(), "genre": TEXT}  # fmt: skip
LINK_TYPES = {"track_id": TEXT, "artist_id": TEXT, "position": pa.int64()}
ARTIST_TYPES = {"artist_id": TEXT, "name": TEXT, "genre": TEXT}
AUDIO_TYPES = {"track_id": TEXT} | {column: pa.int64() if column in ("key", "mode", "time_signature") else pa.float64()
                                    for column in AUDIO_COLUMNS}  # fmt: skip
NAME_TYPES = {"track_id": TEXT, "name": TEXT, "artist_id": TEXT, "artist_name": TEXT}


def read_model_frames(
    *,
    conn: Connection,
    first: date,
    last: date,
    hit_metric: str,
    observations: bool = True,
    audio_of: Sequence[str] | None = None,
) -> ModelFrames:
    """`observations=False`: everything but the observations (an empty frame), for a reader that takes them
    as panels (`jobs.features.snapshot_context`). `audio_of`: read the audio features of these tracks only
    (the ones a refresh scores: at 1M tracks the whole table's read peaked at ~250 MB)."""
    frame = observation_frame(conn=conn, first=first, last=last) if observations else _no_observations()
    tracks = copy_out_frame(
        conn,
        "SELECT track_id, name, release_date, release_date_precision, duration_ms, explicit, genre FROM tracks"
        " WHERE release_date IS NULL OR release_date <= :last",
        TRACK_TYPES,
        {"last": last},
    )
    track_artists = copy_out_frame(conn, "SELECT track_id, artist_id, position FROM track_artists", LINK_TYPES)
    artists = copy_out_frame(conn, "SELECT artist_id, name, genre FROM artists", ARTIST_TYPES)
    only, ids = _of_tracks("track_id", audio_of)
    audio = copy_out_frame(conn, f"SELECT {', '.join(AUDIO_TYPES)} FROM track_audio_features{only}", AUDIO_TYPES, ids)
    prior_best = prior_best_frame(conn=conn, metric=hit_metric, before=first, best=HitDefinition(hit_metric).best)
    logger.info(
        "read %d observations (%s..%s), %d tracks, %d artists", len(frame), first, last, len(tracks), len(artists)
    )
    one_source = len(np.unique(frame["source"].cat.codes.to_numpy())) <= 1  # the key is then unique
    return ModelFrames(frame, tracks, track_artists, artists, audio, prior_best, one_per_key=one_source)


def _of_tracks(column: str, track_ids: Sequence[str] | None) -> tuple[str, dict[str, Sequence[str]]]:
    """A WHERE clause keeping the rows whose `column` is one of `track_ids`, and its parameters (none: all)."""
    if track_ids is None:
        return "", {}
    return f" WHERE {column} = ANY(CAST(:ids AS text[]))", {"ids": track_ids}


def _no_observations() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Categorical([]) for column in OBSERVATION_COLUMNS if column != "observed_on"}
                        | {"observed_on": np.array([], dtype="datetime64[ns]"), "value": np.array([])}
                        )[OBSERVATION_COLUMNS]  # fmt: skip


def observed_range(*, conn: Connection, metric: str) -> tuple[date | None, date | None]:
    """First and last day with a track observation of `metric`."""
    row = conn.execute(
        text(
            "SELECT min(observed_on), max(observed_on) FROM raw_observations"
            " WHERE entity_type = 'track' AND metric = :metric"
        ),
        {"metric": metric},
    ).one()
    return row[0], row[1]


def track_names(*, conn: Connection, track_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Track and main-artist names for the scored table (of `track_ids` only, when given)."""
    only, ids = _of_tracks("t.track_id", track_ids)
    return copy_out_frame(
        conn,
        "SELECT t.track_id, t.name, ta.artist_id, a.name AS artist_name FROM tracks t"
        " LEFT JOIN track_artists ta ON ta.track_id = t.track_id AND ta.position = 0"
        f" LEFT JOIN artists a ON a.artist_id = ta.artist_id{only}",
        NAME_TYPES,
        ids,
    )


def score_names(*, conn: Connection, track_ids: pd.Series) -> pd.DataFrame:
    """`name` (the track id when the catalogue has none) and `artist_name` of the main artist, aligned with
    `track_ids`: what the published scores call each track."""
    wanted = [str(track_id) for track_id in pd.unique(track_ids.dropna())]
    names = track_names(conn=conn, track_ids=wanted).drop_duplicates("track_id").set_index("track_id")
    return pd.DataFrame(
        {"name": track_ids.map(names["name"]).fillna(track_ids), "artist_name": track_ids.map(names["artist_name"])}
    ).reset_index(drop=True)
