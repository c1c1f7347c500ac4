"""The lookup page's SQL (`lookup_requests`): queue a lookup of a Spotify track, read its answer.

The worker answers the request (jobs/lookup.py); the web tier only writes the request and polls it.
Every function takes a keyword-only `conn` and never commits (the caller owns the transaction).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

ANSWER_COLUMNS = ("request_id", "spotify_id", "status", "track_id", "name", "artist_name", "probability",
                  "contributions", "feature_values", "message", "model_version_id", "scored_with")  # fmt: skip


def is_tracked(*, conn: Connection, track_id: str) -> bool:
    return bool(
        conn.execute(text("SELECT EXISTS (SELECT 1 FROM tracks WHERE track_id = :id)"), {"id": track_id}).scalar()
    )


def waiting_lookups(*, conn: Connection, username: str) -> int:
    """How many of the user's lookups the worker has not answered yet."""
    query = text("SELECT count(*) FROM lookup_requests WHERE username = :user AND status IN ('pending', 'running')")
    return int(conn.execute(query, {"user": username}).scalar_one())


def queue_lookup(*, conn: Connection, username: str, spotify_id: str) -> int:
    """A new lookup request for the user; the user's own pending request for the same id is reused."""
    existing = conn.execute(
        text(
            "SELECT request_id FROM lookup_requests WHERE username = :user AND spotify_id = :id"
            " AND status IN ('pending', 'running') ORDER BY request_id DESC LIMIT 1"
        ),
        {"user": username, "id": spotify_id},
    ).scalar()
    if existing is not None:
        return int(existing)
    return int(
        conn.execute(
            text("INSERT INTO lookup_requests (username, spotify_id) VALUES (:user, :id) RETURNING request_id"),
            {"user": username, "id": spotify_id},
        ).scalar_one()
    )


def lookup_answer(*, conn: Connection, request_id: int, username: str) -> dict[str, Any] | None:
    """The request as the worker left it (only the requester's own), None when there is no such request."""
    row = conn.execute(
        text(f"SELECT {', '.join(ANSWER_COLUMNS)} FROM lookup_requests WHERE request_id = :id AND username = :user"),
        {"id": request_id, "user": username},
    ).first()
    return dict(zip(ANSWER_COLUMNS, row, strict=True)) if row else None


def version_metrics(*, conn: Connection, model_version_id: int | None) -> dict[str, Any] | None:
    """The stored report (`model_versions.metrics`) of the version that scored a lookup, None when unknown."""
    if model_version_id is None:
        return None
    query = text("SELECT metrics FROM model_versions WHERE model_version_id = :id")
    metrics = conn.execute(query, {"id": model_version_id}).scalar()
    return dict(metrics) if isinstance(metrics, dict) else None
