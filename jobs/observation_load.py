"""Write observation frames into the narrow, month-partitioned `observations` table (migration 0013).

    writer = ObservationWriter(conn, run_id=7)   # inside the caller's transaction (jobs.load.StagedLoad)
    inserted = writer.write(frame)               # OBSERVATION_COLUMNS; returns the rows inserted

A frame's text ids become codes first: `(entity_type, entity_id)` -> int4 from `observation_entities`,
metric and source names -> int2 (new ones are added, in this transaction, so a rollback removes them too).
The monthly partitions the frame's days need are created (`jobs.partitions`). Then, per
(metric, source, day): when no row of that day exists yet, the rows are binary-COPYed straight into the
month's partition (no conflict is possible; a concurrent writer that got there first is caught by a
savepoint, and those rows take the merge instead); otherwise they are COPYed into a temp stage and merged
with INSERT ... SELECT ... ON CONFLICT DO NOTHING on the narrow key, so the value stored first wins and
loading the same frame twice inserts nothing. All COPY payloads are built from numpy (`jobs.binary_copy`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from psycopg import errors
from sqlalchemy import Connection, text

from jobs.binary_copy import copy_payload, pg_days
from jobs.copy_frames import copy_frame
from jobs.errors import DataQualityError
from jobs.partitions import ensure_partitions

NARROW = ["entity", "metric", "source", "observed_on", "value", "run_id"]
KINDS = ["int4", "int2", "int2", "date", "float8", "int8"]
STAGE = "_staged_observations"
PG_EPOCH_DAY = np.datetime64("2000-01-01", "D")
CODE_TABLES = {"metric": "observation_metrics", "source": "observation_sources"}


def _raw_cursor(conn: Connection):  # type: ignore[no-untyped-def]
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def copy_in(conn: Connection, table: str, columns: list[str], payload: bytes) -> None:
    with _raw_cursor(conn).copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(payload)


def name_codes(*, conn: Connection, table: str, code: str, names: np.ndarray) -> dict[str, int]:
    """The int2 code of each (distinct) metric or source name, adding the names not coded yet."""
    distinct = sorted(str(name) for name in names)
    conn.execute(
        text(f"INSERT INTO {table} (name) SELECT unnest(CAST(:names AS text[])) ORDER BY 1 ON CONFLICT DO NOTHING"),
        {"names": distinct},
    )
    rows = conn.execute(text(f"SELECT name, {code} FROM {table} WHERE name = ANY(:names)"), {"names": distinct})
    return {name: int(value) for name, value in rows}


def entity_codes(*, conn: Connection, entity_type: str, ids: np.ndarray) -> np.ndarray:
    """The int4 entity of each of `ids` (distinct), adding the ones not in the dictionary yet."""
    _check_entity_type(entity_type)
    stage = "_staged_entities"
    conn.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (i integer, entity_id text) ON COMMIT DROP"))
    conn.execute(text(f"TRUNCATE {stage}"))
    copy_frame(conn=conn, table=stage, frame=pd.DataFrame({"i": np.arange(len(ids)), "entity_id": ids}),
               columns=["i", "entity_id"])  # fmt: skip
    conn.execute(
        text(
            f"INSERT INTO observation_entities (entity_type, entity_id) SELECT :type, s.entity_id FROM {stage} s"
            " WHERE NOT EXISTS (SELECT 1 FROM observation_entities e"
            "  WHERE e.entity_type = :type AND e.entity_id = s.entity_id)"
            " ON CONFLICT DO NOTHING"
        ),
        {"type": entity_type},
    )
    # One bytea of big-endian int4s in staging order: a single value to fetch, parsed by numpy.
    packed = conn.execute(
        text(
            f"SELECT string_agg(int4send(e.entity), ''::bytea ORDER BY s.i) FROM {stage} s"
            " JOIN observation_entities e ON e.entity_type = :type AND e.entity_id = s.entity_id"
        ),
        {"type": entity_type},
    ).scalar_one()
    codes = np.frombuffer(packed or b"", dtype=">i4").astype(np.int32)
    if len(codes) != len(ids):
        raise RuntimeError(f"entity dictionary answered {len(codes)} codes for {len(ids)} ids")
    return codes


def group_keys(rows: pd.DataFrame) -> np.ndarray:
    """One int64 per row for its (metric, source, day): comparable across frames without a Python loop."""
    metric, source = (rows[c].to_numpy(dtype=np.int64) for c in ("metric", "source"))
    return (metric << 48) | (source << 32) | (rows["observed_on"].to_numpy(dtype=np.int64) & 0xFFFFFFFF)


def _check_entity_type(entity_type: str) -> None:
    if entity_type not in ("artist", "track"):
        raise ValueError(f"entity_type must be 'artist' or 'track', not {entity_type!r}")


class ObservationWriter:
    """Codes, partitions, fast path or merge, for the frames of one transaction."""

    def __init__(self, conn: Connection, *, run_id: int | None, fast_path: bool = True) -> None:
        self.conn, self.run_id, self.fast_path = conn, run_id, fast_path  # fast_path=False: always merge
        self.fast_rows = self.merged_rows = 0
        conn.execute(
            text(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE observations INCLUDING DEFAULTS) ON COMMIT DROP")
        )

    def coded(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame as narrow columns (entity, metric, source, observed_on as PostgreSQL days, value)."""
        entity = np.full(len(frame), -1, dtype=np.int32)
        types = frame["entity_type"].to_numpy(dtype=object)
        for entity_type in pd.unique(types):
            mask = types == entity_type
            positions, uniques = pd.factorize(frame["entity_id"].to_numpy(dtype=object)[mask])
            codes = entity_codes(conn=self.conn, entity_type=str(entity_type), ids=np.asarray(uniques, dtype=object))
            entity[mask] = codes[positions]
        narrow = {"entity": entity}
        for column, table in CODE_TABLES.items():
            positions, names = pd.factorize(frame[column].to_numpy(dtype=object))
            mapping = name_codes(conn=self.conn, table=table, code=column, names=np.asarray(names, dtype=object))
            narrow[column] = np.array([mapping[str(name)] for name in names], dtype=np.int16)[positions]
        narrow["observed_on"] = pg_days(pd.to_datetime(frame["observed_on"]).to_numpy())
        narrow["value"] = pd.to_numeric(frame["value"]).to_numpy(dtype=np.float64)
        missing = int(np.isnan(narrow["value"]).sum())
        if missing:  # `value` is NOT NULL: refused, as the wide table's constraint refused it
            raise DataQualityError(f"{missing} observation(s) have no value (NULL or NaN): nothing was loaded")
        return pd.DataFrame(narrow)

    def payload(self, rows: pd.DataFrame) -> bytes:
        """The binary COPY stream of `coded` rows, with this writer's run id."""
        run_ids = None if self.run_id is None else np.full(len(rows), self.run_id, dtype=np.int64)
        columns = [(kind, rows[name].to_numpy()) for name, kind in zip(NARROW[:-1], KINDS[:-1], strict=True)]
        return copy_payload([*columns, ("int8", run_ids)])

    def _days_present(self, groups: pd.DataFrame) -> np.ndarray:
        """The `group_keys` of the (metric, source, day) groups that already have a row."""
        rows = self.conn.execute(
            text(
                "SELECT g.metric, g.source, g.day - DATE '2000-01-01' FROM"
                " unnest(CAST(:m AS smallint[]), CAST(:s AS smallint[]), CAST(:d AS date[])) g(metric, source, day)"
                " WHERE EXISTS (SELECT 1 FROM observations o"
                "  WHERE o.observed_on = g.day AND o.metric = g.metric AND o.source = g.source)"
            ),
            {
                "m": groups["metric"].tolist(),
                "s": groups["source"].tolist(),
                "d": (PG_EPOCH_DAY + groups["observed_on"].to_numpy().astype("timedelta64[D]")).tolist(),
            },  # fmt: skip
        )
        found = pd.DataFrame(rows.all(), columns=["metric", "source", "observed_on"])
        return group_keys(found)

    def write(self, frame: pd.DataFrame) -> int:
        """Insert the frame's observations (one row per key: dedupe first); return the rows inserted."""
        if frame.empty:
            return 0
        rows = self.coded(frame)
        # In primary-key order: the index of a new partition then grows at its right edge, and an older one is
        # walked once, leaf by leaf, instead of at random.
        rows = rows.iloc[np.lexsort([rows[c].to_numpy() for c in reversed(NARROW[:4])])].reset_index(drop=True)
        days = PG_EPOCH_DAY + rows["observed_on"].to_numpy().astype("timedelta64[D]")
        ensure_partitions(conn=self.conn, first=days.min().item(), last=days.max().item())
        if not self.fast_path:
            return self._merge(rows)
        present = self._days_present(rows[["metric", "source", "observed_on"]].drop_duplicates())
        is_new = ~np.isin(group_keys(rows), present)
        inserted = self._fast(rows[is_new], days[is_new]) if is_new.any() else 0
        if not is_new.all():
            inserted += self._merge(rows[~is_new])
        return inserted

    def _fast(self, rows: pd.DataFrame, days: np.ndarray) -> int:
        """COPY rows of days new for their (metric, source) straight into each month's partition."""
        months = days.astype("datetime64[M]")
        try:
            with self.conn.begin_nested():
                for month in np.unique(months):
                    part = f"observations_{month.item():y%Ym%m}"
                    copy_in(self.conn, part, NARROW, self.payload(rows[months == month]))
        except errors.UniqueViolation:  # another transaction wrote one of these days first: merge instead
            return self._merge(rows)
        self.fast_rows += len(rows)
        return len(rows)

    def _merge(self, rows: pd.DataFrame) -> int:
        """COPY into the temp stage, then INSERT ... SELECT ... ON CONFLICT DO NOTHING on the narrow key."""
        self.conn.execute(text(f"TRUNCATE {STAGE}"))
        copy_in(self.conn, STAGE, NARROW, self.payload(rows))
        columns = ", ".join(NARROW)
        result = self.conn.execute(
            text(f"INSERT INTO observations ({columns}) SELECT {columns} FROM {STAGE} ON CONFLICT DO NOTHING")
        )
        count = int(result.rowcount or 0)
        self.merged_rows += count
        return count
