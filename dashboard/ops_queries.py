"""The SELECTs of what an admin sees: the run in progress, what a request turned into, alert deliveries.

Every function takes a keyword-only `conn` (a `dashboard.db.reading()` connection) and returns plain rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from core.columnar import read_frame


def running_run(*, conn: Connection, kind: str | None = None) -> dict[str, Any] | None:
    """The newest run still running (of `kind`, when given): its stages so far and its progress."""
    row = conn.execute(
        text(
            "SELECT run_id, kind, trigger, source, requested_by, started_at, heartbeat_at, stages, progress"
            f" FROM job_runs WHERE status = 'running'{'' if kind is None else ' AND kind = :kind'}"
            " ORDER BY run_id DESC LIMIT 1"
        ),
        {"kind": kind},
    ).first()
    return dict(row._mapping) if row else None


def run_outcome(*, conn: Connection, run_id: int) -> dict[str, Any] | None:
    """A run with what it left behind: the publication it wrote (if still kept), the publication serving now,
    whether it republished, and the model version it trained."""
    row = conn.execute(
        text(
            "SELECT r.run_id, r.kind, r.status, r.source, r.snapshot_date, r.error, r.stages, r.progress,"
            " r.row_counts, r.started_at, r.finished_at,"
            " (SELECT publication_id FROM publications WHERE run_id = r.run_id"
            "   ORDER BY publication_id DESC LIMIT 1) AS own_publication,"
            " cur.publication_id AS current_publication, cur.run_id AS current_run,"
            " cur.snapshot_date AS current_snapshot,"
            " m.model_version_id, m.promoted, m.promotion_note"
            " FROM job_runs r"
            " LEFT JOIN LATERAL (SELECT publication_id, run_id, snapshot_date FROM publications"
            "   ORDER BY publication_id DESC LIMIT 1) cur ON true"
            " LEFT JOIN model_versions m ON m.run_id = r.run_id"
            " WHERE r.run_id = :run_id"
        ),
        {"run_id": run_id},
    ).first()
    return dict(row._mapping) if row else None


def request_state(*, conn: Connection, request_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        text(
            "SELECT request_id, kind, source, status, run_id, requested_by FROM refresh_requests WHERE request_id = :id"
        ),
        {"id": request_id},
    ).first()
    return dict(row._mapping) if row else None


def running_run_of_request(*, conn: Connection, request_id: int) -> int | None:
    """The run a claimed (running) request is carrying out: the newest running run of its kind."""
    return conn.execute(
        text(
            "SELECT j.run_id FROM refresh_requests q JOIN job_runs j ON j.status = 'running'"
            " AND j.kind = q.kind AND j.started_at >= q.claimed_at"
            " WHERE q.request_id = :id ORDER BY j.run_id DESC LIMIT 1"
        ),
        {"id": request_id},
    ).scalar()


def deliveries(*, conn: Connection, limit: int = 200) -> pd.DataFrame:
    """Alert deliveries, newest first: key, channel, status, attempts, last error, when sent."""
    return read_frame(
        conn,
        (
            "SELECT delivery_key, channel, status, attempts, coalesce(last_error, '') AS last_error, subject,"
            " created_at, sent_at, CASE WHEN status = 'pending' THEN next_attempt_at END AS next_attempt_at"
            " FROM alert_deliveries ORDER BY created_at DESC, delivery_key, channel LIMIT :limit"
        ),
        {"limit": limit},
    )
