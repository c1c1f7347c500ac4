"""The CSV COPY reader (`core.columnar.copy_out_frame`) gives exactly what `read_frame` gives on hostile text
(quotes, delimiters, newlines, CR, "NA"/"NULL"/"nan" names, empty string against NULL, an id "0001"), floats
with NaN and NULL, bools and dates with NULL; its `:name` parameters are quoted literals, never SQL.

    python -m pytest -n 0 tests/test_columnar_csv.py -q
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection

from core.columnar import copy_out_frame, read_frame

HOSTILE = """
    SELECT * FROM (VALUES
        ('0001', 'Beyoncé "Halo", live', DATE '2026-01-02', 1.5::float8, true),
        ('t2', E'two\\nlines\\r\\nand a CR\\r', NULL, NULL, NULL),
        ('t3', '', DATE '1999-12-31', 'NaN'::float8, false),
        ('t4', NULL, DATE '2000-02-29', -0.0::float8, true),
        ('t5', 'NA', NULL, 2::float8, NULL),
        ('t6', 'NULL', NULL, 3::float8, false),
        ('t7', 'nan', NULL, 4::float8, true),
        ('t8', E'tab\\there; back\\\\slash', NULL, 5::float8, true)
    ) v(id, name, day, score, flag)
    WHERE id <> :skip AND name IS DISTINCT FROM :bad
    ORDER BY id
"""
TYPES = {"id": pa.string(), "name": pa.string(), "day": pa.date32(), "score": pa.float64(), "flag": pa.bool_()}


def test_the_csv_reader_equals_the_row_reader_on_hostile_values(conn: Connection) -> None:
    params = {"skip": "none", "bad": "x' OR true; --"}
    expected = read_frame(conn, HOSTILE, params)
    got = copy_out_frame(conn, HOSTILE, TYPES, params)
    assert len(got) == 8 and got.loc[0, "id"] == "0001" and got.loc[2, "name"] == "" and pd.isna(got.loc[3, "name"])
    assert list(got.loc[4:6, "name"]) == ["NA", "NULL", "nan"]
    assert got.loc[1, "name"] == "two\nlines\r\nand a CR\r" and got.loc[1, "day"] is None
    assert got.loc[0, "day"] == date(2026, 1, 2)
    pd.testing.assert_frame_equal(got, expected)


def test_a_parameter_is_a_literal_and_no_rows_give_the_columns(conn: Connection) -> None:
    one = copy_out_frame(conn, HOSTILE, TYPES, {"skip": "t2", "bad": "NA"})
    assert "t2" not in set(one["id"]) and "t5" not in set(one["id"]) and len(one) == 6
    none = copy_out_frame(conn, HOSTILE + " LIMIT 0", TYPES, {"skip": "", "bad": ""})
    assert list(none.columns) == list(TYPES) and none.empty
