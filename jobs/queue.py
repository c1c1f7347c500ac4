"""The worker side of the refresh queue: claim pending requests and run them, one at a time.

Requests are claimed with `FOR UPDATE SKIP LOCKED`, and processing happens under the run lock, so two
workers never run two refreshes at once; a second worker simply finds the lock busy and returns.
A request still 'running' when a worker takes the lock was abandoned by a killed worker: it goes back to
'pending' until it has been claimed `max_attempts` times (`QUEUE_MAX_ATTEMPTS`), then fails for good with
the reason (`recover_abandoned`). A request whose run raised fails at once, with the error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, text

from jobs.errors import RunFailed, RunLockBusy
from jobs.lock import exclusive_run

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
            "UPDATE refresh_requests SET status = 'running', claimed_at = now(), attempts = attempts + 1"
            " WHERE request_id = ("
            "   SELECT request_id FROM refresh_requests WHERE status = 'pending'"
            "   ORDER BY requested_at, request_id FOR UPDATE SKIP LOCKED LIMIT 1)"
            " RETURNING request_id, kind, source, trigger, requested_by, snapshot_date"
        )
    ).first()
    return Request(*row) if row else None


def finish_request(
    *, conn: Connection, request_id: int, ok: bool, run_id: int | None, error: str | None = None
) -> None:
    conn.execute(
        text(
            "UPDATE refresh_requests SET status = :status, finished_at = now(), run_id = :run_id, error = :error"
            " WHERE request_id = :id"
        ),
        {"status": "done" if ok else "failed", "run_id": run_id, "id": request_id, "error": error},
    )


def recover_abandoned(*, conn: Connection, max_attempts: int) -> tuple[int, int]:
    """Requests left 'running' by a killed worker: back to 'pending' while under `max_attempts` claims (unless
    an equivalent request is already pending, which serves it), else failed with the reason. Call only while
    holding the run lock. Returns (retried, failed)."""
    retried = conn.execute(
        text(
            "UPDATE refresh_requests r SET status = 'pending', claimed_at = NULL,"
            " error = 'the worker stopped during attempt ' || attempts || ': retrying'"
            " WHERE status = 'running' AND attempts < :max AND NOT EXISTS ("
            "   SELECT 1 FROM refresh_requests p"
            "   WHERE p.status = 'pending' AND p.kind = r.kind AND p.source = r.source)"
        ),
        {"max": max_attempts},
    ).rowcount
    failed = conn.execute(
        text(
            "UPDATE refresh_requests SET status = 'failed', finished_at = now(), error = CASE"
            " WHEN attempts >= :max THEN 'abandoned: the worker stopped during each of its ' || attempts"
            "   || ' attempts; not retried again (QUEUE_MAX_ATTEMPTS = ' || :max || ')'"
            " ELSE 'abandoned: the worker stopped during the run; an equivalent pending request serves it' END"
            " WHERE status = 'running'"
        ),
        {"max": max_attempts},
    ).rowcount
    if retried or failed:
        logger.warning("abandoned requests: %d put back in the queue, %d failed for good", retried, failed)
    return int(retried or 0), int(failed or 0)


def process_queue(engine: Engine, handler: Handler, *, max_attempts: int = 3) -> int:
    """Run every pending request, oldest first; return how many were processed (0 if another worker is busy)."""
    processed = 0
    try:
        with exclusive_run(engine, wait=False):
            with engine.begin() as conn:
                recover_abandoned(conn=conn, max_attempts=max_attempts)
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
                        finish_request(
                            conn=conn, request_id=request.request_id, ok=False, run_id=failed_run,
                            error=f"{type(error).__name__}: {error}"[:2000],
                        )  # fmt: skip
                else:
                    with engine.begin() as conn:
                        finish_request(conn=conn, request_id=request.request_id, ok=True, run_id=run_id)
                processed += 1
    except RunLockBusy:
        logger.debug("another worker holds the run lock; leaving the queue to it")
        return processed
