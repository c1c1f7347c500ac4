"""The observations of a window of days as a compact frame, read from the narrow table by binary COPY.

    obs = observation_frame(conn=conn, first=first, last=last)   # OBSERVATION_COLUMNS, one row per stored row
    best = prior_best_frame(conn=conn, metric="spotify_popularity", before=first, best="max")

`observations` (migration 0013) holds an int4 entity, int2 metric and source codes, a date and a float. They
are read as they are stored (one binary COPY into numpy, `core.columnar.copy_out_fixed`: no Python object per
row), and the text columns of `model.frames.OBSERVATION_COLUMNS` are pandas categoricals over the dictionaries
(`observation_entities`, `_metrics`, `_sources`): each distinct id is one string, each row a small int code.
At 100k tracks that is about 20 bytes a row where the `raw_observations` view's rows, fetched as tuples of
Python strings, took about 500; the values and the rows are the same (tests/test_observation_frames.py).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv
from sqlalchemy import Connection, text

from core.columnar import copy_out_fixed, copy_out_fixed_chunks
from model.panels import Panel, PanelGrid, panel_window

ENTITY_TYPES = ["artist", "track"]
OBSERVATION_KINDS = ["int4", "int2", "int2", "date", "float8"]  # entity, metric, source, observed_on, value


def observation_frame(*, conn: Connection, first: date, last: date) -> pd.DataFrame:
    """Every stored observation with `first` <= observed_on <= `last`: entity_type, entity_id, metric and
    source as categoricals, observed_on as datetime64, value as float64."""
    entity, metric, source, day, value = copy_out_fixed(conn, _window_query(first, last), OBSERVATION_KINDS)
    codes, entity_type, ids = _entities(conn)
    position = _positions(codes, entity)
    id_codes, id_names = pd.factorize(ids)
    return pd.DataFrame(
        {
            "entity_type": pd.Categorical.from_codes(entity_type[position], categories=ENTITY_TYPES),
            "entity_id": pd.Categorical.from_codes(id_codes[position], categories=pd.Index(id_names)),
            "metric": _named(conn, "observation_metrics", "metric", metric),
            "observed_on": day.astype("datetime64[ns]"),
            "source": _named(conn, "observation_sources", "source", source),
            "value": value,
        }
    )


@dataclass
class WindowPanels:
    """The panels of a window's observations (`model.panels`), per entity type and metric, with their days."""

    start: pd.Timestamp
    n_days: int
    track: dict[str, Panel]
    artist: dict[str, Panel]


def observation_panels(
    *, conn: Connection, first: date, last: date, until: pd.Timestamp | None = None
) -> WindowPanels | None:
    """The panels `model.features.FeatureContext.build` makes of `observation_frame(first, last)` (with
    `until`), read chunk by chunk from the COPY stream into a `model.panels.PanelGrid`: no long frame, so at 1M
    tracks the 14M rows' 590 MB of COPY data and their frame and its normalised copies are never held. None
    when more than one source is stored: their values of one key are averaged (`ModelFrames.normalised`) from
    the frame."""
    if conn.execute(text("SELECT count(*) FROM observation_sources")).scalar_one() > 1:
        return None
    codes, entity_type, ids = _entities(conn)
    id_codes, id_names = pd.factorize(ids)
    rows, type_ids = np.zeros(len(codes), dtype=np.int64), {}
    for type_code, name in enumerate(ENTITY_TYPES):  # each type's rows in the order of the frame's categories
        members = np.flatnonzero(entity_type == type_code)
        members = members[np.argsort(id_codes[members], kind="stable")]
        rows[members] = np.arange(len(members))
        type_ids[name] = pd.Index(id_names).take(id_codes[members])
    metric_names = _names(conn, "observation_metrics", "metric")
    grid = PanelGrid({name: len(type_ids[name]) for name in ENTITY_TYPES}, pd.Timestamp(first))
    first_day = np.datetime64(_iso(first), "D")
    for entity, metric, _, day, value in copy_out_fixed_chunks(conn, _window_query(first, last), OBSERVATION_KINDS):
        position = _positions(codes, entity)
        kind, row, days = entity_type[position], rows[position], (day - first_day).astype(np.int64)
        for code in np.unique(metric):
            of_metric = metric == code
            for type_code, name in enumerate(ENTITY_TYPES):
                at = of_metric & (kind == type_code)
                if at.any():
                    grid.add(name, metric_names[int(code)], row[at], days[at], value[at])
    start, n_days = panel_window(*grid.seen_days(), until)
    return WindowPanels(start, n_days, grid.panels("track", type_ids["track"], start, n_days),
                        grid.panels("artist", type_ids["artist"], start, n_days))  # fmt: skip


