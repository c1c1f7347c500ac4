"""Write observation frames into the narrow, month-partitioned `observations` table (migration 0013).

    writer = ObservationWriter(conn, run_id=7)   # inside the caller's transaction (jobs.load.StagedLoad)
    inserted = writer.write(frame)               # OBSERVATION_COLUMNS; returns the rows inserted
    writer.finish()                              # before commit: key and attach the months created bare

A frame's text ids become codes first, and a key repeated in the frame keeps its last row
(`jobs.observation_codes`). Then per month:
- a month no run has written yet is created bare (`jobs.partitions.create_bare`): its rows are binary-COPYed
  into a plain heap, and `finish` builds the primary key once, sorted, and ATTACHes the month. A later batch
  of the same transaction COPYs its new days in too, and merges days already there by an anti-join. The
  COPY is a COPY FREEZE when it runs in the subtransaction that created the month (always, unless a caller
  wraps batches in savepoints): the rows are written frozen and their pages all-visible, so neither the key
  and BRIN builds nor the first reads after commit check or set each row's commit status, and no vacuum
  rewrites the month later. PostgreSQL's documented caveat: a REPEATABLE READ snapshot older than the
  commit sees these rows (the month's table did not exist for it before); runs hold the run lock, and the
  dashboard reads observations only for an entity's history, which follows the newest load anyway;
- an existing month takes, per (metric, source, day): when no row of that day exists yet, a binary COPY
  straight into the month's partition (a concurrent writer that got there first is caught by a savepoint,
  and those rows take the merge instead); otherwise a COPY into a temp stage merged with INSERT ... SELECT
  ... ON CONFLICT DO NOTHING on the narrow key.
Either way the value stored first wins and loading the same frame twice inserts nothing. All COPY payloads
are built from numpy and streamed in chunks (`jobs.binary_copy.copy_columns`). `fast_path=False` sends
every row through the staged merge.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from psycopg import errors
from sqlalchemy import Connection, text

from core.columnar import PG_EPOCH_DAYS
from jobs.binary_copy import Column, copy_columns, copy_payload
from jobs.observation_codes import EntityCodes, Rows, coded_rows, last_per_key
from jobs.partitions import attach_bare, create_bare, ensure_partitions, partition_name

NARROW = ["entity", "metric", "source", "observed_on", "value", "run_id"]
KINDS = ["int4", "int2", "int2", "date", "float8", "int8"]
STAGE = "_staged_observations"
PG_EPOCH_DAY = np.datetime64(PG_EPOCH_DAYS, "D")  # PostgreSQL's day 0 (core.columnar)
GROUP = ("metric", "source", "observed_on")


def group_keys(rows: Rows) -> np.ndarray:
    """One int64 per row for its (metric, source, day): comparable across frames without a Python loop."""
    metric, source, day = (rows[c].astype(np.int64) for c in GROUP)
    return (metric << 48) | (source << 32) | (day & 0xFFFFFFFF)


def _subset(rows: Rows, mask: np.ndarray) -> Rows:
    """The rows where `mask` holds (the rows themselves, not a copy, when it holds for all)."""
    return rows if mask.all() else {name: values[mask] for name, values in rows.items()}


def row_months(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the month, as datetime64[M], of each PostgreSQL day; the distinct months). When all days share a month,
    as a daily batch's do, that is one constant array: no per-row date arithmetic, no unique."""
    first, last = (PG_EPOCH_DAY + days[[days.argmin(), days.argmax()]].astype("timedelta64[D]")).astype("datetime64[M]")
    if first == last:
        return np.full(len(days), first), np.array([first])
    months = (PG_EPOCH_DAY + days.astype("timedelta64[D]")).astype("datetime64[M]")
    return months, np.unique(months)


