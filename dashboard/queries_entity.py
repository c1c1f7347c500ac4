"""The SELECTs of one track's or one artist's page: its catalogue row, its score, its history, its releases.

Each takes a keyword-only `conn`; the publication id comes from the callback, which resolved it once.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from dashboard.queries import _frame


def track_score(*, conn: Connection, publication_id: int, track_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        text(
            "SELECT s.*, t.album_name, t.release_date_precision, t.duration_ms, t.explicit"
            " FROM agg_track_scores s LEFT JOIN tracks t USING (track_id)"
            " WHERE s.publication_id = :pid AND s.track_id = :tid"
        ),
        {"pid": publication_id, "tid": track_id},
    ).first()
    return dict(row._mapping) if row else None


def track_info(*, conn: Connection, track_id: str) -> dict[str, Any] | None:
    """The catalogue row of a track (for tracks the model has not scored)."""
    row = conn.execute(
        text(
            "SELECT t.track_id, t.name, t.album_name, t.release_date, t.release_date_precision, t.genre,"
            " a.artist_id, a.name AS artist_name"
            " FROM tracks t LEFT JOIN track_artists ta ON ta.track_id = t.track_id AND ta.position = 0"
            " LEFT JOIN artists a ON a.artist_id = ta.artist_id WHERE t.track_id = :tid"
        ),
        {"tid": track_id},
    ).first()
    return dict(row._mapping) if row else None


def metric_history(*, conn: Connection, entity_type: str, entity_id: str, days: int = 365) -> pd.DataFrame:
    """Daily observations of one artist or track (every metric and source) up to a year back."""
    return _frame(
        conn,
        "SELECT observed_on, metric, source, value FROM raw_observations"
        " WHERE entity_type = :kind AND entity_id = :eid"
        "   AND observed_on > (SELECT max(observed_on) FROM raw_observations"
        "                      WHERE entity_type = :kind AND entity_id = :eid) - :days"
        " ORDER BY metric, source, observed_on",
        {"kind": entity_type, "eid": entity_id, "days": days},
    )


def artist_profile(*, conn: Connection, publication_id: int, artist_id: str) -> dict[str, Any] | None:
    """The artist's catalogue row with its leaderboard line of the publication (when it has one)."""
    row = conn.execute(
        text(
            "SELECT a.artist_id, a.name, coalesce(l.genre, a.genre) AS genre, a.source, l.popularity,"
            " l.popularity_7d, l.popularity_28d, l.followers, l.followers_28d_pct, l.listeners,"
            " l.listeners_28d_pct, l.n_tracks"
            " FROM artists a LEFT JOIN agg_artist_leaderboard l"
            "   ON l.artist_id = a.artist_id AND l.publication_id = :pid"
            " WHERE a.artist_id = :aid"
        ),
        {"pid": publication_id, "aid": artist_id},
    ).first()
    return dict(row._mapping) if row else None


def artist_releases(*, conn: Connection, publication_id: int, artist_id: str) -> pd.DataFrame:
    """The artist's tracks, newest first, with their score in the publication where the model scored them."""
    return _frame(
        conn,
        "SELECT t.track_id, t.name, t.release_date, t.release_date_precision, s.popularity, s.is_hit,"
        " s.probability FROM track_artists ta JOIN tracks t USING (track_id)"
        " LEFT JOIN agg_track_scores s ON s.track_id = t.track_id AND s.publication_id = :pid"
        " WHERE ta.artist_id = :aid ORDER BY t.release_date DESC NULLS LAST, t.track_id",
        {"pid": publication_id, "aid": artist_id},
    )
