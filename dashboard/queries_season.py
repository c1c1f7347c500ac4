"""The Seasonality page's SELECTs (agg_seasonality, agg_seasonality_excluded of one publication).

Each takes a keyword-only `conn`; callbacks pass the publication id resolved once per view.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, text

from dashboard.queries import _frame, genre_filter


def seasonality_years(*, conn: Connection, publication_id: int) -> tuple[int, int] | None:
    row = conn.execute(
        text("SELECT min(release_year), max(release_year) FROM agg_seasonality WHERE publication_id = :pid"),
        {"pid": publication_id},
    ).one()
    return (int(row[0]), int(row[1])) if row[0] is not None else None


def seasonality_genres(*, conn: Connection, publication_id: int) -> list[str]:
    rows = conn.execute(
        text("SELECT DISTINCT genre FROM agg_seasonality WHERE publication_id = :pid ORDER BY genre"),
        {"pid": publication_id},
    ).scalars()
    return list(rows)


def seasonality(
    *, conn: Connection, publication_id: int, genre: str | None, year_from: int, year_to: int
) -> pd.DataFrame:
    """Per genre and release month over the year range: tracks, hits, hit rate and mean popularity."""
    return _frame(
        conn,
        "SELECT genre, release_month, sum(n_tracks) AS n_tracks, sum(n_hits) AS n_hits,"
        " CAST(sum(n_hits) AS double precision) / nullif(sum(n_tracks), 0) AS hit_rate,"
        " sum(mean_popularity * n_tracks) / nullif(sum(n_tracks) FILTER"
        "   (WHERE mean_popularity IS NOT NULL), 0) AS mean_popularity"
        " FROM agg_seasonality"
        f" WHERE publication_id = :pid AND release_year BETWEEN :y0 AND :y1{genre_filter(genre)}"
        " GROUP BY genre, release_month ORDER BY genre, release_month",
        {"pid": publication_id, "genre": genre, "y0": year_from, "y1": year_to},
    )


def seasonality_excluded(
    *, conn: Connection, publication_id: int, genre: str | None, year_from: int, year_to: int
) -> tuple[int, int]:
    """(year-only, still open): tracks in the same filter left out because only their release year is known,
    and because they were released less than the hit horizon ago (they have not had the time to become hits)."""
    row = conn.execute(
        text(
            "SELECT coalesce(sum(n_tracks), 0), coalesce(sum(n_open), 0) FROM agg_seasonality_excluded"
            f" WHERE publication_id = :pid AND release_year BETWEEN :y0 AND :y1{genre_filter(genre)}"
        ),
        {"pid": publication_id, "genre": genre, "y0": year_from, "y1": year_to},
    ).one()
    return int(row[0]), int(row[1])


def seasonality_by_year(
    *, conn: Connection, publication_id: int, genre: str, year_from: int, year_to: int
) -> pd.DataFrame:
    """One genre per release year and month (the heatmap's rows when a genre is chosen)."""
    return _frame(
        conn,
        "SELECT CAST(release_year AS text) AS genre, release_month, n_tracks, n_hits,"
        " CAST(n_hits AS double precision) / nullif(n_tracks, 0) AS hit_rate, mean_popularity"
        " FROM agg_seasonality WHERE publication_id = :pid AND genre = :genre"
        "   AND release_year BETWEEN :y0 AND :y1 ORDER BY release_year, release_month",
        {"pid": publication_id, "genre": genre, "y0": year_from, "y1": year_to},
    )
