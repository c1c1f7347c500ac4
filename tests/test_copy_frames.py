"""The CSV COPY of a frame (jobs/copy_frames.py) stores every float64 exactly: Arrow's shortest text reads back
as the same double (NaN as NULL, infinities, -0.0, the extremes), next to text and integer columns."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

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
