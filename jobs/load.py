"""Bulk loads into PostgreSQL: catalogue upserts and append-only observations, columnar via COPY.

    staged = StagedLoad(conn, run_id=7)      # temp staging tables, dropped at commit
    for batch in batches:
        staged.add(batch)                    # COPY the catalogue into staging; observations go in now
    counts = staged.merge()                  # one INSERT ... SELECT per catalogue table, same transaction

`load_batch(conn=..., batch=..., run_id=...)` is the same for a single batch. This is the one seam that
writes the catalogue and the observations: the caller owns the transaction, so a file imported as many
chunks and one merge is all-or-nothing (a failure anywhere rolls every table back, the observations, the
dictionary codes and any partition created on the way included).
Catalogue rows are written only when new or changed, checked twice. Before staging, each row's `source_hash`
(`row_hashes`: a 64-bit pandas hash of the row as the source delivered it, key included) is compared with the
hashes stored (migration 0024, read as one packed value): a row delivered before, unchanged, is not even sent, so a
daily run re-sends only the few catalogue rows that are new. Then the merge drops staged rows whose stored
`content_md5` matches before the INSERT (the last staged version of a key wins; a NULL `image_url` keeps the
stored one, so a source without artwork never erases Spotify's). The stored hashes are read once per table for
all the batches of a load (`jobs.load_hashes.KnownHashes`, which an extract shares across its batches'
transactions); a row whose key an earlier batch of the load sent is always sent, so a later batch still
overrides an earlier batch's version of its key.
Observations go to the narrow, month-partitioned `observations` table (`jobs.observation_load`: a binary
COPY straight into the partition when the day is new for its metric and source, else a staged merge with
ON CONFLICT DO NOTHING, so the first value written for a key wins and loading a batch twice changes no row).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from jobs.copy_frames import copy_frame
from jobs.load_hashes import SOURCE_HASH, KnownHashes
from jobs.observation_load import ObservationWriter
from jobs.sources.base import (
    ARTIST_COLUMNS,
    ARTIST_GENRE_COLUMNS,
    AUDIO_FEATURE_COLUMNS,
    OPTIONAL_COLUMNS,
    SIMILAR_ARTIST_COLUMNS,
    TRACK_ARTIST_COLUMNS,
    TRACK_COLUMNS,
    SourceBatch,
)

logger = logging.getLogger(__name__)


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
    hashed: bool = False  # the table stores `content_md5` of the update columns: unchanged rows are skipped
    source_hashed: bool = False  # the table stores `source_hash` (migration 0024): rows delivered before are skipped


# In foreign-key order; genres are derived from the staged artists, tracks and artist genres at merge time.
TARGETS = (
    Target("artists", "artists", ARTIST_COLUMNS, ["artist_id"], ARTIST_COLUMNS[1:-1], keep_when_null=OPTIONAL_COLUMNS,
           hashed=True, source_hashed=True),
    Target("artist_genres", "artist_genres", ARTIST_GENRE_COLUMNS, ARTIST_GENRE_COLUMNS, source_hashed=True),
    Target("tracks", "tracks", TRACK_COLUMNS, ["track_id"], TRACK_COLUMNS[1:-1], keep_when_null=OPTIONAL_COLUMNS,
           hashed=True, source_hashed=True),
    Target("track_artists", "track_artists", TRACK_ARTIST_COLUMNS, ["track_id", "artist_id"], ["position"],
           hashed=True, source_hashed=True),
    Target("track_audio_features", "audio_features", AUDIO_FEATURE_COLUMNS, ["track_id"], AUDIO_FEATURE_COLUMNS[1:],
           hashed=True, source_hashed=True),
    Target("similar_artists", "similar_artists", SIMILAR_ARTIST_COLUMNS, ["artist_id", "similar_name", "observed_on"],
           source_hashed=True),
)  # fmt: skip


def row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One int64 per row of `frame[columns]` (pandas' seeded 64-bit hash, the same in every process): equal rows
    hash equally, and a changed row matches a stored hash of another row with odds of about n / 2**64."""
    return pd.util.hash_pandas_object(frame[columns], index=False).to_numpy().view(np.int64)


