"""Every SELECT the dashboard runs. Each takes a keyword-only `conn` and returns a DataFrame or a dataclass.

Callbacks resolve the current publication once (`current_publication`) and pass its id to every other
query, so one view never mixes two runs. Only published tables (`publications`, `agg_*`) and the run log
are read here; raw tables are read only for per-entity history pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from core.columnar import read_frame as _frame  # the pages' modules import it from here
from dashboard.db import per_snapshot

ARTIST_ORDERS = {  # order key -> (column, label)
    "level": ("popularity", "Popularity"),
    "growth7": ("popularity_7d", "Popularity change, 7 days (points)"),
    "growth28": ("popularity_28d", "Popularity change, 28 days (points)"),
}


@dataclass(frozen=True)
class Publication:
    publication_id: int
    run_id: int
    snapshot_date: date
    source: str
    is_demo: bool
    published_at: datetime
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    kind: str
    trigger: str
    requested_by: str | None
    source: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class Health:
    now: datetime
    last_published_at: datetime | None


def genre_filter(genre: str | None, column: str = "genre") -> str:
    """` AND genre = :genre`, or nothing for all genres: two statements, each planned for its own index
    (`(:genre IS NULL OR genre = :genre)` would be one plan that can use neither)."""
    return "" if genre is None else f" AND {column} = :genre"


@per_snapshot  # read once per snapshot (dashboard/db.py): a page's parts each ask for it
def current_publication(*, conn: Connection) -> Publication | None:
    """The newest publication (a publication and all its rows were committed together)."""
    row = conn.execute(
        text(
            "SELECT publication_id, run_id, snapshot_date, source, is_demo, published_at, summary"
            " FROM publications ORDER BY publication_id DESC LIMIT 1"
        )
    ).first()
    return Publication(**row._mapping) if row else None


def health(*, conn: Connection) -> Health:
    row = conn.execute(text("SELECT now() AS now, max(published_at) AS last_published_at FROM publications")).one()
    return Health(**row._mapping)


_RUN_COLUMNS = "run_id, kind, trigger, requested_by, source, status, started_at, finished_at, error"


def last_run(*, conn: Connection, status: str | None = None) -> RunInfo | None:
    """The newest run of any kind, or the newest with `status` (e.g. 'succeeded')."""
    row = conn.execute(
        text(
            f"SELECT {_RUN_COLUMNS} FROM job_runs{'' if status is None else ' WHERE status = :status'}"
            " ORDER BY run_id DESC LIMIT 1"
        ),
        {"status": status},
    ).first()
    return RunInfo(**row._mapping) if row else None


def run_history(*, conn: Connection, limit: int = 50) -> pd.DataFrame:
    """Recent runs with their duration in seconds (until now for a running one)."""
    return _frame(
        conn,
        "SELECT run_id, kind, status, trigger, coalesce(requested_by, '') AS requested_by, source,"
        " snapshot_date, started_at,"
        " round(CAST(extract(epoch FROM coalesce(finished_at, now()) - started_at) AS numeric), 1)"
        "   AS duration_s,"
        " stages, row_counts, warnings, coalesce(error, '') AS error"
        " FROM job_runs ORDER BY run_id DESC LIMIT :limit",
        {"limit": limit},
    )


def open_requests(*, conn: Connection) -> pd.DataFrame:
    """Queue requests not finished yet (pending or running), oldest first."""
    return _frame(
        conn,
        "SELECT request_id, kind, source, trigger, requested_by, status, requested_at, run_id"
        " FROM refresh_requests WHERE status IN ('pending', 'running') ORDER BY request_id",
    )


def known_sources(*, conn: Connection) -> list[str]:
    """Sources that have run or published before."""
    rows = conn.execute(text("SELECT source FROM job_runs UNION SELECT source FROM publications ORDER BY 1")).scalars()
    return list(rows)


def leaderboard_genres(*, conn: Connection, publication_id: int) -> list[str]:
    rows = conn.execute(
        text("SELECT DISTINCT genre FROM agg_artist_leaderboard WHERE publication_id = :pid ORDER BY genre"),
        {"pid": publication_id},
    ).scalars()
    return list(rows)


def artist_leaderboard(
    *, conn: Connection, publication_id: int, genre: str | None, order: str, limit: int | None = None
) -> pd.DataFrame:
    """Artists by level or growth (`ARTIST_ORDERS`), best first, optionally in one genre; all if no limit."""
    column, _ = ARTIST_ORDERS[order]
    return _frame(
        conn,
        "SELECT artist_id, name, genre, popularity, popularity_7d, popularity_28d, followers,"
        " followers_7d_pct, followers_28d_pct, listeners, listeners_7d_pct, listeners_28d_pct, n_tracks"
        f" FROM agg_artist_leaderboard WHERE publication_id = :pid{genre_filter(genre)} AND {column} IS NOT NULL"
        f" ORDER BY {column} DESC NULLS LAST, artist_id LIMIT :limit",
        {"pid": publication_id, "genre": genre, "limit": limit},
    )


# --- model outputs (sql/versions/0002_model_outputs.sql) ---


@dataclass(frozen=True)
class ModelVersion:
    model_version_id: int
    created_at: datetime
    is_active: bool
    label: dict[str, Any]
    params: dict[str, Any]
    metrics: dict[str, Any]
    data_window: dict[str, Any]
    feature_importance: list[dict[str, Any]]
    promoted: bool
    promotion_note: str | None


def scored_track_count(*, conn: Connection, publication_id: int) -> int:
    return int(
        conn.execute(
            text("SELECT count(*) FROM agg_track_scores WHERE publication_id = :pid"), {"pid": publication_id}
        ).scalar_one()
    )


def feature_importance(*, conn: Connection, publication_id: int) -> pd.DataFrame:
    return _frame(
        conn,
        "SELECT feature, gain, mean_abs_contribution FROM agg_feature_importance"
        " WHERE publication_id = :pid ORDER BY gain DESC, feature",
        {"pid": publication_id},
    )


_MODEL_COLUMNS = (
    "model_version_id, created_at, is_active, label, params, metrics, data_window, feature_importance,"
    " promoted, promotion_note"
)


def active_model(*, conn: Connection) -> ModelVersion | None:
    row = conn.execute(text(f"SELECT {_MODEL_COLUMNS} FROM model_versions WHERE is_active")).first()
    return ModelVersion(**row._mapping) if row else None


def model_versions(*, conn: Connection, limit: int = 50) -> pd.DataFrame:
    """Every kept model version, newest first, with its headline forward metrics."""
    return _frame(
        conn,
        "SELECT model_version_id, created_at, is_active, promoted,"
        " coalesce(promotion_note, '') AS promotion_note,"
        " CAST(metrics -> 'forward' ->> 'pr_auc' AS double precision) AS pr_auc,"
        " CAST(metrics -> 'forward' ->> 'roc_auc' AS double precision) AS roc_auc,"
        " CAST(metrics -> 'forward' ->> 'precision_at_k' AS double precision) AS precision_at_k,"
        " CAST(metrics -> 'random_split' ->> 'roc_auc' AS double precision) AS random_split_roc_auc,"
        " data_window ->> 'train_from' AS train_from, data_window ->> 'test_to' AS test_to"
        " FROM model_versions ORDER BY model_version_id DESC LIMIT :limit",
        {"limit": limit},
    )


def source_health(*, conn: Connection) -> pd.DataFrame:
    """Per source: its latest run (status, when, error, warnings) and when it last succeeded."""
    return _frame(
        conn,
        "SELECT latest.source, latest.status, latest.kind, latest.started_at, latest.error,"
        " jsonb_array_length(latest.warnings) AS n_warnings, ok.last_success"
        " FROM (SELECT DISTINCT ON (source) source, status, kind, started_at, error, warnings"
        "       FROM job_runs ORDER BY source, run_id DESC) latest"
        " LEFT JOIN (SELECT source, max(finished_at) AS last_success FROM job_runs"
        "            WHERE status = 'succeeded' GROUP BY source) ok USING (source)"
        " ORDER BY latest.source",
    )
