"""The CSV COPY of a frame (jobs/copy_frames.py) stores every float64 exactly: Arrow's shortest text reads back
as the same double (NaN as NULL, infinities, -0.0, the extremes), next to text and integer columns."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from jobs import copy_frames
from jobs.copy_frames import copy_frame


def test_floats_text_and_integers_copy_exactly(conn: Connection) -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([
        [0.1, 57.0, -0.0, 1e-300, 5e-324, 1.7976931348623157e308, math.inf, -math.inf, math.nan, 2.0**53 + 2],
        rng.normal(size=500) * 10.0 ** rng.integers(-12, 12, size=500),
    ])  # fmt: skip
    names = [f'a,"b"\r\n{i}' for i in range(len(values))]
    frame = pd.DataFrame({"i": np.arange(len(values)), "x": values, "name": names, "position": values.clip(-5, 5)})
    conn.execute(text("CREATE TEMP TABLE floats (i integer, x double precision, name text, position integer)"))
    copy_frame(conn=conn, table="floats", frame=frame, columns=["i", "x", "name", "position"])
    rows = conn.execute(text("SELECT i, x, name, position FROM floats ORDER BY i")).all()
    back = np.array([math.nan if x is None else x for _, x, _, _ in rows])
    assert np.array_equal(back, values, equal_nan=True)  # bit for bit but the sign of zero, checked next
    assert np.signbit(back[2]) and [r.name for r in rows] == names
    assert rows[8].x is None  # NaN is NULL, as before
    assert [r.position for r in rows[:3]] == [0, 5, 0]


def test_every_field_reads_back_as_pandas_to_csv_wrote_it(conn: Connection) -> None:
    """Arrow writes the CSV now: booleans are still `True` / `False` in a text column, the empty string, None and
    NA still NULL, dates and nullable integers as they were, and a column Arrow cannot hold (Python objects)
    formatted by pandas (`str`), as `to_csv` did."""
    frame = pd.DataFrame({
        "i": [0, 1, 2],
        "flag": [True, False, True],
        "flag_text": [True, False, None],
        "name": pd.array(["x", "", None], dtype="str"),
        "day": [date(2026, 6, 30), None, date(1900, 1, 1)],
        "n": pd.array([7, None, -3], dtype="Int64"),
        "blob": [{"a": 1}, None, [1, 2]],
    })  # fmt: skip
    conn.execute(text("CREATE TEMP TABLE fields (i integer, flag boolean, flag_text text, name text, day date,"
                      " n bigint, blob text)"))  # fmt: skip
    copy_frame(conn=conn, table="fields", frame=frame, columns=list(frame.columns))
    rows = [tuple(r) for r in conn.execute(text("SELECT * FROM fields ORDER BY i")).all()]
    assert rows == [
        (0, True, "True", "x", date(2026, 6, 30), 7, "{'a': 1}"),
        (1, False, "False", None, None, None, None),
        (2, True, None, None, date(1900, 1, 1), -3, "[1, 2]"),
    ]


def test_a_frame_is_formatted_a_chunk_of_rows_at_a_time_in_one_copy(conn: Connection, monkeypatch) -> None:
    """The text of the 1M refresh's 203k track scores was 96 MiB at once: `copy_frame` formats `chunk_rows` rows
    at a time into one COPY. Every row arrives once and in order; an empty frame copies nothing."""
    sizes: list[int] = []
    real = copy_frames.csv_payload
    monkeypatch.setattr(
        copy_frames, "csv_payload", lambda frame, columns: sizes.append(len(frame)) or real(frame, columns)
    )
    frame = pd.DataFrame({"i": np.arange(10), "name": [f"n{i}" for i in range(10)]})
    conn.execute(text("CREATE TEMP TABLE chunked (i integer, name text)"))
    copy_frame(conn=conn, table="chunked", frame=frame, columns=["i", "name"], chunk_rows=3)
    copy_frame(conn=conn, table="chunked", frame=frame.iloc[:0], columns=["i", "name"], chunk_rows=3)
    assert sizes == [3, 3, 3, 1]
    rows = conn.execute(text("SELECT i, name FROM chunked ORDER BY i")).all()
    assert [tuple(r) for r in rows] == [(i, f"n{i}") for i in range(10)]