def create_stage(*, conn: Connection, target: Target) -> None:
    """A temp staging table shaped like the target, plus the order rows were staged in (`_seq`)."""
    stage = f"_staged_{target.table}"
    conn.execute(text(f"DROP TABLE IF EXISTS {stage}"))
    conn.execute(text(f"CREATE TEMP TABLE {stage} (LIKE {target.table} INCLUDING DEFAULTS) ON COMMIT DROP"))
    conn.execute(text(f"ALTER TABLE {stage} ADD COLUMN _seq bigint GENERATED ALWAYS AS IDENTITY"))


def content_md5(values: list[str]) -> str:
    """SQL for the md5 of a row's content (its update columns), stored in `content_md5`. Migration 0013 fills
    the column for existing rows with the same expression over the same columns."""
    return f"CAST(md5(CAST(ROW({', '.join(values)}) AS text)) AS uuid)"


def merge_staged(*, conn: Connection, target: Target) -> int:
    """INSERT the staged rows (one per key) that are new or changed; on conflict update only what changed.

    A staged row equal to the stored one is dropped by a join before the INSERT (by `content_md5` for hashed
    tables, by its columns otherwise, by key for key-only tables), so an unchanged catalogue costs one hash
    join instead of a speculative insert and a conflict per row. ON CONFLICT stays for concurrent writers."""
    stage, table, key = f"_staged_{target.table}", target.table, ", ".join(target.key)
    hashes = [SOURCE_HASH] if target.source_hashed else []
    order = "DESC" if target.last_wins else "ASC"
    on_key = " AND ".join(f"t.{c} = s.{c}" for c in target.key)
    latest = f"SELECT DISTINCT ON ({key}) * FROM {stage} ORDER BY {key}, _seq {order}"
    source = f"({latest}) s LEFT JOIN {table} t ON {on_key}"
    sort = ", ".join(f"s.{c}" for c in target.key)
    final = {c: f"coalesce(s.{c}, t.{c})" if c in target.keep_when_null else f"s.{c}" for c in target.columns}
    columns, values = list(target.columns), [f"{value} AS {c}" for c, value in final.items()]
    if target.source_hashed:
        columns, values = [*columns, SOURCE_HASH], [*values, f"s.{SOURCE_HASH}"]
    if not target.update:
        changed, conflict = f"t.{target.key[0]} IS NULL", "DO NOTHING"
    elif target.hashed:
        new_hash = content_md5([final[c] for c in target.update])
        columns, values = [*columns, "content_md5"], [*values, new_hash]
        changed = f"t.content_md5 IS DISTINCT FROM {new_hash}"
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*target.update, "content_md5", *hashes])
        conflict = f"DO UPDATE SET {sets} WHERE {table}.content_md5 IS DISTINCT FROM EXCLUDED.content_md5"
    else:
        stored = ", ".join(f"t.{c}" for c in target.update)
        changed = f"({stored}) IS DISTINCT FROM ({', '.join(final[c] for c in target.update)})"
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*target.update, *hashes])
        current, incoming = (", ".join(f"{p}.{c}" for c in target.update) for p in (table, "EXCLUDED"))
        conflict = f"DO UPDATE SET {sets} WHERE ({current}) IS DISTINCT FROM ({incoming})"
    result = conn.execute(
        text(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"
            f" WHERE {changed} ORDER BY {sort} ON CONFLICT ({key}) {conflict}"
        )
    )
    if target.source_hashed:  # a stored row equal to its staged version, but with no hash yet, adopts it
        same = f" AND t.content_md5 = {content_md5([final[c] for c in target.update or []])}" if target.hashed else ""
        conn.execute(
            text(
                f"UPDATE {table} t SET {SOURCE_HASH} = s.{SOURCE_HASH} FROM ({latest}) s"
                f" WHERE {on_key} AND t.{SOURCE_HASH} IS NULL{same}"
            )
        )
    return int(result.rowcount or 0)


