"""Text COPY of a pandas frame into a table (CSV written by pandas in C, no per-row Python).

    copy_frame(conn=conn, table="_staged_artists", frame=artists, columns=ARTIST_COLUMNS)

Used for the catalogue's staging tables and the observation dictionary's stage (text ids). Numeric
observation rows go as binary COPY instead (`jobs.binary_copy`).
"""

from __future__ import annotations

import io

import pandas as pd
from sqlalchemy import Connection

INTEGER_COLUMNS = {"duration_ms", "position", "key", "mode", "time_signature"}


def copy_frame(*, conn: Connection, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """COPY `frame[columns]` into `table` (CSV text: pandas writes it in C, no per-row Python)."""
    data = frame[columns].copy()
    for column in INTEGER_COLUMNS.intersection(columns):
        data[column] = pd.to_numeric(data[column], errors="coerce").round().astype("Int64")
    buffer = io.StringIO()
    # CRLF as the line end makes the csv writer quote any field holding a bare CR or LF (a name from a file may),
    # which PostgreSQL's CSV COPY would otherwise refuse as "unquoted carriage return found in data".
    data.to_csv(buffer, index=False, header=False, lineterminator="\r\n")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())
