"""The worker side of the refresh queue: claim pending requests and run them, one at a time.

Requests are claimed with `FOR UPDATE SKIP LOCKED`, and processing happens under the run lock, so two
workers never run two refreshes at once; a second worker simply finds the lock busy and returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, text

from jobs.errors import RunFailed, RunLockBusy
from jobs.pipeline import exclusive_run

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    request_id: int
    kind: str
    source: str
    trigger: str
    requested_by: str
    snapshot_date: date | None


# Runs one claimed request and returns the job_runs id it produced.
Handler = Callable[[Request], int]


def claim_next(*, conn: Connection) -> Request | None:
    row = conn.execute(
        text(
            "UPDATE refresh_requests SET status = 'running', claimed_at = now()"
            " WHERE request_id = ("
            "   SELECT request_id FROM refresh_requests WHERE status = 'pending'"
            "   ORDER BY requested_at, request_id FOR UPDATE SKIP LOCKED LIMIT 1)"
            " RETURNING request_id, kind, source, trigger, requested_by, snapshot_date"
        )
    ).first()
    return Request(*row) if row else None


def finish_request(*, conn: Connection, request_id: int, ok: bool, run_id: int | None) -> None:
    conn.execute(
        text(
            "UPDATE refresh_requests SET status = :status, finished_at = now(), run_id = :run_id WHERE request_id = :id"
        ),
        {"status": "done" if ok else "failed", "run_id": run_id, "id": request_id},
    )


def process_queue(engine: Engine, handler: Handler) -> int:
    """Run every pending request, oldest first; return how many were processed (0 if another worker is busy)."""
    processed = 0
    try:
        with exclusive_run(engine, wait=False):
            while True:
                with engine.begin() as conn:
                    request = claim_next(conn=conn)
                if request is None:
                    return processed
                logger.info("running %s request %s from %s", request.kind, request.request_id, request.requested_by)
                run_id: int | None = None
                try:
                    run_id = handler(request)
                except Exception as error:
                    logger.exception("request %s failed", request.request_id)
                    failed_run = error.run_id if isinstance(error, RunFailed) else None
                    with engine.begin() as conn:
                        finish_request(conn=conn, request_id=request.request_id, ok=False, run_id=failed_run)
                else:
                    with engine.begin() as conn:
                        finish_request(conn=conn, request_id=request.request_id, ok=True, run_id=run_id)
                processed += 1
    except RunLockBusy:
        logger.debug("another worker holds the run lock; leaving the queue to it")
        return processed