class StagedLoad:
    """Batches staged in temp tables of this transaction, then merged into the real tables at once."""

    def __init__(
        self, conn: Connection, *, run_id: int | None, fast_path: bool = True, known: KnownHashes | None = None
    ) -> None:
        """`known`: the hashes of a load of several transactions (an extract's batches); default: this one's."""
        self.conn, self.run_id = conn, run_id
        self.staged_rows = self.observations_inserted = 0
        self.staged: list[Target] = []  # a stage is made for the first batch with rows for its table
        self.known = known if known is not None else KnownHashes()
        self.observations = ObservationWriter(conn, run_id=run_id, fast_path=fast_path)

    def add(self, batch: SourceBatch) -> None:
        """Stage one batch's catalogue and write its observations (within a frame, a repeated key keeps its
        last row; across batches the observation written first wins)."""
        frames = {
            "artists": batch.artists, "artist_genres": batch.artist_genres.dropna(), "tracks": batch.tracks,
            "track_artists": batch.track_artists, "audio_features": batch.audio_features,
            "similar_artists": batch.similar_artists,
        }  # fmt: skip
        for target in TARGETS:
            frame = frames[target.frame]
            if frame.empty:
                continue
            frame = frame.drop_duplicates(subset=target.key, keep="last")
            missing = [c for c in OPTIONAL_COLUMNS if c in target.columns and c not in frame.columns]
            frame = frame.assign(**dict.fromkeys(missing))
            columns = target.columns
            if target.source_hashed:
                hashes = row_hashes(frame, target.columns)
                send = self.known.to_send(conn=self.conn, table=target.table, hashes=hashes,
                                          keys=row_hashes(frame, target.key))  # fmt: skip
                if not send.any():
                    continue
                frame = frame[send].assign(**{SOURCE_HASH: hashes[send]})
                columns = [*columns, SOURCE_HASH]
            if target not in self.staged:
                create_stage(conn=self.conn, target=target)
                self.staged.append(target)
            copy_frame(conn=self.conn, table=f"_staged_{target.table}", frame=frame, columns=columns)
            self.staged_rows += len(frame)
        kept = self.observations.kept_rows
        self.observations_inserted += self.observations.write(batch.observations)  # dedupes on the codes
        self.staged_rows += self.observations.kept_rows - kept

    def merge(self) -> dict[str, int]:
        """Merge everything staged; return the rows inserted or changed per table. Drops the staging tables."""
        self.observations.finish()
        counts = {"genres": self._merge_genres()}
        for target in TARGETS:  # in foreign-key order; a table no batch had rows for is left alone
            counts[target.table] = merge_staged(conn=self.conn, target=target) if target in self.staged else 0
        counts["raw_observations"] = self.observations_inserted
        for target in self.staged:
            self.conn.execute(text(f"DROP TABLE _staged_{target.table}"))
        self.staged = []
        return counts

    def _merge_genres(self) -> int:
        staged = {target.table for target in self.staged} & {"artists", "tracks", "artist_genres"}
        if not staged:
            return 0
        genres = " UNION ALL ".join(f"SELECT genre FROM _staged_{table}" for table in sorted(staged))
        result = self.conn.execute(
            text(
                f"INSERT INTO genres (genre) SELECT DISTINCT genre FROM ({genres}) g"
                " WHERE genre IS NOT NULL ORDER BY genre ON CONFLICT DO NOTHING"
            )
        )
        return int(result.rowcount or 0)


def load_batch(
    *,
    conn: Connection,
    batch: SourceBatch,
    run_id: int | None,
    fast_path: bool = True,
    known: KnownHashes | None = None,
) -> dict[str, int]:
    """Write one source batch; return the number of rows inserted or changed per table. `fast_path=False`
    sends every observation through the staged merge (the tests and the benchmark compare the two). `known`:
    the stored hashes of the load this batch is one of (`jobs.extract`), read once for all its batches."""
    staged = StagedLoad(conn, run_id=run_id, fast_path=fast_path, known=known)
    staged.add(batch)
    return staged.merge()
