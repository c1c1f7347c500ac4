"""Bulk loads into PostgreSQL: catalogue upserts and append-only observations, columnar via COPY.

A frame is written once as CSV into a staging table with COPY, then merged with one INSERT ... SELECT.
Catalogue rows update only when a value really changed, and observations are keyed by entity, metric,
day and source with ON CONFLICT DO NOTHING, so loading the same batch twice changes no row.
"""

from __future__ import annotations

import io
import logging

import pandas as pd
from sqlalchemy import Connection, text

from jobs.sources.base import (
    ARTIST_COLUMNS,
    ARTIST_GENRE_COLUMNS,
    AUDIO_FEATURE_COLUMNS,
    OBSERVATION_COLUMNS,
    SIMILAR_ARTIST_COLUMNS,
    TRACK_ARTIST_COLUMNS,
    TRACK_COLUMNS,
    SourceBatch,
)

logger = logging.getLogger(__name__)

INTEGER_COLUMNS = {"duration_ms", "position", "key", "mode", "time_signature"}


def copy_frame(*, conn: Connection, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """COPY `frame[columns]` into `table` (CSV text: pandas writes it in C, no per-row Python)."""
    data = frame[columns].copy()
    for column in INTEGER_COLUMNS.intersection(columns):
        data[column] = pd.to_numeric(data[column], errors="coerce").round().astype("Int64")
    buffer = io.StringIO()
    data.to_csv(buffer, index=False, header=False)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


def merge_frame(
    *,
    conn: Connection,
    table: str,
    frame: pd.DataFrame,
    columns: list[str],
    key: list[str],
    update: list[str] | None = None,
) -> int:
    """Insert `frame` into `table`; on a key conflict update `update` columns if they differ. Returns rows changed."""
    if frame.empty:
        return 0
    stage = f"_stage_{table}"
    conn.execute(text(f"DROP TABLE IF EXISTS {stage}"))
    conn.execute(text(f"CREATE TEMP TABLE {stage} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"))
    copy_frame(conn=conn, table=stage, frame=frame.drop_duplicates(subset=key, keep="last"), columns=columns)
    column_list = ", ".join(columns)
    if update:
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in update)
        current = ", ".join(f"{table}.{c}" for c in update)
        incoming = ", ".join(f"EXCLUDED.{c}" for c in update)
        conflict = (
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {assignments}"
            f" WHERE ({current}) IS DISTINCT FROM ({incoming})"
        )
    else:
        conflict = "ON CONFLICT DO NOTHING"
    result = conn.execute(text(f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {stage} {conflict}"))
    conn.execute(text(f"DROP TABLE {stage}"))
    return int(result.rowcount or 0)


def load_batch(*, conn: Connection, batch: SourceBatch, run_id: int | None) -> dict[str, int]:
    """Write one source batch; return the number of rows inserted or changed per table."""
    genres = pd.concat(
        [batch.artists["genre"], batch.tracks["genre"], batch.artist_genres["genre"]], ignore_index=True
    ).dropna()
    genre_frame = pd.DataFrame({"genre": sorted(set(genres))})
    counts = {"genres": merge_frame(conn=conn, table="genres", frame=genre_frame, columns=["genre"], key=["genre"])}
    counts["artists"] = merge_frame(
        conn=conn, table="artists", frame=batch.artists, columns=ARTIST_COLUMNS,
        key=["artist_id"], update=["name", "genre"],
    )  # fmt: skip
    counts["artist_genres"] = merge_frame(
        conn=conn, table="artist_genres", frame=batch.artist_genres.dropna(), columns=ARTIST_GENRE_COLUMNS,
        key=ARTIST_GENRE_COLUMNS,
    )  # fmt: skip
    track_updates = [c for c in TRACK_COLUMNS if c not in ("track_id", "source")]
    counts["tracks"] = merge_frame(
        conn=conn,
        table="tracks",
        frame=batch.tracks,
        columns=TRACK_COLUMNS,
        key=["track_id"],
        update=track_updates,
    )
    counts["track_artists"] = merge_frame(
        conn=conn, table="track_artists", frame=batch.track_artists, columns=TRACK_ARTIST_COLUMNS,
        key=["track_id", "artist_id"], update=["position"],
    )  # fmt: skip
    counts["track_audio_features"] = merge_frame(
        conn=conn, table="track_audio_features", frame=batch.audio_features, columns=AUDIO_FEATURE_COLUMNS,
        key=["track_id"], update=AUDIO_FEATURE_COLUMNS[1:],
    )  # fmt: skip
    counts["similar_artists"] = merge_frame(
        conn=conn, table="similar_artists", frame=batch.similar_artists, columns=SIMILAR_ARTIST_COLUMNS,
        key=["artist_id", "similar_name", "observed_on"],
    )  # fmt: skip
    observations = batch.observations.assign(run_id=run_id)
    counts["raw_observations"] = merge_frame(
        conn=conn, table="raw_observations", frame=observations, columns=[*OBSERVATION_COLUMNS, "run_id"],
        key=["entity_type", "entity_id", "metric", "observed_on", "source"],
    )  # fmt: skip
    return counts