class ObservationWriter:
    """Codes, partitions, fast path or merge, for the frames of one transaction."""

    def __init__(self, conn: Connection, *, run_id: int | None, fast_path: bool = True) -> None:
        self.conn, self.run_id, self.fast_path = conn, run_id, fast_path  # fast_path=False: always merge
        self.fast_rows = self.merged_rows = self.kept_rows = 0
        self.entities = EntityCodes()  # ids coded so far in this transaction
        # Months created bare in this transaction (keyed and attached by finish), with the group_keys of the
        # days written into each: only this transaction writes them, so no query (a scan: no index yet) is needed.
        self.bare: dict[str, np.ndarray] = {}
        self.created_in: dict[str, object] = {}  # the savepoint (None: none) each bare month was created in

    def coded(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame as narrow columns in key order, one row per key (observed_on as PostgreSQL days)."""
        return pd.DataFrame(last_per_key(coded_rows(conn=self.conn, frame=frame, cache=self.entities)))

    def columns(self, rows: Rows | pd.DataFrame) -> list[Column]:
        """`coded` rows as binary COPY columns (`NARROW` order), with this writer's run id."""
        n_rows = len(rows["entity"])
        run_ids = None if self.run_id is None else np.full(n_rows, self.run_id, dtype=np.int64)
        columns = [(kind, np.asarray(rows[name])) for name, kind in zip(NARROW[:-1], KINDS[:-1], strict=True)]
        return [*columns, ("int8", run_ids)]

    def payload(self, rows: Rows | pd.DataFrame) -> memoryview:
        """The binary COPY stream of `coded` rows, with this writer's run id (whole, for the benchmark)."""
        return copy_payload(self.columns(rows))

    def copy(self, table: str, rows: Rows, *, freeze: bool = False) -> None:
        """COPY `coded` rows into `table`, streamed in chunks (`jobs.binary_copy.copy_columns`)."""
        copy_columns(self.conn, table, NARROW, self.columns(rows), freeze=freeze)

    def write(self, frame: pd.DataFrame) -> int:
        """Insert the frame's observations (a key repeated in the frame keeps its last row); return the rows
        inserted."""
        if frame.empty:
            return 0
        # In primary-key order: a new month's key is then built from sorted input, and an existing month's
        # index is walked once, leaf by leaf, instead of at random. The dictionary's INSERT of new ids runs
        # meanwhile (`coded_rows(wait=False)`): no statement until it is waited for.
        rows = coded_rows(conn=self.conn, frame=frame, cache=self.entities, wait=False)
        with self.entities.pending.meanwhile():
            rows = last_per_key(rows)
            months, distinct = row_months(rows["observed_on"])
            names = {month: partition_name(month.item()) for month in distinct}
        self.entities.pending.wait()
        self.kept_rows += len(rows["entity"])
        if self.fast_path:
            for month in names:
                if name := create_bare(conn=self.conn, month=month.item()):
                    self.bare[name] = np.empty(0, dtype=np.int64)
                    self.created_in[name] = self.conn.get_nested_transaction()
        ensure_partitions(conn=self.conn, first=distinct[0].item(), last=distinct[-1].item())
        if not self.fast_path:
            return self._merge(rows)
        bare = [month for month, name in names.items() if name in self.bare]
        in_bare = np.full(len(months), True) if len(bare) == len(names) else np.isin(months, bare)
        inserted = self._attached(_subset(rows, ~in_bare), months[~in_bare]) if not in_bare.all() else 0
        for month in bare:
            inserted += self._into_bare(names[month], _subset(rows, months == month))
        return inserted

    def finish(self) -> None:
        """Build the key of each month created bare and ATTACH it (before the transaction commits)."""
        for name in self.bare:
            attach_bare(conn=self.conn, name=name)
        self.bare, self.created_in = {}, {}

    def _days_present(self, rows: Rows) -> np.ndarray:
        """Per row: whether `observations` already has a row of its (metric, source, day)."""
        keys = group_keys(rows)
        first = np.unique(keys, return_index=True)[1]
        # One probe per (metric, source, day), each pruned to its month and read through the month's BRIN
        # (LATERAL ... LIMIT 1 is not flattened into a semi-join): a new day's probe reads no page. As an
        # EXISTS the planner hashed every stored row instead (1.7 s at 1M tracks, growing with the months
        # kept), and with LIMIT 1 it prefers a sequential scan, hence enable_seqscan off for this statement.
        previous = self.conn.execute(text("SELECT current_setting('enable_seqscan')")).scalar_one()
        self.conn.execute(text("SELECT set_config('enable_seqscan', 'off', true)"))
        found = self.conn.execute(
            text(
                "SELECT g.metric, g.source, g.day - DATE '2000-01-01' FROM"
                " unnest(CAST(:m AS smallint[]), CAST(:s AS smallint[]), CAST(:d AS date[])) g(metric, source, day)"
                " CROSS JOIN LATERAL (SELECT 1 FROM observations o"
                "  WHERE o.observed_on = g.day AND o.metric = g.metric AND o.source = g.source LIMIT 1) present"
            ),
            {
                "m": rows["metric"][first].tolist(),
                "s": rows["source"][first].tolist(),
                "d": (PG_EPOCH_DAY + rows["observed_on"][first].astype("timedelta64[D]")).tolist(),
            },  # fmt: skip
        ).all()
        self.conn.execute(text("SELECT set_config('enable_seqscan', :previous, true)"), {"previous": previous})
        found_rows = {name: np.array([row[i] for row in found], dtype=np.int64) for i, name in enumerate(GROUP)}
        return np.isin(keys, group_keys(found_rows))

    def _attached(self, rows: Rows, months: np.ndarray) -> int:
        """Rows of existing months: days new for their (metric, source) are COPYed, the others merged."""
        present = self._days_present(rows)
        inserted = self._fast(_subset(rows, ~present), months[~present]) if not present.all() else 0
        return inserted + (self._merge(_subset(rows, present)) if present.any() else 0)

    def _into_bare(self, name: str, rows: Rows) -> int:
        """Rows of a month created bare in this transaction: only this transaction can see it."""
        keys = group_keys(rows)
        distinct = np.unique(keys)  # a few (metric, source, day) groups: compared as such, not row by row
        present = (
            np.isin(keys, self.bare[name]) if np.isin(distinct, self.bare[name]).any() else np.zeros(len(keys), bool)
        )
        self.bare[name] = np.union1d(self.bare[name], distinct)
        if not present.all():  # FREEZE only where PostgreSQL allows it: the subtransaction that created the month
            freeze = self.conn.get_nested_transaction() is self.created_in[name]
            self.copy(name, _subset(rows, ~present), freeze=freeze)
            self.fast_rows += int((~present).sum())
        merged = self._merge(_subset(rows, present), into=name) if present.any() else 0
        return int((~present).sum()) + merged

    def _fast(self, rows: Rows, months: np.ndarray) -> int:
        """COPY rows of days new for their (metric, source) straight into each month's partition."""
        try:
            with self.conn.begin_nested():
                for month in np.unique(months):
                    self.copy(partition_name(month.item()), _subset(rows, months == month))
        except errors.UniqueViolation:  # another transaction wrote one of these days first: merge instead
            return self._merge(rows)
        self.fast_rows += len(rows["entity"])
        return len(rows["entity"])

    def _merge(self, rows: Rows, *, into: str = "observations") -> int:
        """COPY into the temp stage, then INSERT ... SELECT the rows whose key is not stored yet: ON CONFLICT
        DO NOTHING on the key, or an anti-join for a bare month (which has no key yet)."""
        self.conn.execute(
            text(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (LIKE observations INCLUDING DEFAULTS) ON COMMIT DROP")
        )
        self.conn.execute(text(f"TRUNCATE {STAGE}"))
        self.copy(STAGE, rows)
        columns = ", ".join(NARROW)
        if into == "observations":
            missing = "ON CONFLICT DO NOTHING"
        else:
            same = " AND ".join(f"o.{c} = s.{c}" for c in NARROW[:4])
            missing = f'WHERE NOT EXISTS (SELECT 1 FROM "{into}" o WHERE {same})'
        result = self.conn.execute(text(f'INSERT INTO "{into}" ({columns}) SELECT {columns} FROM {STAGE} s {missing}'))
        count = int(result.rowcount or 0)
        self.merged_rows += count
        return count
