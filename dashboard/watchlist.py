"""Each user's watchlist (`user_watchlist`): the SQL of the star on artist and track pages and of Morning's
"Your watchlist". Reads take a reading connection; writes take a `dashboard.db.writing()` transaction, whose
web-tier engine bounds every statement and lock wait (`WEB_STATEMENT_TIMEOUT_MS`), so a stuck write cannot pin a
gunicorn worker.

Every function takes a keyword-only `conn` and never commits (the caller owns the transaction).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, text

from core.columnar import read_frame

KINDS = ("artist", "track")
MAX_NOTE = 2000
MAX_TAGS = 20


def is_watched(*, conn: Connection, username: str, entity_type: str, entity_id: str) -> bool:
    return bool(
        conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM user_watchlist"
                " WHERE username = :user AND entity_type = :kind AND entity_id = :id)"
            ),
            {"user": username, "kind": entity_type, "id": entity_id},
        ).scalar()
    )


def set_watched(*, conn: Connection, username: str, entity_type: str, entity_id: str, watched: bool) -> None:
    """Star (watched=True) or unstar an artist or track for a user; starring twice keeps the note and tags, and
    an id that is not in the catalogue is not stored."""
    if entity_type not in KINDS:
        raise ValueError(f"cannot watch a {entity_type!r}")
    params = {"user": username, "kind": entity_type, "id": entity_id}
    if watched:
        conn.execute(
            text(
                "INSERT INTO user_watchlist (username, entity_type, entity_id) SELECT :user, :kind, :id"
                " WHERE EXISTS (SELECT 1 FROM artists WHERE :kind = 'artist' AND artist_id = :id)"
                "    OR EXISTS (SELECT 1 FROM tracks WHERE :kind = 'track' AND track_id = :id)"
                " ON CONFLICT DO NOTHING"
            ),
            params,
        )
    else:
        conn.execute(
            text("DELETE FROM user_watchlist WHERE username = :user AND entity_type = :kind AND entity_id = :id"),
            params,
        )


def parse_tags(value: object) -> list[str]:
    """'a, b,,a' -> ['a', 'b']: trimmed, de-duplicated, at most MAX_TAGS of 40 characters each."""
    tags: list[str] = []
    for tag in str(value or "").split(","):
        tag = tag.strip()[:40]
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def update_entry(
    *, conn: Connection, username: str, entity_type: str, entity_id: str, note: object, tags: object
) -> bool:
    """Set the note and tags of one of the user's entries; False when it is not on their list."""
    result = conn.execute(
        text(
            "UPDATE user_watchlist SET note = :note, tags = :tags, updated_at = now()"
            " WHERE username = :user AND entity_type = :kind AND entity_id = :id"
        ),
        {"user": username, "kind": entity_type, "id": entity_id, "note": str(note or "")[:MAX_NOTE],
         "tags": parse_tags(tags)},
    )  # fmt: skip
    return bool(result.rowcount)


def entries(*, conn: Connection, username: str, publication_id: int) -> pd.DataFrame:
    """The user's list, newest first: name, hit probability now (a track's own; an artist's best track's), its
    change since the previous publication, the artist's alerts in this publication, note and tags."""
    return read_frame(
        conn,
        """
            WITH prev AS (SELECT max(publication_id) AS pid FROM publications WHERE publication_id < :pid),
            w AS (SELECT * FROM user_watchlist WHERE username = :user),
            best AS (
                SELECT publication_id, artist_id, max(probability) AS probability FROM agg_track_scores
                WHERE publication_id IN (:pid, (SELECT pid FROM prev))
                  AND artist_id IN (SELECT entity_id FROM w WHERE entity_type = 'artist')
                GROUP BY publication_id, artist_id
            ), rows AS (
                SELECT w.entity_type, w.entity_id, coalesce(s.name, t.name, w.entity_id) AS name,
                       s.artist_name AS artist, s.artist_id AS alert_artist, s.probability,
                       s.probability - p.probability AS change, w.note, w.tags, w.added_at
                FROM w
                LEFT JOIN agg_track_scores s ON s.publication_id = :pid AND s.track_id = w.entity_id
                LEFT JOIN agg_track_scores p ON p.publication_id = (SELECT pid FROM prev) AND p.track_id = w.entity_id
                LEFT JOIN tracks t ON t.track_id = w.entity_id
                WHERE w.entity_type = 'track'
                UNION ALL
                SELECT w.entity_type, w.entity_id, coalesce(a.name, w.entity_id), NULL, w.entity_id, b.probability,
                       b.probability - bp.probability, w.note, w.tags, w.added_at
                FROM w
                LEFT JOIN artists a ON a.artist_id = w.entity_id
                LEFT JOIN best b ON b.publication_id = :pid AND b.artist_id = w.entity_id
                LEFT JOIN best bp ON bp.publication_id = (SELECT pid FROM prev) AND bp.artist_id = w.entity_id
                WHERE w.entity_type = 'artist'
            )
            SELECT r.entity_type, r.entity_id, r.name, coalesce(r.artist, '') AS artist, r.probability, r.change,
                   coalesce((SELECT string_agg(DISTINCT coalesce(to_jsonb(al) ->> 'metric', to_jsonb(al) ->> 'metrics'),
                                               ', ')
                             FROM agg_alerts al WHERE al.publication_id = :pid AND al.artist_id = r.alert_artist),
                            '') AS alerts,
                   r.note, array_to_string(r.tags, ', ') AS tags
            FROM rows r ORDER BY r.added_at DESC, r.entity_id
        """,
        {"user": username, "pid": publication_id},
    )
