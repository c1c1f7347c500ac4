"""The SQL of alert delivery: what happened in the newest publication, and the `alert_deliveries` record.

Each function takes a keyword-only `conn` and never commits; `jobs.deliver` owns the transactions.
Alerts are read as whole JSON rows (`to_jsonb`), so both shapes of `agg_alerts` work: one row per artist and
metric for the snapshot day (`observed_on`), or one row per artist and spike with a `since` date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

_NEWEST = "(SELECT publication_id FROM publications ORDER BY publication_id DESC LIMIT 1)"


@dataclass(frozen=True)
class Due:
    """A delivery to attempt now."""

    delivery_key: str
    channel: str
    subject: str
    body: str
    attempts: int


def newest_alert_rows(*, conn: Connection) -> list[dict[str, Any]]:
    """Every alert row of the newest publication, as a dict of its columns."""
    rows = conn.execute(text(f"SELECT to_jsonb(a) FROM agg_alerts a WHERE a.publication_id = {_NEWEST}")).scalars()
    return list(rows)


def newest_watched_hits(*, conn: Connection) -> list[dict[str, Any]]:
    """Tracks on someone's watchlist that are hits in the newest publication, with who watches them."""
    result = conn.execute(
        text(
            "SELECT s.track_id, s.name, s.artist_name, s.popularity, s.genre,"
            " string_agg(w.username, ', ' ORDER BY w.username) AS watchers"
            f" FROM agg_track_scores s JOIN user_watchlist w ON w.entity_type = 'track' AND w.entity_id = s.track_id"
            f" WHERE s.publication_id = {_NEWEST} AND s.is_hit"
            " GROUP BY s.track_id, s.name, s.artist_name, s.popularity, s.genre ORDER BY s.track_id"
        )
    )
    return [dict(row._mapping) for row in result]


def artist_watchers(*, conn: Connection, artist_ids: list[str]) -> dict[str, str]:
    """artist id -> 'ana, bo' for the artists someone watches."""
    result = conn.execute(
        text(
            "SELECT entity_id, string_agg(username, ', ' ORDER BY username) FROM user_watchlist"
            " WHERE entity_type = 'artist' AND entity_id = ANY(:ids) GROUP BY entity_id"
        ),
        {"ids": artist_ids},
    )
    return {str(artist): str(users) for artist, users in result}


def record_new(*, conn: Connection, rows: list[dict[str, str]], now: datetime | None) -> int:
    """Insert deliveries not recorded yet (key, channel, subject, body), due at `now` (default: the database's
    now); return how many were new."""
    inserted = 0
    for row in rows:
        result = conn.execute(
            text(
                "INSERT INTO alert_deliveries (delivery_key, channel, subject, body, next_attempt_at)"
                " VALUES (:key, :channel, :subject, :body, coalesce(CAST(:now AS timestamptz), now()))"
                " ON CONFLICT DO NOTHING"
            ),
            {**row, "now": now},
        )
        inserted += int(result.rowcount or 0)
    return inserted


def claim_due(*, conn: Connection, channels: list[str], now: datetime | None) -> Due | None:
    """The oldest pending delivery due by `now` (default: the database's now) on a configured channel, row-locked
    until the transaction ends (a second worker skips it)."""
    row = conn.execute(
        text(
            "SELECT delivery_key, channel, subject, body, attempts FROM alert_deliveries"
            " WHERE status = 'pending' AND channel = ANY(:channels)"
            "   AND next_attempt_at <= coalesce(CAST(:now AS timestamptz), now())"
            " ORDER BY created_at, delivery_key, channel FOR UPDATE SKIP LOCKED LIMIT 1"
        ),
        {"channels": channels, "now": now},
    ).first()
    return Due(*row) if row else None


def mark_sent(*, conn: Connection, due: Due, now: datetime | None) -> None:
    conn.execute(
        text(
            "UPDATE alert_deliveries SET status = 'sent', attempts = attempts + 1,"
            " sent_at = coalesce(CAST(:now AS timestamptz), now())"
            " WHERE delivery_key = :key AND channel = :channel"
        ),
        {"key": due.delivery_key, "channel": due.channel, "now": now},
    )


def mark_attempt_failed(
    *, conn: Connection, due: Due, error: str, retry_in_seconds: float | None, now: datetime | None
) -> None:
    """Count a failed attempt: pending again after `retry_in_seconds`, or failed for good when it is None."""
    conn.execute(
        text(
            "UPDATE alert_deliveries SET attempts = attempts + 1, last_error = :error,"
            " status = CASE WHEN CAST(:retry AS double precision) IS NULL THEN 'failed' ELSE 'pending' END,"
            " next_attempt_at = coalesce(CAST(:now AS timestamptz), now())"
            "   + make_interval(secs => coalesce(CAST(:retry AS double precision), 0))"
            " WHERE delivery_key = :key AND channel = :channel"
        ),
        {"key": due.delivery_key, "channel": due.channel, "error": error[:2000], "retry": retry_in_seconds, "now": now},
    )
