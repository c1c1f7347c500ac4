"""Statements that INSERT the rows of a SELECT, through a temporary table, so the SELECT may run in parallel.

PostgreSQL plans no part of an `INSERT ... SELECT` in parallel (a query that writes runs on one process); a
`CREATE TABLE ... AS SELECT` may use parallel workers for its SELECT. The publish stage's SQL builders scan days
of `observations` (`jobs.aggregate`): selected into a temporary table first (dropped after use, and at commit
at the latest), then inserted from it, the scan and the aggregate run on `max_parallel_workers_per_gather`
workers and the leader. The rows are the SELECT's, whichever process computed them.

    rows = insert_selected(conn, "agg_artist_leaderboard", "publication_id, artist_id, ...", select, values,
                           order_by="artist_id")
    with selected(conn, select, values) as table:      # several statements reading the same rows
        conn.execute(text(f"INSERT INTO t SELECT ... FROM {table}"))

    pytest tests/test_aggregate_narrow.py tests/test_parallel_select.py
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, text

SELECTED = "_selected"


@contextmanager
def selected(conn: Connection, select: str, values: Mapping[str, Any]) -> Iterator[str]:
    """The rows of `select` (bound with `values`) in a temporary table, whose name this yields; dropped after.
    A failed statement aborts the transaction, whose rollback drops it."""
    conn.execute(text(f"CREATE TEMPORARY TABLE {SELECTED} ON COMMIT DROP AS {select}"), dict(values))
    yield SELECTED
    conn.execute(text(f"DROP TABLE {SELECTED}"))


def insert_selected(
    conn: Connection, table: str, columns: str, select: str, values: Mapping[str, Any], *, order_by: str | None = None
) -> int:
    """INSERT into `table` (`columns`, names the SELECT gives) the rows of `select` (bound with `values`), in
    `order_by` order if given (the primary key's order fills its index at its right edge); returns the rows."""
    with selected(conn, select, values) as rows:
        order = f" ORDER BY {order_by}" if order_by else ""
        result = conn.execute(text(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {rows}{order}"))
    return int(result.rowcount or 0)
