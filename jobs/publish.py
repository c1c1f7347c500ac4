"""Publish a run's dashboard tables atomically.

A new `publications` row and every aggregate row that belongs to it are written in one transaction; the
dashboard reads the newest publication, so a reader sees the previous run or this one, never a mix, and is
never blocked (PostgreSQL readers do not wait for writers). Publications beyond the newest
`KEEP_PUBLICATIONS` are deleted in the same transaction, their rows with them (ON DELETE CASCADE).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from jobs.aggregate import BUILDERS, AggregateParams, Builder

logger = logging.getLogger(__name__)


def publish(
    *,
    conn: Connection,
    run_id: int,
    source: str,
    is_demo: bool,
    params: AggregateParams,
    summary: dict[str, Any],
    keep: int,
    builders: dict[str, Builder] | None = None,
) -> tuple[int, dict[str, int]]:
    """Write a publication with every aggregate; return its id and the rows written per table."""
    publication_id = int(
        conn.execute(
            text(
                "INSERT INTO publications (run_id, snapshot_date, source, is_demo)"
                " VALUES (:run_id, :day, :source, :demo) RETURNING publication_id"
            ),
            {"run_id": run_id, "day": params.snapshot_date, "source": source, "demo": is_demo},
        ).scalar_one()
    )
    params = replace(params, publication_id=publication_id)
    counts = {name: build(conn, params) for name, build in (builders or BUILDERS).items()}
    conn.execute(
        text("UPDATE publications SET summary = CAST(:summary AS jsonb) WHERE publication_id = :pid"),
        {"summary": json.dumps({**summary, "rows": counts}, default=str), "pid": publication_id},
    )
    pruned = conn.execute(
        text(
            "DELETE FROM publications WHERE publication_id NOT IN"
            " (SELECT publication_id FROM publications ORDER BY publication_id DESC LIMIT :keep)"
        ),
        {"keep": keep},
    ).rowcount
    logger.info("publication %s for %s: %s (pruned %s old)", publication_id, params.snapshot_date, counts, pruned)
    return publication_id, counts


def latest_publication_date(*, conn: Connection) -> date | None:
    return conn.execute(text("SELECT max(snapshot_date) FROM publications")).scalar()
