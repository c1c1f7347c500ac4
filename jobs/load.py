"""Bulk loads into PostgreSQL: catalogue upserts and append-only observations, columnar via COPY.

    staged = StagedLoad(conn, run_id=7)      # temp staging tables, dropped at commit
    for batch in batches:
        staged.add(batch)                    # COPY each frame into its staging table (no target table touched)
    counts = staged.merge()                  # one INSERT ... SELECT per table, in the caller's transaction

`load_batch(conn=..., batch=..., run_id=...)` is the same for a single batch. This is the one seam that
writes the catalogue and the observations: the caller owns the transaction, so a file imported as many
staged chunks and one merge is all-or-nothing (a failure anywhere rolls every table back), and a later
storage change (issue 12) swaps what `merge` does without changing that contract.
Catalogue rows update only when a value really changed (the last staged version of a key wins; a NULL
`image_url` keeps the stored one, so a source without artwork never erases Spotify's);
observations are keyed by entity, metric, day and source with ON CONFLICT DO NOTHING (the first staged
value of a key wins), so loading the same batch twice changes no row.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, text

from jobs.sources.base import (
    ARTIST_COLUMNS,
    ARTIST_GENRE_COLUMNS,
    AUDIO_FEATURE_COLUMNS,
    OBSERVATION_COLUMNS,
    OPTIONAL_COLUMNS,
    SIMILAR_ARTIST_COLUMNS,
    TRACK_ARTIST_COLUMNS,
    TRACK_COLUMNS,
    SourceBatch,
)

logger = logging.getLogger(__name__)

INTEGER_COLUMNS = {"duration_ms", "position", "key", "mode", "time_signature"}


@dataclass(frozen=True)
class Target:
    """One table a batch writes: its batch frame, columns, key, and the columns a conflict updates."""

    table: str
    frame: str
    columns: list[str]
    key: list[str]
    update: list[str] | None = None
    last_wins: bool = True
    keep_when_null: tuple[str, ...] = ()  # update columns a NULL never overwrites


# In foreign-key order; genres are derived from the staged artists, tracks and artist genres at merge time.
TARGETS = (
    Target("artists", "artists", ARTIST_COLUMNS, ["artist_id"], ARTIST_COLUMNS[1:-1], keep_when_null=OPTIONAL_COLUMNS),
    Target("artist_genres", "artist_genres", ARTIST_GENRE_COLUMNS, ARTIST_GENRE_COLUMNS),
    Target("tracks", "tracks", TRACK_COLUMNS, ["track_id"], TRACK_COLUMNS[1:-1], keep_when_null=OPTIONAL_COLUMNS),
    Target("track_artists", "track_artists", TRACK_ARTIST_COLUMNS, ["track_id", "artist_id"], ["position"]),
    Target("track_audio_features", "audio_features", AUDIO_FEATURE_COLUMNS, ["track_id"], AUDIO_FEATURE_COLUMNS[1:]),
    Target("similar_artists", "similar_artists", SIMILAR_ARTIST_COLUMNS, ["artist_id", "similar_name", "observed_on"]),
    Target(
        "raw_observations", "observations", [*OBSERVATION_COLUMNS, "run_id"],
        ["entity_type", "entity_id", "metric", "observed_on", "source"], last_wins=False,
    ),
)  # fmt: skip


def copy_frame(*, conn: Connection, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """COPY `frame[columns]` into `table` (CSV text: pandas writes it in C, no per-row Python)."""
    data = frame[columns].copy()
    for column in INTEGER_COLUMNS.intersection(columns):
        data[column] = pd.to_numeric(data[column], errors="coerce").round().astype("Int64")
    buffer = io.StringIO()
    # CRLF as the line end makes the csv writer quote any field holding a bare CR or LF (a name from a file may),
    # which PostgreSQL's CSV COPY would otherwise refuse as "unquoted carriage return found in data".
    data.to_csv(buffer, index=False, header=False, lineterminator="\r\n")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


def create_stage(*, conn: Connection, target: Target) -> None:
    """A temp staging table shaped like the target, plus the order rows were staged in (`_seq`)."""
    stage = f"_staged_{target.table}"
    conn.execute(text(f"DROP TABLE IF EXISTS {stage}"))
    conn.execute(text(f"CREATE TEMP TABLE {stage} (LIKE {target.table} INCLUDING DEFAULTS) ON COMMIT DROP"))
    conn.execute(text(f"ALTER TABLE {stage} ADD COLUMN _seq bigint GENERATED ALWAYS AS IDENTITY"))


def merge_staged(*, conn: Connection, target: Target) -> int:
    """INSERT the staged rows (one per key) into the target; on conflict update only what changed."""
    stage, table, columns = f"_staged_{target.table}", target.table, ", ".join(target.columns)
    key = ", ".join(target.key)
    order = "DESC" if target.last_wins else "ASC"
    if target.update:
        new = {c: f"coalesce(EXCLUDED.{c}, {table}.{c})" if c in target.keep_when_null else f"EXCLUDED.{c}"
               for c in target.update}  # fmt: skip
        assignments = ", ".join(f"{c} = {value}" for c, value in new.items())
        current = ", ".join(f"{table}.{c}" for c in target.update)
        incoming = ", ".join(new.values())
        conflict = f"ON CONFLICT ({key}) DO UPDATE SET {assignments} WHERE ({current}) IS DISTINCT FROM ({incoming})"
    else:
        conflict = "ON CONFLICT DO NOTHING"
    result = conn.execute(
        text(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM"
            f" (SELECT DISTINCT ON ({key}) * FROM {stage} ORDER BY {key}, _seq {order}) s"
            f" ORDER BY {key} {conflict}"
        )
    )
    return int(result.rowcount or 0)


def merge_frame(
    *,
    conn: Connection,
    table: str,
    frame: pd.DataFrame,
    columns: list[str],
    key: list[str],
    update: list[str] | None = None,
) -> int:
    """Stage and merge one frame into any table (the benchmarks' experiment tables use it)."""
    if frame.empty:
        return 0
    target = Target(table, table, columns, key, update)
    create_stage(conn=conn, target=target)
    copy_frame(
        conn=conn, table=f"_staged_{table}", frame=frame.drop_duplicates(subset=key, keep="last"), columns=columns
    )
    changed = merge_staged(conn=conn, target=target)
    conn.execute(text(f"DROP TABLE _staged_{table}"))
    return changed


class StagedLoad:
    """Batches staged in temp tables of this transaction, then merged into the real tables at once."""

    def __init__(self, conn: Connection, *, run_id: int | None) -> None:
        self.conn, self.run_id = conn, run_id
        self.staged_rows = 0
        for target in TARGETS:
            create_stage(conn=conn, target=target)

    def add(self, batch: SourceBatch) -> None:
        """Stage one batch (within a frame, a repeated key keeps its last row)."""
        frames = {
            "artists": batch.artists, "artist_genres": batch.artist_genres.dropna(), "tracks": batch.tracks,
            "track_artists": batch.track_artists, "audio_features": batch.audio_features,
            "similar_artists": batch.similar_artists, "observations": batch.observations.assign(run_id=self.run_id),
        }  # fmt: skip
        for target in TARGETS:
            frame = frames[target.frame]
            if frame.empty:
                continue
            frame = frame.drop_duplicates(subset=target.key, keep="last")
            missing = [c for c in OPTIONAL_COLUMNS if c in target.columns and c not in frame.columns]
            frame = frame.assign(**dict.fromkeys(missing))
            copy_frame(conn=self.conn, table=f"_staged_{target.table}", frame=frame, columns=target.columns)
            self.staged_rows += len(frame)

    def merge(self) -> dict[str, int]:
        """Merge everything staged; return the rows inserted or changed per table. Drops the staging tables."""
        counts = {"genres": self._merge_genres()}
        for target in TARGETS:
            counts[target.table] = merge_staged(conn=self.conn, target=target)
        for target in TARGETS:
            self.conn.execute(text(f"DROP TABLE _staged_{target.table}"))
        return counts

    def _merge_genres(self) -> int:
        result = self.conn.execute(
            text(
                "INSERT INTO genres (genre) SELECT DISTINCT genre FROM ("
                " SELECT genre FROM _staged_artists UNION ALL SELECT genre FROM _staged_tracks"
                " UNION ALL SELECT genre FROM _staged_artist_genres) g"
                " WHERE genre IS NOT NULL ORDER BY genre ON CONFLICT DO NOTHING"
            )
        )
        return int(result.rowcount or 0)


def load_batch(*, conn: Connection, batch: SourceBatch, run_id: int | None) -> dict[str, int]:
    """Write one source batch; return the number of rows inserted or changed per table."""
    staged = StagedLoad(conn, run_id=run_id)
    staged.add(batch)
    return staged.merge()
