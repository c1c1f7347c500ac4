"""The shared reader (`core.columnar.read_frame`) gives what `pd.DataFrame(result.fetchall())` gave, on tricky
values, and binds its parameters (a quote in a value is data, not SQL).

    python -m pytest tests/test_columnar.py -q
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Connection, event, text

from core.columnar import read_frame

TRICKY = """
    SELECT * FROM (VALUES
        ('t1', 'Beyoncé ☃ «x»', DATE '2026-01-02', TIMESTAMPTZ '2026-01-02 03:04:05+00', 1.5::float8, 3::int4,
         7::bigint, 2.25::numeric, true, ARRAY['a', 'b'], '{"k": [1, null]}'::jsonb),
        ('t2', 'O''Brien; DROP TABLE x', NULL, NULL, NULL, NULL, 8, NULL, NULL, NULL, NULL),
        ('0003', '', DATE '1999-12-31', TIMESTAMPTZ '1999-12-31 23:59:59+00', 'NaN'::float8, 5, 9, 1e-3, false,
         ARRAY[]::text[], 'null'::jsonb)
    ) v(id, name, day, at, score, n, big, amount, flag, tags, doc)
    WHERE id <> :skip
"""


def old_path(conn: Connection, sql: str, params: dict[str, object]) -> pd.DataFrame:
    result = conn.execute(text(sql), params)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


@pytest.mark.parametrize("skip", ["none", "t2", "t1"])
def test_same_frame_as_the_old_path_on_tricky_values(conn: Connection, skip: str) -> None:
    new, old = read_frame(conn, TRICKY, {"skip": skip}), old_path(conn, TRICKY, {"skip": skip})
    pd.testing.assert_frame_equal(new, old)
    assert list(new.columns) == ["id", "name", "day", "at", "score", "n", "big", "amount", "flag", "tags", "doc"]


def test_nulls_dates_and_numbers_keep_their_meaning(conn: Connection) -> None:
    frame = read_frame(conn, TRICKY, {"skip": "none"}).set_index("id")
    assert frame.loc["t1", "day"] == date(2026, 1, 2) and frame.loc["0003", "day"] == date(1999, 12, 31)
    assert pd.isna(frame.loc["t2", "day"]) and pd.isna(frame.loc["t2", "score"])
    assert frame["score"].dtype == "float64" and frame["big"].dtype == "int64"
    assert str(frame["at"].dtype).startswith("datetime64") and pd.isna(frame.loc["t2", "at"])
    assert frame.loc["t2", "name"] == "O'Brien; DROP TABLE x" and frame.loc["t1", "name"] == "Beyoncé ☃ «x»"
    assert frame.index.tolist() == ["t1", "t2", "0003"]  # an id that looks like a number stays text
    assert frame.loc["t1", "doc"] == {"k": [1, None]} and frame.loc["t1", "tags"] == ["a", "b"]


def test_empty_result_keeps_the_columns(conn: Connection) -> None:
    sql = "SELECT 1 AS a, 'x' AS b WHERE false"
    new = read_frame(conn, sql)
    assert list(new.columns) == ["a", "b"] and new.empty
    pd.testing.assert_frame_equal(new, old_path(conn, sql, {}))


def test_a_quote_in_a_parameter_is_a_value(conn: Connection) -> None:
    conn.execute(text("CREATE TEMP TABLE victims (name text)"))
    conn.execute(text("INSERT INTO victims VALUES ('kept')"))
    hostile = "x'); DELETE FROM victims; --"
    frame = read_frame(conn, "SELECT CAST(:v AS text) AS v, (SELECT count(*) FROM victims) AS n", {"v": hostile})
    assert frame.loc[0, "v"] == hostile and frame.loc[0, "n"] == 1
    assert read_frame(conn, "SELECT name FROM victims")["name"].tolist() == ["kept"]


def test_a_packed_read_comes_whole_in_small_values(conn: Connection) -> None:
    """Every row's piece once, and no value near the whole: libpq would keep a buffer that large (core.columnar)."""
    from core.columnar import packed_bytea

    conn.execute(text("CREATE TEMP TABLE hashed AS SELECT (random() * 2 ^ 62)::int8 * (CASE WHEN i % 2 = 0 THEN 1"
                      " ELSE -1 END) AS h FROM generate_series(1, 50000) i"))  # fmt: skip
    stored = np.sort(np.array(conn.execute(text("SELECT h FROM hashed")).scalars().all(), dtype=np.int64))
    values: list[int] = []  # how many values (messages) the read came in
    record = lambda conn, cursor, *args: values.append(cursor.rowcount)  # noqa: E731
    event.listen(conn, "after_cursor_execute", record)
    packed = packed_bytea(conn, "int8send(h)", "hashed WHERE h IS NOT NULL", "h >> 56")
    event.remove(conn, "after_cursor_execute", record)
    assert values and values[-1] >= 100, values  # one value per top byte here (128), not one for the whole table
    np.testing.assert_array_equal(np.sort(np.frombuffer(packed, dtype=">i8").astype(np.int64)), stored)
    largest = conn.execute(text("SELECT max(n) FROM (SELECT count(*) AS n FROM hashed GROUP BY h >> 56) g")).scalar()
    assert largest < len(stored) / 50  # the hash's top byte spreads the rows over ~256 values
    assert packed_bytea(conn, "int8send(h)", "hashed WHERE false", "h >> 56") == b""


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        ([], "ended after 0 bytes, before its 19-byte header"),
        ([b"PGCOPY\n\xff"], "ended after 8 bytes, before its 19-byte header"),
        ([b"PGCOPY\n\xff\r\n\x00" + bytes(8), b"\x00\x01\x00"], "rows of unexpected width"),
    ],
)
def test_a_broken_binary_stream_says_what_broke(
    conn: Connection, monkeypatch: pytest.MonkeyPatch, stream: list[bytes], message: str
) -> None:
    import core.columnar as columnar

    monkeypatch.setattr(columnar, "copy_out_blocks", lambda conn, statement, block_bytes: iter(map(bytearray, stream)))
    with pytest.raises(ValueError, match=message):
        list(columnar.copy_out_fixed_chunks(conn, "SELECT 1", ["int4"]))
