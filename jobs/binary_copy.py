"""PostgreSQL's binary COPY format built from numpy columns, with no per-row Python.

    payload = copy_payload([("int4", entities), ("int2", metrics), ("date", days), ("float8", values),
                            ("int8", run_ids)])          # run_ids may be None: a NULL column
    with cursor.copy("COPY t (a, b, c, d, e) FROM STDIN (FORMAT binary)") as copy:
        copy.write(payload)

Each row is a field count, then per field a 4-byte length and the big-endian value; a NULL is length -1 and
no bytes. A numpy structured array of packed big-endian fields is exactly that layout, so a million rows
encode in milliseconds. Only fixed-width columns are supported, each either all values or all NULL: that is
what the narrow observations table needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH = date(2000, 1, 1)
_DAYS_TO_PG_EPOCH = (PG_EPOCH - date(1970, 1, 1)).days
KINDS = {"int2": ">i2", "int4": ">i4", "int8": ">i8", "float8": ">f8", "date": ">i4"}

Column = tuple[str, np.ndarray | None]


def pg_days(values: Sequence[object] | np.ndarray) -> np.ndarray:
    """Dates (date objects, strings or datetime64) as PostgreSQL's binary date: days since 2000-01-01."""
    days = np.asarray(values, dtype="datetime64[D]").astype(np.int64)
    return (days - _DAYS_TO_PG_EPOCH).astype(np.int32)


def _row_dtype(kinds: Sequence[tuple[str, bool]]) -> np.dtype:
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for index, (kind, present) in enumerate(kinds):
        fields.append((f"len{index}", ">i4"))
        if present:
            fields.append((f"val{index}", KINDS[kind]))
    return np.dtype(fields)


def copy_payload(columns: Sequence[Column]) -> memoryview:
    """The binary COPY stream (header, rows, trailer) of equal-length columns; a None column is all NULL.

    One buffer is allocated for the whole stream: each row's constant part (field count, lengths) is copied
    from a one-row template, then each column is written into its strided field (byte-swapped by numpy)."""
    lengths = {len(values) for _, values in columns if values is not None}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    n_rows = lengths.pop() if lengths else 0
    dtype = _row_dtype([(kind, values is not None) for kind, values in columns])
    template = np.zeros(1, dtype=dtype)
    template["count"] = len(columns)
    for index, (kind, values) in enumerate(columns):
        template[f"len{index}"] = -1 if values is None else np.dtype(KINDS[kind]).itemsize
    buffer = np.empty(len(HEADER) + n_rows * dtype.itemsize + len(TRAILER), dtype=np.uint8)
    buffer[: len(HEADER)] = np.frombuffer(HEADER, dtype=np.uint8)
    buffer[len(buffer) - len(TRAILER) :] = np.frombuffer(TRAILER, dtype=np.uint8)
    rows = buffer[len(HEADER) : len(buffer) - len(TRAILER)].view(dtype)
    rows[:] = template[0]
    for index, (_, values) in enumerate(columns):
        if values is not None:
            rows[f"val{index}"] = values
    return buffer.data
