"""PostgreSQL's binary COPY format built from numpy columns, with no per-row Python.

    payload = copy_payload([("int4", entities), ("int2", metrics), ("date", days), ("float8", values),
                            ("int8", run_ids)])          # run_ids may be None: a NULL column
    with cursor.copy("COPY t (a, b, c, d, e) FROM STDIN (FORMAT binary)") as copy:
        copy.write(payload)

Each row is a field count, then per field a 4-byte length and the big-endian value; a NULL is length -1 and
no bytes. A numpy structured array of packed big-endian fields is exactly that layout, so a million rows
encode in milliseconds. Only fixed-width columns are supported (`core.columnar.field_dtype`: numbers, dates,
"float8s[N]", a bytea of N floats per row, and "int4[N]" / "float4[N]", arrays of N elements per row, each
given as a (rows x N) matrix), each either all values or all NULL: what the narrow observations table, the
feature table and the published similar tracks need. `core.columnar.copy_out_fixed` reads it back.

    copy_columns(conn, "observations_y2027m06", ["entity", ...], columns)   # the same stream, sent in chunks

builds and sends `CHUNK_ROWS` rows at a time in one reused buffer: the server parses a chunk while the next
is built, and no buffer of the whole stream (54 MB for a million observations) is allocated and faulted in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection

from core.columnar import COPY_HEADER, COPY_TRAILER, PG_EPOCH_DAYS, array_field, field_dtype, is_array_kind, row_dtype

Column = tuple[str, np.ndarray | None]


def pg_days(values: Sequence[object] | np.ndarray) -> np.ndarray:
    """Dates (date objects, strings or datetime64) as PostgreSQL's binary date: days since 2000-01-01."""
    days = np.asarray(values, dtype="datetime64[D]").astype(np.int64)
    return (days - PG_EPOCH_DAYS).astype(np.int32)


CHUNK_ROWS = 65_536  # rows per chunk of `copy_columns`: a few MB, sent while the next is built


def _layout(columns: Sequence[Column]) -> tuple[int, np.ndarray]:
    """(rows, a one-row template of the row dtype with its constant part set: field count and lengths)."""
    lengths = {len(values) for _, values in columns if values is not None}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    template = np.zeros(1, dtype=row_dtype([(kind, values is not None) for kind, values in columns]))
    template["count"] = len(columns)
    for index, (kind, values) in enumerate(columns):
        template[f"len{index}"] = -1 if values is None else field_dtype(kind).itemsize
    return (lengths.pop() if lengths else 0), template


def _stamp(rows: np.ndarray, template: np.ndarray) -> None:
    """Copy the template's row into every row of `rows` as plain bytes: numpy's record-by-record assignment of a
    structured scalar (`rows[:] = template[0]`) cost 7x writing every value of a million rows."""
    rows.view(np.uint8).reshape(len(rows), template.itemsize)[:] = template.view(np.uint8)


def _fill(rows: np.ndarray, columns: Sequence[Column], start: int) -> None:
    """Write rows `start` .. `start + len(rows)` of `columns` into `rows` (a view of the row dtype whose constant
    part, field count and lengths, is already the template's)."""
    for index, (kind, values) in enumerate(columns):
        if values is not None:
            chunk = values[start : start + len(rows)]
            rows[f"val{index}"] = array_field(kind, chunk) if is_array_kind(kind) else chunk


def copy_payload(columns: Sequence[Column]) -> memoryview:
    """The binary COPY stream (header, rows, trailer) of equal-length columns; a None column is all NULL.

    One buffer is allocated for the whole stream: each row's constant part (field count, lengths) is copied
    from a one-row template, then each column is written into its strided field (byte-swapped by numpy)."""
    n_rows, template = _layout(columns)
    buffer = np.empty(len(COPY_HEADER) + n_rows * template.itemsize + len(COPY_TRAILER), dtype=np.uint8)
    buffer[: len(COPY_HEADER)] = np.frombuffer(COPY_HEADER, dtype=np.uint8)
    buffer[len(buffer) - len(COPY_TRAILER) :] = np.frombuffer(COPY_TRAILER, dtype=np.uint8)
    rows = buffer[len(COPY_HEADER) : len(buffer) - len(COPY_TRAILER)].view(template.dtype)
    _stamp(rows, template)
    _fill(rows, columns, 0)
    return buffer.data


def copy_columns(
    conn: Connection,
    table: str,
    names: Sequence[str],
    columns: Sequence[Column],
    *,
    chunk_rows: int = CHUNK_ROWS,
    freeze: bool = False,
) -> None:
    """COPY equal-length columns (`names` in their order) into `table`: the `copy_payload` stream, built and
    sent `chunk_rows` rows at a time in one reused buffer (psycopg hands each chunk to libpq before returning).
    `freeze`: COPY ... FREEZE, for a table created in the current subtransaction (PostgreSQL refuses it
    otherwise, and the transaction is then lost: the caller must know)."""
    n_rows, template = _layout(columns)
    buffer = np.empty(min(n_rows, chunk_rows) * template.itemsize, dtype=np.uint8).view(template.dtype)
    _stamp(buffer, template)  # the constant part once: each chunk then writes only the values
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    options = "FORMAT binary, FREEZE" if freeze else "FORMAT binary"
    with cursor.copy(f'COPY "{table}" ({", ".join(names)}) FROM STDIN ({options})') as copy:
        copy.write(COPY_HEADER)
        for start in range(0, n_rows, chunk_rows):
            rows = buffer[: min(chunk_rows, n_rows - start)]
            _fill(rows, columns, start)
            copy.write(rows.data.cast("B"))
        copy.write(COPY_TRAILER)


def copy_in(conn: Connection, table: str, columns: Sequence[str], payload: bytes | memoryview) -> None:
    """COPY a `copy_payload` stream into `table` (`columns` in the payload's order), in `conn`'s transaction."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN (FORMAT binary)') as copy:
        copy.write(payload)
