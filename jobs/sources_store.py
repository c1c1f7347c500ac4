"""Data access for the real sources: the watchlist, run checkpoints, and planner statistics.

Functions take a keyword-only `conn` and never commit; the caller owns the transaction. `StoredState` is the
read-only `SourceState` the sources are built with (sources never import this module: they get the state).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from sqlalchemy import Connection, Engine, text

from jobs.partitions import partition_name
from jobs.sources.base import Checkpoint, WatchItem

# The tables behind each of jobs.load's counts (`raw_observations` is the readers' view of the narrow table).
LOADED_TABLES = {
    "artists": ("artists",), "artist_genres": ("artist_genres",), "tracks": ("tracks",),
    "track_artists": ("track_artists",), "track_audio_features": ("track_audio_features",),
    "raw_observations": ("observations", "observation_entities"),
}  # fmt: skip


def analyze_loaded_tables(
    *, conn: Connection, changed: Mapping[str, int] | None = None, days: tuple[date, date] | None = None
) -> list[str]:
    """Refresh planner statistics after a bulk load, for the tables whose count in `changed` (jobs.load's
    counts) is non-zero, or all of them when None; return the tables analysed. Without it the publish queries
    plan on empty-table estimates and take ~50 s instead of < 1 s on a 500k-observation import (measured).
    With `days` (the first and last day loaded), `observations` is analysed in the months holding them only:
    ANALYZE of the partitioned table samples every month again (and PostgreSQL 15 has no ANALYZE ONLY). The
    whole table is analysed when one of those months was never analysed (a new month: once a month)."""
    tables = [table for key, names in LOADED_TABLES.items() if changed is None or changed.get(key) for table in names]
    months: list[str] | None = None
    if days is not None and "observations" in tables:
        months = _analysed_months(conn=conn, first=days[0], last=days[1])
        if months is not None:
            tables = [name for table in tables for name in (months if table == "observations" else [table])]
    for table in tables:
        conn.execute(text(f"ANALYZE {table}"))
    if "observations" in tables or months:
        _summarize_day_index(conn=conn, partitions=months)
    return tables


def _summarize_day_index(*, conn: Connection, partitions: list[str] | None) -> None:
    """Summarize the new block ranges of the BRIN day index of `partitions` (None: every month). A freshly loaded
    range stays unsummarized until a VACUUM, and a read of one day then scans its whole month."""
    conn.execute(
        text(
            "SELECT brin_summarize_new_values(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam"
            " JOIN pg_inherits h ON h.inhrelid = i.indrelid JOIN pg_class p ON p.oid = i.indrelid"
            " WHERE am.amname = 'brin' AND h.inhparent = 'observations'::regclass"
            "   AND (CAST(:names AS text[]) IS NULL OR p.relname = ANY(CAST(:names AS text[])))"
        ),
        {"names": partitions},
    )


def _analysed_months(*, conn: Connection, first: date, last: date) -> list[str] | None:
    """The partitions of `observations` holding [first, last], or None when one was never analysed."""
    rows = conn.execute(
        text(
            "SELECT c.relname, coalesce(s.last_analyze, s.last_autoanalyze) IS NOT NULL FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
            " WHERE i.inhparent = 'observations'::regclass"
            "   AND c.relname BETWEEN :low AND :high ORDER BY c.relname"
        ),
        {"low": partition_name(first), "high": partition_name(last)},
    ).all()
    return None if not rows or not all(analysed for _, analysed in rows) else [name for name, _ in rows]


def set_run_snapshot_date(*, conn: Connection, run_id: int, day: date) -> None:
    """An import learns its date from the rows: record it on the run once known (if not given up front)."""
    conn.execute(
        text("UPDATE job_runs SET snapshot_date = :day WHERE run_id = :run_id AND snapshot_date IS NULL"),
        {"day": day, "run_id": run_id},
    )


# --- watchlist ---


def add_watch(*, conn: Connection, entity_type: str, spotify_id: str, name: str | None, added_by: str) -> bool:
    """Watch an artist or track; False if it was already watched (its label is updated when given)."""
    result = conn.execute(
        text(
            "INSERT INTO watchlist (entity_type, spotify_id, name, added_by) VALUES (:type, :id, :name, :by)"
            " ON CONFLICT (entity_type, spotify_id)"
            " DO UPDATE SET name = coalesce(EXCLUDED.name, watchlist.name)"
            " RETURNING (xmax = 0) AS created"
        ),
        {"type": entity_type, "id": spotify_id, "name": name, "by": added_by},
    ).scalar_one()
    return bool(result)


def remove_watch(*, conn: Connection, spotify_id: str) -> int:
    return int(conn.execute(text("DELETE FROM watchlist WHERE spotify_id = :id"), {"id": spotify_id}).rowcount)


def list_watch(*, conn: Connection, entity_type: str | None = None) -> list[WatchItem]:
    rows = conn.execute(
        text(
            "SELECT w.entity_type, w.spotify_id, coalesce(w.name, a.name, t.name) AS name,"
            " ma.name AS artist_name"
            " FROM watchlist w"
            " LEFT JOIN artists a ON w.entity_type = 'artist' AND a.artist_id = w.spotify_id"
            " LEFT JOIN tracks t ON w.entity_type = 'track' AND t.track_id = w.spotify_id"
            " LEFT JOIN track_artists ta ON ta.track_id = t.track_id AND ta.position = 0"
            " LEFT JOIN artists ma ON ma.artist_id = ta.artist_id"
            " WHERE CAST(:type AS text) IS NULL OR w.entity_type = :type"
            " ORDER BY w.entity_type, w.spotify_id"
        ),
        {"type": entity_type},
    )
    return [WatchItem(*row) for row in rows]


def known_artist_ids(*, conn: Connection, artist_ids: list[str]) -> set[str]:
    if not artist_ids:
        return set()
    rows = conn.execute(text("SELECT artist_id FROM artists WHERE artist_id = ANY(:ids)"), {"ids": artist_ids})
    return {row[0] for row in rows}


# --- checkpoints ---


def get_checkpoint(*, conn: Connection, source: str) -> Checkpoint | None:
    row = conn.execute(
        text(
            "SELECT source, snapshot_date, status, next_id, done_ids, reason FROM source_checkpoints"
            " WHERE source = :source"
        ),
        {"source": source},
    ).first()
    return Checkpoint(*row) if row else None


def save_checkpoint(*, conn: Connection, checkpoint: Checkpoint, run_id: int | None) -> None:
    conn.execute(
        text(
            "INSERT INTO source_checkpoints"
            " (source, snapshot_date, status, next_id, done_ids, reason, run_id)"
            " VALUES (:source, :day, :status, :next_id, CAST(:done AS jsonb), :reason, :run_id)"
            " ON CONFLICT (source) DO UPDATE SET snapshot_date = EXCLUDED.snapshot_date,"
            " status = EXCLUDED.status, next_id = EXCLUDED.next_id, done_ids = EXCLUDED.done_ids,"
            " reason = EXCLUDED.reason, run_id = EXCLUDED.run_id, updated_at = now()"
        ),
        {
            "source": checkpoint.source,
            "day": checkpoint.snapshot_date,
            "status": checkpoint.status,
            "next_id": checkpoint.next_id,
            "done": json.dumps(checkpoint.done_ids),
            "reason": checkpoint.reason,
            "run_id": run_id,
        },  # fmt: skip
    )


# --- the sources' view ---


class StoredState:
    """`jobs.sources.base.SourceState` read from PostgreSQL, one short transaction per question."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def watchlist(self) -> list[WatchItem]:
        with self.engine.connect() as conn:
            return list_watch(conn=conn)

    def checkpoint(self, source: str) -> Checkpoint | None:
        with self.engine.connect() as conn:
            return get_checkpoint(conn=conn, source=source)

    def known_artist_ids(self, artist_ids: list[str]) -> set[str]:
        with self.engine.connect() as conn:
            return known_artist_ids(conn=conn, artist_ids=artist_ids)
