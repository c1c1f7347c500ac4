"""Read what the discover stage needs from PostgreSQL (the stage's only SQL; see `jobs.discover`).

Tracks released by the day with their main artist, genre, audio features and peak hit metric so far; every
credited artist of every track; artists with their latest level; the newest similar-artist list of each artist,
its names resolved to catalogue ids; the watched artists; and which kept publication's similar tracks a run
with unchanged sound inputs can reuse.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, text

from core.columnar import copy_out_frame
from core.columnar import select as _frame
from core.hit_definition import HitDefinition
from jobs.sources.base import AUDIO_FEATURE_COLUMNS

TRACK_TYPES = {
    "track_id": pa.string(), "name": pa.string(), "artist_id": pa.string(), "artist_name": pa.string(),
    "genre": pa.string(), "release_date": pa.date32(), "duration_ms": pa.float64(), "explicit": pa.bool_(),
    "has_audio": pa.bool_(), **{column: pa.float64() for column in AUDIO_FEATURE_COLUMNS[1:]},
    "popularity": pa.float64(),
}  # fmt: skip


def read_tracks(*, conn: Connection, day: date, hit_metric: str) -> pd.DataFrame:
    """One row per track released by `day` (or undated): catalogue, sound and `popularity` = peak of the metric
    (the lowest for chart positions). Tracks without audio features have NaN there."""
    audio = ", ".join(f"af.{c}" for c in AUDIO_FEATURE_COLUMNS[1:])
    peak = HitDefinition(hit_metric).best
    frame = copy_out_frame(
        conn,
        f"""
        SELECT t.track_id, t.name, ta.artist_id, a.name AS artist_name,
               coalesce(t.genre, a.genre, 'unknown') AS genre, t.release_date, t.duration_ms, t.explicit,
               (af.track_id IS NOT NULL) AS has_audio, {audio}, p.peak AS popularity
        FROM tracks t
        LEFT JOIN track_artists ta ON ta.track_id = t.track_id AND ta.position = 0
        LEFT JOIN artists a ON a.artist_id = ta.artist_id
        LEFT JOIN track_audio_features af ON af.track_id = t.track_id
        LEFT JOIN (
            SELECT entity_id, {peak}(value) AS peak FROM raw_observations
            WHERE entity_type = 'track' AND metric = :metric AND observed_on <= :day
            GROUP BY entity_id
        ) p ON p.entity_id = t.track_id
        WHERE t.release_date IS NULL OR t.release_date <= :day
        ORDER BY t.track_id
        """,
        TRACK_TYPES, {"day": day, "metric": hit_metric},
    )  # fmt: skip
    numeric = [*AUDIO_FEATURE_COLUMNS[1:], "popularity", "duration_ms"]
    frame[numeric] = frame[numeric].apply(pd.to_numeric, errors="coerce").astype(float)
    return frame.astype({"has_audio": bool, "explicit": "boolean"})


def read_credits(*, conn: Connection) -> pd.DataFrame:
    """(track_id, artist_id) for every credited artist."""
    return _frame(conn, "SELECT track_id, artist_id FROM track_artists ORDER BY track_id, position")


def read_artists(*, conn: Connection, day: date) -> pd.DataFrame:
    """(artist_id, name, genre, popularity): popularity is the latest Spotify popularity within a week of `day`."""
    frame = _frame(
        conn,
        """
        SELECT a.artist_id, a.name, coalesce(a.genre, 'unknown') AS genre, p.value AS popularity
        FROM artists a
        LEFT JOIN (
            SELECT DISTINCT ON (entity_id) entity_id, value FROM raw_observations
            WHERE entity_type = 'artist' AND metric = 'spotify_popularity'
              AND observed_on BETWEEN CAST(:day AS date) - 6 AND :day
            ORDER BY entity_id, observed_on DESC, source
        ) p ON p.entity_id = a.artist_id
        ORDER BY a.artist_id
        """,
        day=day,
    )
    return frame.astype({"popularity": float})


def read_similar(*, conn: Connection, day: date) -> pd.DataFrame:
    """(artist_id, similar_artist_id, match, source): each artist's newest list on or before `day`; a Last.fm name
    is resolved to the catalogue artist of that name (case-insensitive), unresolved names are dropped."""
    frame = copy_out_frame(
        conn,
        """
        WITH newest AS (
            SELECT s.*, max(observed_on) OVER (PARTITION BY artist_id) AS newest_on
            FROM similar_artists s WHERE observed_on <= :day
        ), names AS (
            SELECT DISTINCT ON (lower(name)) lower(name) AS key, artist_id FROM artists ORDER BY lower(name), artist_id
        )
        SELECT n.artist_id, coalesce(n.similar_artist_id, names.artist_id) AS similar_artist_id,
               coalesce(n.match, 0) AS match, n.source
        FROM newest n LEFT JOIN names ON names.key = lower(n.similar_name)
        WHERE n.observed_on = n.newest_on AND coalesce(n.similar_artist_id, names.artist_id) IS NOT NULL
        ORDER BY n.artist_id, n.match DESC
        """,
        {"artist_id": pa.string(), "similar_artist_id": pa.string(), "match": pa.float64(), "source": pa.string()},
        {"day": day},
    )  # fmt: skip
    return frame.astype({"match": float})


def read_watched_artists(*, conn: Connection) -> list[str]:
    """Watched artists' ids (the Spotify id is the catalogue id for the spotify source)."""
    return [r[0] for r in conn.execute(text("SELECT spotify_id FROM watchlist WHERE entity_type = 'artist'"))]


def read_similar_sources(*, conn: Connection) -> dict[str, int]:
    """Neighbours key -> the newest kept publication whose similar tracks were computed under it (the key is in
    its discover summary, `jobs.discover_sound`) and that still holds them: what a run with identical sound
    inputs may reuse instead of rebuilding the graph."""
    rows = conn.execute(
        text(
            """
            SELECT DISTINCT ON (d.summary -> 'similar' ->> 'key') d.summary -> 'similar' ->> 'key', d.publication_id
            FROM agg_discover_summary d
            WHERE d.summary -> 'similar' ->> 'key' IS NOT NULL
              AND EXISTS (SELECT 1 FROM agg_similar_tracks s WHERE s.publication_id = d.publication_id)
            ORDER BY d.summary -> 'similar' ->> 'key', d.publication_id DESC
            """
        )
    )
    return {str(key): int(publication) for key, publication in rows}
