"""One reader from PostgreSQL into pandas: `read_frame(conn, sql, params)`, used by jobs/ and dashboard/.

    frame = read_frame(conn, "SELECT track_id, probability FROM agg_track_scores WHERE publication_id = :pid",
                       {"pid": 3})

The statement runs through SQLAlchemy (`text()` with bound `:name` parameters: values are never formatted
into the SQL), on the caller's connection and transaction. The rows are then fetched from psycopg's raw
cursor as plain tuples and handed to pandas in one call. `pd.DataFrame(result.fetchall())` on SQLAlchemy
`Row` objects cost 5-20 us a row (pandas probes each Row for a dtype and SQLAlchemy raises internally to
answer); the tuples give the same columns and dtypes (pandas infers them the same way: NULLs as NaN in
numeric columns and None elsewhere, dates as `datetime.date`, timestamps as datetime64) about 5x faster.
`COPY (...) TO STDOUT` into pyarrow was measured too (about 30% faster again on 200k rows) but infers types
from text (an id such as "0001" would become a number), so it is not used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text


def read_frame(conn: Connection, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The rows of one SELECT as a frame whose columns are the statement's, in its order (empty: no rows)."""
    result = conn.execute(text(sql), dict(params or {}))
    try:
        columns = list(result.keys())
        rows = result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()
    return pd.DataFrame(rows, columns=columns)


def select(conn: Connection, sql: str, **params: Any) -> pd.DataFrame:
    """`read_frame` with the parameters as keywords: `select(conn, "... WHERE day = :day", day=day)`."""
    return read_frame(conn, sql, params)
