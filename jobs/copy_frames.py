"""Text COPY of a pandas frame into a table (CSV written by Arrow in C++, no per-row Python).

    copy_frame(conn=conn, table="_staged_artists", frame=artists, columns=ARTIST_COLUMNS)

Used for the catalogue's staging tables, the observation dictionary's stage (text ids) and the published
frames with text columns (discover tracks, track scores). Numeric observation rows go as binary COPY instead
(`jobs.binary_copy`). Each column becomes an Arrow array and Arrow's CSV writer formats the lot: float64 as the
shortest text that reads back as the same double (as Python's repr is), every string quoted (so a CR or LF in a
name from a file stays data). pandas' `to_csv` formatted each float and each string through Python: 60-70% of
the float time, then 3.3 of the 3.8 s of the 77,749 discover tracks' CSV under load (Arrow: 0.8 s).

The text is what `to_csv` wrote, field for field, as PostgreSQL reads it: NaN, None and the empty string are
NULL (an unquoted empty field), booleans `True` / `False`. A column Arrow holds as neither numbers, text, booleans
nor dates (e.g. timestamps, Python objects) is formatted by pandas, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Connection

INTEGER_COLUMNS = {"duration_ms", "position", "key", "mode", "time_signature"}
# Rows formatted at a time inside one COPY: the text of the 1M refresh's 203k track scores (their reasons as
# JSON) was 96 MiB at once, and its Arrow columns 30 more, held while the discover stage peaked beside it.
COPY_CHUNK_ROWS = 20_000
_WRITE_OPTIONS = pa_csv.WriteOptions(include_header=False)


def _text_column(values: pd.Series) -> pa.Array:
    """One column as an Arrow array the CSV writer formats like `to_csv` (see the module docstring)."""
    try:
        array = pa.array(values, from_pandas=True)  # NaN and None -> null
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = None
    if array is None or not (
        pa.types.is_integer(array.type) or pa.types.is_floating(array.type) or pa.types.is_boolean(array.type)
        or pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
        or pa.types.is_date32(array.type) or pa.types.is_null(array.type)
    ):  # fmt: skip
        array = pa.array(values.astype(str).where(values.notna(), None), type=pa.large_string())
    if pa.types.is_boolean(array.type):
        return pc.if_else(array, "True", "False")
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):  # '' is NULL, as to_csv wrote it
        return pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)
    return array


def copy_frame(
    *, conn: Connection, table: str, frame: pd.DataFrame, columns: list[str], chunk_rows: int = COPY_CHUNK_ROWS
) -> None:
    """COPY `frame[columns]` into `table` (CSV text: Arrow writes it in C++, no per-row Python), one COPY
    written `chunk_rows` rows at a time, so no more than a chunk's text is held."""
    chunks = (
        csv_payload(frame.iloc[start : start + chunk_rows], columns) for start in range(0, len(frame), chunk_rows)
    )
    copy_csv(conn.connection.driver_connection, table, columns, chunks)


def csv_payload(frame: pd.DataFrame, columns: list[str]) -> memoryview:
    """`frame[columns]` as the CSV text `copy_frame` sends."""
    arrays = []
    for column in columns:
        values = frame[column]
        if column in INTEGER_COLUMNS:
            values = pd.to_numeric(values, errors="coerce").round().astype("Int64")
        arrays.append(_text_column(values))
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(pa.Table.from_arrays(arrays, names=columns), sink, _WRITE_OPTIONS)
    return memoryview(sink.getvalue())


def copy_csv(driver: Any, table: str, columns: list[str], payloads: Iterable[memoryview]) -> None:
    """COPY `csv_payload`s, one after another, into `table` on a psycopg connection (`driver`: a worker thread
    may send them), each made only when the previous one is sent."""
    with driver.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
        for payload in payloads:
            copy.write(payload)
