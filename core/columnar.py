"""Readers from PostgreSQL into pandas and numpy: `read_frame(conn, sql, params)`, used by jobs/ and dashboard/,
and the fixed-width binary COPY codec (`row_dtype`, `copy_out_fixed`, `array_field`) for numeric tables read or
written whole.

    frame = read_frame(conn, "SELECT track_id, probability FROM agg_track_scores WHERE publication_id = :pid",
                       {"pid": 3})

The statement runs through SQLAlchemy (`text()` with bound `:name` parameters: values are never formatted
into the SQL), on the caller's connection and transaction. The rows are then fetched from psycopg's raw
cursor as plain tuples and handed to pandas in one call. `pd.DataFrame(result.fetchall())` on SQLAlchemy
`Row` objects cost 5-20 us a row (pandas probes each Row for a dtype and SQLAlchemy raises internally to
answer); the tuples give the same columns and dtypes (pandas infers them the same way: NULLs as NaN in
numeric columns and None elsewhere, dates as `datetime.date`, timestamps as datetime64) about 5x faster.
`COPY (...) TO STDOUT` into pyarrow was measured too (about 30% faster again on 200k rows) but infers types
from text (an id such as "0001" would become a number), so it is not used for general SELECTs; `copy_out_frame`
does it with the caller's column types instead, for big text reads (the model inputs' catalogue and names, the
discover stage's tracks and similar artists), where the row tuples were the read's peak memory; its bytes come
from `copy_out_bytes` (libpq's COPY messages taken directly).

    entity, hit, features = copy_out_fixed(conn, "SELECT entity, is_hit, features FROM t", ["int4", "bool",
                                           "float8s[35]"])

reads a table of fixed-width fields straight into numpy (the feature table of the score stage): about 30x fewer
Python objects than any row reader. `jobs.binary_copy.copy_payload` writes the same layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import pq
from psycopg import sql as pgsql
from pyarrow import csv
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


# libpq grows a connection's input buffer to the largest message it has received and keeps it for the
# connection's life (and the pool keeps connections): one packed value of a 1M catalogue's 4.2M hashes (64 MB
# of hex) stayed resident through the rest of the run. So a packed read comes as one value per group of rows.


def packed_bytea(
    conn: Connection, piece: str, source: str, group: str, params: Mapping[str, Any] | None = None
) -> bytes:
    """The concatenation of `piece` (a bytea expression) over the rows of `source` (FROM ... WHERE ...), in no
    particular order: `string_agg` per value of `group`, an expression that splits the rows into small groups
    (a hash's top byte: 256 about equal groups; a position shifted right: a fixed number of rows each), so no
    single message is the whole result."""
    values = conn.execute(
        text(f"SELECT string_agg({piece}, ''::bytea) FROM {source} GROUP BY {group}"), dict(params or {})
    ).scalars()
    return b"".join(values)


# Binary COPY with fixed-width rows, both ways, as numpy structured arrays (no per-row Python).
# A row is a 2-byte field count, then per field a 4-byte length and the big-endian value (a NULL is length -1
# and no bytes). When every field has a fixed width (numbers, dates, or a bytea of a known number of floats),
# every row has the same size, so numpy reads or writes the whole stream at once.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
COPY_TRAILER = b"\xff\xff"
SCALARS = {"bool": "?", "int2": ">i2", "int4": ">i4", "int8": ">i8", "float8": ">f8", "date": ">i4"}
PG_EPOCH_DAYS = 10_957  # 2000-01-01, PostgreSQL's day 0, in days since 1970-01-01


ARRAY_OIDS = {"int4": 23, "float4": 700}  # element types of the "int4[N]" / "float4[N]" array kinds


def field_dtype(kind: str) -> np.dtype:
    """The binary value of one field: a scalar kind of `SCALARS`; "float8s[N]": a bytea of N native
    little-endian float64 (a row's vector of floats, NaN included, sent and received as one memcpy); or
    "int4[N]" / "float4[N]": a one-dimensional PostgreSQL array of exactly N non-NULL elements (its header, 5
    int4: dimensions, has-NULLs flag, element type, length, lower bound; then per element a length and the
    big-endian value), written from a (rows x N) matrix (`array_field`)."""
    if kind in SCALARS:
        return np.dtype(SCALARS[kind])
    match = re.fullmatch(r"(float8s|int4|float4)\[(\d+)\]", kind)
    if not match or int(match.group(2)) < 1:
        raise ValueError(f"not a fixed-width kind: {kind!r}")
    size = int(match.group(2))
    if match.group(1) == "float8s":
        return np.dtype(("<f8", (size,)))
    element = np.dtype([("len", ">i4"), ("value", ">i4" if match.group(1) == "int4" else ">f4")])
    return np.dtype([("head", ">i4", (5,)), ("items", element, (size,))])


def is_array_kind(kind: str) -> bool:
    """Whether `kind` is "int4[N]" or "float4[N]" (a PostgreSQL array field, see `field_dtype`)."""
    return "[" in kind and kind.split("[", 1)[0] in ARRAY_OIDS


def array_field(kind: str, matrix: np.ndarray) -> np.ndarray:
    """The binary values of an "int4[N]" / "float4[N]" field (`field_dtype`) from a (rows x N) matrix."""
    if not is_array_kind(kind):
        raise ValueError(f"not an array kind: {kind!r}")
    dtype, element = field_dtype(kind), kind.split("[", 1)[0]
    size = dtype["items"].shape[0]
    if matrix.ndim != 2 or matrix.shape[1] != size:
        raise ValueError(f"{kind} needs a (rows x {size}) matrix, not {matrix.shape}")
    values = np.empty(len(matrix), dtype=dtype)
    values["head"] = (1, 0, ARRAY_OIDS[element], size, 1)
    values["items"]["len"] = 4
    values["items"]["value"] = matrix
    return values


def row_dtype(kinds: Sequence[tuple[str, bool]]) -> np.dtype:
    """One binary COPY row of fields (kind, present); an absent field is NULL: its length -1 and no value."""
    fields: list[tuple[str, Any]] = [("count", ">i2")]
    for index, (kind, present) in enumerate(kinds):
        fields.append((f"len{index}", ">i4"))
        if present:
            fields.append((f"val{index}", field_dtype(kind)))
    return np.dtype(fields)


def copy_out_bytes(conn: Connection, statement: str) -> bytearray:
    """The whole stream of `COPY ... TO STDOUT`, in `conn`'s transaction (begun first, as psycopg begins one).

    PostgreSQL sends one message per row; psycopg's `Copy` iterator costs 2-3 us a message (its wait loop and
    generators), 3.5 s for the 1.3M observations of a 100k-track window, so the messages are taken from libpq
    directly (`pgconn.get_copy_data`, blocking), about 0.3 us each. The statement's results are drained to the
    end, so the connection is left as psycopg expects it (idle in the transaction, or failed with the error
    raised here)."""
    (data,) = copy_out_blocks(conn, statement, 0)
    return data


def copy_out_blocks(conn: Connection, statement: str, block_bytes: int) -> Iterator[bytearray]:
    """`copy_out_bytes` as it arrives, in blocks of at least `block_bytes` (the last may be shorter, or empty;
    0: one block, the whole stream), so a reader can decode a big stream without holding all of it."""
    driver = conn.connection.driver_connection
    pgconn = driver.pgconn  # type: ignore[union-attr]
    if pgconn.transaction_status == pq.TransactionStatus.IDLE and not driver.autocommit:  # type: ignore[union-attr]
        _finish(pgconn, pgconn.exec_(b"BEGIN"), pq.ExecStatus.COMMAND_OK)
    started = pgconn.exec_(statement.encode())
    if started.status != pq.ExecStatus.COPY_OUT:
        _finish(pgconn, started, pq.ExecStatus.COPY_OUT)
    data, size = bytearray(), 0
    try:
        while True:
            size, block = pgconn.get_copy_data(0)
            if size < 0:
                break
            data += block
            if block_bytes and len(data) >= block_bytes:
                yield data
                data = bytearray()
    finally:  # a reader that stops early: the rest is drained, so the connection does not stay in COPY_OUT
        while size >= 0:
            size, _ = pgconn.get_copy_data(0)
        _finish(pgconn, pgconn.get_result(), pq.ExecStatus.COMMAND_OK)
    if size == -2:
        raise psycopg.OperationalError(pgconn.get_error_message().decode(errors="replace"))
    yield data


def _finish(pgconn: Any, result: Any, expected: pq.ExecStatus) -> None:
    """Drain `pgconn`'s remaining results; raise the server's error when `result` is not `expected`."""
    while pgconn.get_result() is not None:
        pass
    if result is None or result.status != expected:
        message = result.error_message.decode(errors="replace") if result is not None else "no result"
        raise psycopg.DatabaseError(message)


def copy_out_fixed(conn: Connection, query: str, kinds: Sequence[str]) -> list[np.ndarray]:
    """The columns of `COPY (query) TO STDOUT (FORMAT binary)`, whose fields are `kinds` and never NULL (a
    NULL raises). `query` is complete SQL (COPY takes no bound parameters): format only trusted values into it."""
    chunks = list(copy_out_fixed_chunks(conn, query, kinds, block_bytes=0))
    if len(chunks) == 1:
        return chunks[0]
    return [np.concatenate([chunk[index] for chunk in chunks]) if chunks else _empty(kind)
            for index, kind in enumerate(kinds)]  # fmt: skip


def copy_out_fixed_chunks(
    conn: Connection, query: str, kinds: Sequence[str], *, block_bytes: int = 32 * 2**20
) -> Iterator[list[np.ndarray]]:
    """`copy_out_fixed` in chunks of rows as the stream arrives (about `block_bytes` of COPY data each; 0: the
    whole stream at once), so a reader folding each chunk into its result never holds the whole stream (the 14M
    observation rows of a 1M-track window are 590 MB of COPY data). Concatenated, the chunks are
    `copy_out_fixed`'s columns; a chunk may be empty."""
    dtype = row_dtype([(kind, True) for kind in kinds])
    pending, started = bytearray(), False
    for block in copy_out_blocks(conn, f"COPY ({query}) TO STDOUT (FORMAT binary)", block_bytes):
        if pending:
            pending += block
        else:
            pending = block  # no copy of a whole-stream block
        if not started:
            if len(pending) < len(COPY_HEADER):
                continue
            if not pending.startswith(COPY_HEADER[:11]):
                raise ValueError("not a binary COPY stream")
            del pending[: len(COPY_HEADER)]
            started = True
        whole = (len(pending) - len(COPY_TRAILER)) // dtype.itemsize * dtype.itemsize  # the trailer stays behind
        if whole > 0:
            yield _decoded(pending, whole, dtype, kinds)
            pending = pending[whole:]  # the part row left, copied: no resize of a buffer a view may still hold
    if not started:
        raise ValueError(f"the COPY stream ended after {len(pending)} bytes, before its {len(COPY_HEADER)}-byte header")
    if pending != COPY_TRAILER:
        raise ValueError("rows of unexpected width: a NULL or a variable-width field")


def _decoded(data: bytearray, size: int, dtype: np.dtype, kinds: Sequence[str]) -> list[np.ndarray]:
    """The native columns of the first `size` bytes of `data`: whole rows of `dtype` (copies: `data` is free
    to change once they are returned)."""
    rows = np.frombuffer(data, dtype=dtype, count=size // dtype.itemsize)
    for index, kind in enumerate(kinds):
        if np.any(rows[f"len{index}"] != field_dtype(kind).itemsize):
            raise ValueError(f"field {index} is NULL or not {kind}")
    columns = [_native(rows[f"val{index}"], kind) for index, kind in enumerate(kinds)]
    del rows  # releases the buffer export before the caller resizes `data`
    return columns


def _empty(kind: str) -> np.ndarray:
    """No values of `kind`, shaped as `_native` gives them."""
    return _native(np.zeros(0, dtype=field_dtype(kind)), kind)


def _native(values: np.ndarray, kind: str) -> np.ndarray:
    """A field's values in native byte order: a (rows x N) matrix for "float8s[N]" and the array kinds, dates as
    datetime64[D]."""
    if kind == "date":
        return (values.astype(np.int64) + PG_EPOCH_DAYS).astype("datetime64[D]")
    if kind in SCALARS:
        return values.astype(values.dtype.newbyteorder("="))
    if is_array_kind(kind):  # (rows x N) elements; a NULL element changes the width: refused
        return values["items"]["value"].astype(values["items"]["value"].dtype.newbyteorder("="))
    return values.astype(np.float64)  # (rows x N), a copy out of the COPY buffer


# Text columns in bulk: `COPY (...) TO STDOUT (FORMAT csv)` parsed by pyarrow's C++ reader with the caller's
# column types (nothing is inferred from the text, so an id "0001" stays a string), then handed to pandas
# column by column: no Python object per row on the way (a row tuple reader held ~350 bytes a row at its peak:
# 144 MiB for 417k similar-artist rows, which at 1M tracks would be 1.4 GiB).
PG_CSV_NULL = ""  # COPY's CSV NULL is an unquoted empty field; an empty string is written quoted ("")


def copy_out_frame(
    conn: Connection, sql: str, types: Mapping[str, Any], params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The rows of one SELECT as `read_frame` gives them (same columns, order and pandas dtypes for text,
    float, bool and date columns), read through a CSV COPY. `types` maps each output column, in order, to a
    pyarrow type (`pa.string()`, `pa.float64()`, `pa.bool_()`, `pa.date32()`). COPY takes no bound
    parameters, so each `:name` is replaced by its value quoted as a literal by psycopg."""
    raw = conn.connection.driver_connection
    values = dict(params or {})

    def literal(match: re.Match[str]) -> str:
        return pgsql.Literal(values[match.group(1)]).as_string(raw)

    query = re.sub(r"(?<![:\w]):([A-Za-z_]\w*)", literal, sql)
    data = copy_out_bytes(conn, f"COPY ({query}) TO STDOUT (FORMAT csv)")
    names = list(types)
    if not data:
        return pa.table({name: pa.array([], type=kind) for name, kind in types.items()}).to_pandas()
    table = csv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=csv.ReadOptions(column_names=names, use_threads=False),
        parse_options=csv.ParseOptions(newlines_in_values=True),
        convert_options=csv.ConvertOptions(
            column_types=dict(types),
            null_values=[PG_CSV_NULL],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),  # fmt: skip
    )
    del data  # parsed: the CSV text goes before the frame is built, and each Arrow column as it is converted
    return table.to_pandas(self_destruct=True)
