"""What Morning's lists show, read from the current publication: the emerging hits, the risers, the alerts,
the headline counts and the sparklines (dashboard/pages/morning.py renders them).

    read = morning_lists.read_lists(genre, days=7, basis="points")   # None when nothing is published
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection

from core.settings import get_settings
from dashboard import calibration, ops_queries, publication_cache, queries, queries_morning
from dashboard.db import reading

RISER_LIMIT = 15
ALERT_LIMIT = 15
ARTIST_TREND_METRICS = ["spotify_popularity", "lastfm_listeners", "spotify_followers"]


def read_lists(genre: str | None, days: int, basis: str) -> dict[str, Any] | None:
    """Everything Morning's lists show, in one snapshot; None when nothing is published.

    What comes from the publication's own rows is cached per (publication, filters): a publication never
    changes (dashboard/publication_cache.py). The active model and a running training are read every time."""
    size = get_settings().EMERGING_LIST_SIZE
    with reading() as conn:
        publication = queries.current_publication(conn=conn)
        if publication is None:
            return None
        key = ("morning", publication_cache.publication_key(publication), genre, days, basis, size)
        lists = publication_cache.get_or_build(
            key, lambda: publication_lists(conn, publication, genre=genre, days=days, basis=basis, size=size)
        )
        training = ops_queries.running_run(conn=conn, kind="train") if lists["n_scored"] == 0 else None
        return {**lists, "publication": publication, "model": queries.active_model(conn=conn), "training": training}


def publication_lists(
    conn: Connection, publication: queries.Publication, *, genre: str | None, days: int, basis: str, size: int
) -> dict[str, Any]:
    """The lists, counts and sparklines of one publication and filter set (what `read_lists` caches)."""
    pid, day = publication.publication_id, publication.snapshot_date
    emerging = queries_morning.emerging_hits(
        conn=conn, publication_id=pid, genre=genre, limit=size, min_probability=calibration.LIST_FLOOR
    )
    risers = queries_morning.top_risers(
        conn=conn, publication_id=pid, genre=genre, window=days, basis=basis, limit=RISER_LIMIT
    )
    trends = functools.partial(queries_morning.sparklines, conn=conn, day=day)
    return {
        "emerging": emerging,
        "n_scored": queries.scored_track_count(conn=conn, publication_id=pid),
        "risers": risers,
        "spikes": queries_morning.alerts(conn=conn, publication_id=pid, genre=genre, limit=ALERT_LIMIT),
        "genres": queries.leaderboard_genres(conn=conn, publication_id=pid),
        "counts": queries_morning.headline_counts(
            conn=conn, publication_id=pid, genre=genre, floor=calibration.LIST_FLOOR
        ),
        "track_trends": trends(
            entity_type="track", entity_ids=list(emerging["track_id"]), metrics=[get_settings().HIT_METRIC]
        ),
        "artist_trends": trends(
            entity_type="artist", entity_ids=list(risers["artist_id"]), metrics=ARTIST_TREND_METRICS
        ),
    }