def prior_best_frame(*, conn: Connection, metric: str, before: date, best: str) -> pd.DataFrame:
    """Each track's `best` ("max" or "min") value of `metric` before the day `before`: metric, track_id, best."""
    if best not in ("max", "min"):
        raise ValueError(f"best must be 'max' or 'min', not {best!r}")
    rows = conn.execute(
        text(
            f"SELECT e.entity_id, {best}(o.value) FROM observations o"
            " JOIN observation_metrics m ON m.metric = o.metric AND m.name = :metric"
            " JOIN observation_entities e ON e.entity = o.entity AND e.entity_type = 'track'"
            " WHERE o.observed_on < :before GROUP BY e.entity_id"
        ),
        {"metric": metric, "before": before},
    ).all()
    track_ids = [row[0] for row in rows]
    return pd.DataFrame({"metric": metric, "track_id": pd.Series(track_ids, dtype=object),
                         "best": np.array([row[1] for row in rows], dtype=float)})  # fmt: skip


def _window_query(first: date, last: date) -> str:
    return ("SELECT entity, metric, source, observed_on, value FROM observations"
            f" WHERE observed_on BETWEEN DATE '{_iso(first)}' AND DATE '{_iso(last)}'")  # fmt: skip


def _positions(codes: np.ndarray, entity: np.ndarray) -> np.ndarray:
    """Each observation's position in the dictionary (`codes`, sorted); raises for an unknown entity."""
    position = np.searchsorted(codes, entity)
    if len(entity) and (position.max(initial=0) >= len(codes) or (codes[np.minimum(position, len(codes) - 1)]
                                                                  != entity).any()):  # fmt: skip
        raise ValueError("an observation's entity is not in observation_entities")
    return position


def _names(conn: Connection, table: str, code: str) -> dict[int, str]:
    return {int(row[0]): str(row[1]) for row in conn.execute(text(f"SELECT {code}, name FROM {table}")).all()}


def _iso(day: date) -> str:
    return date.fromordinal(day.toordinal()).isoformat()  # a real date, whatever was passed: safe to format


def _entities(conn: Connection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The dictionary, ordered by code: (codes, type code per entity (ENTITY_TYPES), entity ids)."""
    buffer = io.BytesIO()
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(
        "COPY (SELECT entity, entity_type = 'track', entity_id FROM observation_entities ORDER BY entity)"
        " TO STDOUT (FORMAT csv)"
    ) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    table = csv.read_csv(
        buffer,
        read_options=csv.ReadOptions(column_names=["entity", "is_track", "entity_id"]),
        convert_options=csv.ConvertOptions(
            column_types={"entity": pa.int32(), "is_track": pa.string(), "entity_id": pa.string()},
            strings_can_be_null=False, quoted_strings_can_be_null=False,
        ),
    )  # fmt: skip
    codes = table.column("entity").to_numpy()
    is_track = (table.column("is_track").to_numpy(zero_copy_only=False) == "t").astype(np.int8)
    ids = table.column("entity_id").to_numpy(zero_copy_only=False)
    return codes, is_track, ids


def _named(conn: Connection, table: str, code: str, values: np.ndarray) -> pd.Categorical:
    """int2 codes as a categorical of their names (`table`'s (code, name) rows)."""
    rows = conn.execute(text(f"SELECT {code}, name FROM {table} ORDER BY {code}")).all()
    lookup = np.full(max((int(row[0]) for row in rows), default=0) + 1, -1, dtype=np.int32)
    for index, row in enumerate(rows):
        lookup[int(row[0])] = index
    positions = lookup[values] if len(values) else np.zeros(0, dtype=np.int32)
    if (positions < 0).any():
        raise ValueError(f"a code is not in {table}")
    return pd.Categorical.from_codes(positions, categories=pd.Index([str(row[1]) for row in rows]))
