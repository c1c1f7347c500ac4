"""The write side of the refresh queue, shared by the Admin page and the worker.

A manual refresh (or retrain) is a row in `refresh_requests`. At most one row per (kind, source) is
pending, enforced by a partial unique index, so concurrent clicks collapse into one request; a
scheduled request carries a `dedupe_key` (`schedule:<date>`) so two clocks cannot both enqueue one day.
A request also counts its `attempts` (claims by a worker) and keeps the `error` it failed with; a request
abandoned by a killed worker is retried up to `QUEUE_MAX_ATTEMPTS` times (`jobs.queue.recover_abandoned`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

KINDS = ("refresh", "train")
TRIGGERS = ("schedule", "manual", "cli")


@dataclass(frozen=True)
class Enqueued:
    request_id: int
    created: bool  # False when an equivalent request was already pending (or the dedupe key was taken)


def enqueue_request(
    *,
    conn: Connection,
    kind: str,
    source: str,
    trigger: str,
    requested_by: str,
    snapshot_date: date | None = None,
    dedupe_key: str | None = None,
) -> Enqueued:
    """Add a request unless an equivalent one is pending; return the request that will serve it."""
    if kind not in KINDS or trigger not in TRIGGERS:
        raise ValueError(f"unknown request kind/trigger: {kind!r}/{trigger!r}")
    params = {
        "kind": kind,
        "source": source,
        "trigger": trigger,
        "by": requested_by,
        "day": snapshot_date,
        "key": dedupe_key,
    }
    inserted = conn.execute(
        text(
            "INSERT INTO refresh_requests (kind, source, trigger, requested_by, snapshot_date, dedupe_key)"
            " VALUES (:kind, :source, :trigger, :by, :day, :key)"
            " ON CONFLICT DO NOTHING RETURNING request_id"
        ),
        params,
    ).scalar()
    if inserted is not None:
        return Enqueued(int(inserted), True)
    existing = conn.execute(
        text(
            "SELECT request_id FROM refresh_requests"
            " WHERE (dedupe_key = :key) OR (status = 'pending' AND kind = :kind AND source = :source)"
            " ORDER BY request_id DESC LIMIT 1"
        ),
        params,
    ).scalar()
    if existing is None:  # the pending row was claimed between our insert and this read: try once more
        return enqueue_request(
            conn=conn, kind=kind, source=source, trigger=trigger, requested_by=requested_by,
            snapshot_date=snapshot_date, dedupe_key=dedupe_key,
        )  # fmt: skip
    return Enqueued(int(existing), False)
