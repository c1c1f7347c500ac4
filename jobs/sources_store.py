"""Data access for the real sources: planner statistics after bulk imports (and, later, source state tables).

Functions take a keyword-only `conn` and never commit; the caller owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

LOADED_TABLES = (
    "artists",
    "artist_genres",
    "tracks",
    "track_artists",
    "track_audio_features",
    "raw_observations",
)


def analyze_loaded_tables(*, conn: Connection) -> None:
    """Refresh planner statistics after a bulk load. Without it the publish queries plan on empty-table
    estimates and take ~50 s instead of < 1 s on a 500k-observation import (measured)."""
    for table in LOADED_TABLES:
        conn.execute(text(f"ANALYZE {table}"))
