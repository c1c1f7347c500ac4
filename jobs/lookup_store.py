"""The worker's SQL for on-demand lookups (`lookup_requests`, written by the dashboard's lookup page).

Every function takes a keyword-only `conn` and never commits (the caller owns the transaction).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class Lookup:
    request_id: int
    username: str
    spotify_id: str


def claim_lookup(*, conn: Connection) -> Lookup | None:
    """The oldest pending lookup, marked running (`FOR UPDATE SKIP LOCKED`: two workers never take the same)."""
    row = conn.execute(
        text(
            "UPDATE lookup_requests SET status = 'running' WHERE request_id = ("
            "  SELECT request_id FROM lookup_requests WHERE status = 'pending'"
            "  ORDER BY request_id FOR UPDATE SKIP LOCKED LIMIT 1)"
            " RETURNING request_id, username, spotify_id"
        )
    ).first()
    return Lookup(*row) if row else None


def finish_lookup(
    *,
    conn: Connection,
    request_id: int,
    status: str,
    message: str | None = None,
    track: dict[str, Any] | None = None,
) -> None:
    """Store the answer: `track` holds track_id, name, artist_name, probability, contributions, feature_values
    model_version_id and scored_with ('first_sight' or 'blanked'; any may be missing)."""
    track = track or {}
    conn.execute(
        text(
            "UPDATE lookup_requests SET status = :status, message = :message, finished_at = now(),"
            " track_id = :track_id, name = :name, artist_name = :artist_name, probability = :probability,"
            " contributions = CAST(:contributions AS jsonb), feature_values = CAST(:feature_values AS jsonb),"
            " model_version_id = :model_version_id, scored_with = :scored_with WHERE request_id = :id"
        ),
        {
            "id": request_id, "status": status, "message": message, "track_id": track.get("track_id"),
            "name": track.get("name"), "artist_name": track.get("artist_name"),
            "probability": track.get("probability"), "model_version_id": track.get("model_version_id"),
            "scored_with": track.get("scored_with"),
            "contributions": json.dumps(track.get("contributions") or {}),
            "feature_values": json.dumps(track.get("feature_values") or {}),
        },
    )  # fmt: skip


def watch_for_user(*, conn: Connection, username: str, track_id: str) -> None:
    """Put a catalogue track on the user's own watchlist (`user_watchlist`, the star on the track page)."""
    conn.execute(
        text(
            "INSERT INTO user_watchlist (username, entity_type, entity_id) SELECT :user, 'track', :id"
            " WHERE EXISTS (SELECT 1 FROM tracks WHERE track_id = :id) ON CONFLICT DO NOTHING"
        ),
        {"user": username, "id": track_id},
    )


def track_label(*, conn: Connection, track_id: str) -> tuple[str, str | None] | None:
    """(track name, main artist name) of a catalogue track, None when it is not in the catalogue."""
    row = conn.execute(
        text(
            "SELECT t.name, a.name FROM tracks t"
            " LEFT JOIN track_artists ta ON ta.track_id = t.track_id AND ta.position = 0"
            " LEFT JOIN artists a ON a.artist_id = ta.artist_id WHERE t.track_id = :id"
        ),
        {"id": track_id},
    ).first()
    return (str(row[0]), row[1]) if row else None
