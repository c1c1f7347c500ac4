"""The scout's lists (Morning, Track, Artist): emerging hits, risers, alerts, 28-day sparklines, the headline
counts of a genre, and the rows the navbar search indexes.

Each takes a keyword-only `conn` and the publication id the callback resolved once, so a view never mixes runs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from dashboard.queries import _frame, genre_filter

# (window, basis) -> ranking column; percent is followers' growth, else listeners' where followers are absent
RISER_ORDERS = {
    (7, "points"): "popularity_7d",
    (28, "points"): "popularity_28d",
    (7, "percent"): "coalesce(followers_7d_pct, listeners_7d_pct)",
    (28, "percent"): "coalesce(followers_28d_pct, listeners_28d_pct)",
}
SPARK_DAYS = 28


def emerging_hits(
    *,
    conn: Connection,
    publication_id: int,
    genre: str | None,
    limit: int,
    min_probability: float = 0.0,
    max_age_days: int | None = None,
) -> pd.DataFrame:
    """Tracks not yet hits at or above a probability floor, most likely first (optionally only recent ones)."""
    age = "" if max_age_days is None else " AND s.days_since_release <= :age"
    return _frame(
        conn,
        "SELECT s.track_id, s.name, s.artist_id, s.artist_name, s.genre, s.release_date, t.release_date_precision,"
        " s.days_since_release, s.popularity, s.momentum_7d, s.probability"
        " FROM agg_track_scores s LEFT JOIN tracks t USING (track_id)"
        f" WHERE s.publication_id = :pid AND NOT s.is_hit{genre_filter(genre, 's.genre')}"
        f"   AND s.probability >= :floor{age}"
        " ORDER BY s.probability DESC, s.track_id LIMIT :limit",
        {"pid": publication_id, "genre": genre, "limit": limit, "age": max_age_days, "floor": min_probability},
    )


def top_risers(
    *, conn: Connection, publication_id: int, genre: str | None, window: int, basis: str, limit: int
) -> pd.DataFrame:
    """Artists rising fastest over 7 or 28 days, in popularity points or in percent of followers/listeners."""
    column = RISER_ORDERS[(window, basis)]
    return _frame(
        conn,
        f"SELECT artist_id, name, genre, popularity, popularity_{window}d AS change_points,"
        f" coalesce(followers_{window}d_pct, listeners_{window}d_pct) AS change_pct"
        " FROM agg_artist_leaderboard"
        f" WHERE publication_id = :pid{genre_filter(genre)} AND {column} IS NOT NULL"
        f" ORDER BY {column} DESC NULLS LAST, artist_id LIMIT :limit",
        {"pid": publication_id, "genre": genre, "limit": limit},
    )


def alerts(*, conn: Connection, publication_id: int, genre: str | None, limit: int) -> pd.DataFrame:
    """One row per artist and spike (day), strongest first: the metrics that spiked (strongest first), and the
    strongest one's value, change, usual daily change and the day the unusual run began."""
    return _frame(
        conn,
        "SELECT artist_id, name, genre, observed_on, array_agg(metric ORDER BY zscore DESC) AS metrics,"
        " max(zscore) AS zscore, min(since) AS since,"
        " (array_agg(value ORDER BY zscore DESC))[1] AS value,"
        " (array_agg(change ORDER BY zscore DESC))[1] AS change,"
        " (array_agg(usual_change ORDER BY zscore DESC))[1] AS usual_change"
        f" FROM agg_alerts WHERE publication_id = :pid{genre_filter(genre)}"
        " GROUP BY artist_id, name, genre, observed_on ORDER BY max(zscore) DESC, artist_id LIMIT :limit",
        {"pid": publication_id, "genre": genre, "limit": limit},
    )


def sparklines(
    *, conn: Connection, entity_type: str, entity_ids: list[str], metrics: list[str], day: date
) -> dict[str, list[float]]:
    """{entity_id: daily values of the last 28 days up to `day`} of the first of `metrics` each entity has."""
    if not entity_ids:
        return {}
    rows = conn.execute(
        text(
            "SELECT entity_id, metric, array_agg(value ORDER BY observed_on) FROM ("
            "  SELECT DISTINCT ON (entity_id, metric, observed_on) entity_id, metric, observed_on, value"
            "  FROM raw_observations WHERE entity_type = :kind AND entity_id = ANY(:ids) AND metric = ANY(:metrics)"
            "    AND observed_on > CAST(:day AS date) - :days AND observed_on <= :day"
            "  ORDER BY entity_id, metric, observed_on, source) daily"
            " GROUP BY entity_id, metric"
        ),
        {"kind": entity_type, "ids": entity_ids, "metrics": metrics, "day": day, "days": SPARK_DAYS},
    ).all()
    rank = {metric: i for i, metric in enumerate(metrics)}
    best: dict[str, tuple[int, list[float]]] = {}
    for entity_id, metric, values in rows:
        if entity_id not in best or rank[metric] < best[entity_id][0]:
            best[entity_id] = (rank[metric], [float(v) for v in values])
    return {entity_id: values for entity_id, (_, values) in best.items()}


def headline_counts(*, conn: Connection, publication_id: int, genre: str | None, floor: float) -> dict[str, Any]:
    """The Morning cards for one genre (or all): artists ranked, rising this week, tracks scored, on the emerging
    list (at or above the floor), artists with a spike."""
    where = f"publication_id = :pid{genre_filter(genre)}"
    row = conn.execute(
        text(
            "SELECT"
            f" (SELECT count(*) FROM agg_artist_leaderboard WHERE {where}) AS n_artists,"
            f" (SELECT count(*) FROM agg_artist_leaderboard WHERE {where} AND popularity_7d > 0) AS n_rising,"
            f" (SELECT count(*) FROM agg_track_scores WHERE {where}) AS n_scored,"
            f" (SELECT count(*) FROM agg_track_scores WHERE {where} AND NOT is_hit AND probability >= :floor)"
            "   AS n_emerging,"
            f" (SELECT count(DISTINCT artist_id) FROM agg_alerts WHERE {where}) AS n_alerted"
        ),
        {"pid": publication_id, "genre": genre, "floor": floor},
    ).one()
    return dict(row._mapping)


def search_rows(*, conn: Connection, publication_id: int) -> pd.DataFrame:
    """Every artist and track the search box can find: kind, id, name, main artist, genre, popularity now."""
    return _frame(
        conn,
        "SELECT 'artist' AS kind, a.artist_id AS id, a.name, a.name AS artist_name,"
        " coalesce(l.genre, a.genre, '') AS genre, l.popularity"
        " FROM artists a LEFT JOIN agg_artist_leaderboard l"
        "   ON l.artist_id = a.artist_id AND l.publication_id = :pid"
        " UNION ALL"
        " SELECT 'track', t.track_id, t.name, coalesce(a.name, ''), coalesce(t.genre, a.genre, ''), s.popularity"
        " FROM tracks t LEFT JOIN track_artists ta ON ta.track_id = t.track_id AND ta.position = 0"
        " LEFT JOIN artists a ON a.artist_id = ta.artist_id"
        " LEFT JOIN agg_track_scores s ON s.track_id = t.track_id AND s.publication_id = :pid",
        {"pid": publication_id},
    )
