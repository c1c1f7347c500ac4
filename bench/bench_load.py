"""Bulk load: Hitscope's observation load (`jobs.load.load_batch`: CSV COPY into a staging table, then
INSERT ... SELECT ... ON CONFLICT DO NOTHING into the indexed `raw_observations`) against PostgreSQL's raw
binary COPY of the same rows into an empty, unindexed copy of the table. Target: at least half of raw COPY.

    python -m bench load [--quick]

Alternated in one process with medians. Extra variants say where the time goes: the same binary COPY into
the indexed table (index maintenance), `copy_frame` straight into the indexed table (the fast path a backfill
into days with no rows yet could take), a re-run of the merge (every row a conflict), and a cProfile of one
merge (CSV writing, staging COPY, the INSERT ... SELECT).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, event, text

from bench.harness import Options, Report, alternate, median, throwaway_engine, verdict
from jobs.load import copy_frame, load_batch, merge_frame
from jobs.sources.base import OBSERVATION_COLUMNS, SourceBatch
from jobs.sources.demo import DemoMarket

FIRST_DAY = date(2027, 6, 1)
COLUMNS = [*OBSERVATION_COLUMNS, "run_id"]
BARE = "bench_raw_observations_bare"  # same columns, no primary key, no index
KEY = "entity_type, entity_id, metric, observed_on, source"
DAY_INDEX = "observed_on, entity_type, metric"
# Alternative layouts of the same table, to see what the indexes cost: name -> DDL run after LIKE.
LAYOUTS = {
    "pk_only": [f"ADD PRIMARY KEY ({KEY})"],
    "day_first_pk": ["ADD PRIMARY KEY (observed_on, entity_type, metric, entity_id, source)"],
    "collate_c": [
        *(f'ALTER COLUMN {c} TYPE text COLLATE "C"' for c in ("entity_type", "entity_id", "metric", "source")),
        f"ADD PRIMARY KEY ({KEY})",
    ],
}


def observation_rows(n_rows: int, n_artists: int = 50_000) -> pd.DataFrame:
    """`n_rows` demo observations: whole days of the simulated market, cut to size."""
    market, frames, day, total = DemoMarket(n_artists=n_artists), [], FIRST_DAY, 0
    while total < n_rows:
        frames.append(market.observations(day))
        total += len(frames[-1])
        day += timedelta(days=1)
    return pd.concat(frames, ignore_index=True).head(n_rows)


def _truncate(engine: Engine, table: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {table}"))


def _binary_payload(engine: Engine, frame: pd.DataFrame) -> bytes:
    """The rows in PostgreSQL's binary COPY format, made by the server itself (COPY TO STDOUT), untimed."""
    _truncate(engine, BARE)
    with engine.begin() as conn:
        copy_frame(conn=conn, table=BARE, frame=frame.assign(run_id=1), columns=COLUMNS)
    buffer = io.BytesIO()
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {BARE} ({', '.join(COLUMNS)}) TO STDOUT (FORMAT binary)") as copy:
            for chunk in copy:
                buffer.write(chunk)
    _truncate(engine, BARE)
    return buffer.getvalue()


def _create_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {BARE} (LIKE raw_observations INCLUDING DEFAULTS)"))
        for layout, changes in LAYOUTS.items():
            conn.execute(text(f"CREATE TABLE bench_{layout} (LIKE raw_observations INCLUDING DEFAULTS)"))
            conn.execute(text(f"ALTER TABLE bench_{layout} {', '.join(changes)}"))


def _variants(engine: Engine, frame: pd.DataFrame, payload: bytes) -> dict[str, Callable[[], float]]:
    batch = SourceBatch(source="demo", observations=frame)

    def timed(table: str, load: Callable[..., object]) -> Callable[[], float]:
        def run() -> float:
            _truncate(engine, table)
            started = time.perf_counter()
            with engine.begin() as conn:
                load(conn)
            return time.perf_counter() - started

        return run

    def binary(conn: object, table: str) -> None:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[attr-defined]
        with cursor.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(payload)

    def rerun() -> float:  # after `merge` left every row in place: each one is now a conflict
        started = time.perf_counter()
        with engine.begin() as conn:
            load_batch(conn=conn, batch=batch, run_id=1)
        return time.perf_counter() - started

    def copy_then_index(conn: object) -> None:  # an initial backfill: load bare, then build the indexes by sort
        binary(conn, BARE)
        conn.execute(text(f"ALTER TABLE {BARE} ADD CONSTRAINT {BARE}_pk PRIMARY KEY ({KEY})"))  # type: ignore[attr-defined]
        conn.execute(text(f"CREATE INDEX {BARE}_day ON {BARE} ({DAY_INDEX})"))  # type: ignore[attr-defined]

    def drop_bare_indexes() -> None:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {BARE} DROP CONSTRAINT IF EXISTS {BARE}_pk"))
            conn.execute(text(f"DROP INDEX IF EXISTS {BARE}_day"))

    def then_index() -> float:
        drop_bare_indexes()
        seconds = timed(BARE, copy_then_index)()
        drop_bare_indexes()
        return seconds

    return {
        "merge": timed("raw_observations", lambda conn: load_batch(conn=conn, batch=batch, run_id=1)),
        "merge_rerun": rerun,
        "merge_into_day_first_pk": timed(
            "bench_day_first_pk",
            lambda conn: merge_frame(
                conn=conn,
                table="bench_day_first_pk",
                frame=frame.assign(run_id=1),
                columns=COLUMNS,
                key=KEY.split(", "),
            ),  # fmt: skip
        ),
        "raw_binary_copy_unindexed": timed(BARE, lambda conn: binary(conn, BARE)),
        "binary_copy_indexed": timed("raw_observations", lambda conn: binary(conn, "raw_observations")),
        **{
            f"binary_copy_{layout}": timed(f"bench_{layout}", lambda conn, t=f"bench_{layout}": binary(conn, t))
            for layout in LAYOUTS
        },
        "binary_copy_then_build_indexes": then_index,
        "csv_copy_frame_indexed": timed(
            "raw_observations",
            lambda conn: copy_frame(
                conn=conn, table="raw_observations", frame=frame.assign(run_id=1), columns=COLUMNS
            ),  # fmt: skip
        ),
    }


def profile_merge(engine: Engine, frame: pd.DataFrame) -> dict[str, float]:
    """One merge under cProfile plus statement timing: seconds in each part of `load_batch`."""
    statements: list[tuple[str, float]] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append((statement, time.perf_counter() - conn.info.pop("bench_started")))

    _truncate(engine, "raw_observations")
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    profiler = cProfile.Profile()
    try:
        started = time.perf_counter()
        with engine.begin() as conn:
            profiler.enable()
            load_batch(conn=conn, batch=SourceBatch(source="demo", observations=frame), run_id=1)
            profiler.disable()
            commit_started = time.perf_counter()
        commit = time.perf_counter() - commit_started
        total = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(function: str, module_part: str) -> float:  # the outermost call: wrappers share the name
        return max((v[3] for (path, _, name), v in stats.items() if name == function and module_part in path),
                   default=0.0)  # fmt: skip

    insert = sum(s for sql, s in statements if sql.lstrip().startswith("INSERT INTO raw_observations"))
    copy_total = cumulative("copy_frame", "jobs/load.py")
    to_csv = cumulative("to_csv", "pandas")
    dedupe = cumulative("drop_duplicates", "pandas")
    return {
        "total": round(total, 3),
        "drop_duplicates": round(dedupe, 3),
        "to_csv": round(to_csv, 3),
        "staging_copy_and_buffers": round(copy_total - to_csv, 3),
        "insert_select_on_conflict": round(insert, 3),
        "commit": round(commit, 3),
        "other": round(total - dedupe - copy_total - insert - commit, 3),
    }


def run(options: Options) -> Report:
    n_rows = 100_000 if options.quick else 1_000_000
    repeats = options.repeats or (2 if options.quick else 3)
    report = Report()
    frame = observation_rows(n_rows)
    with throwaway_engine() as engine:
        _create_tables(engine)
        payload = _binary_payload(engine, frame)
        times = alternate(_variants(engine, frame, payload), repeats)
        profile = profile_merge(engine, frame)
    medians = {name: median(values) for name, values in times.items()}
    rates = {name: n_rows / seconds for name, seconds in medians.items()}
    baseline = medians["raw_binary_copy_unindexed"]
    ratio = baseline / medians["merge"]
    report.figures = {
        "rows": n_rows,
        "repeats": repeats,
        "binary_payload_bytes": len(payload),
        "seconds": {name: [round(v, 3) for v in values] for name, values in times.items()},
        "median_seconds": {name: round(v, 3) for name, v in medians.items()},
        "rows_per_second": {name: round(v) for name, v in rates.items()},
        "ratio_to_raw_copy": {name: round(baseline / v, 3) for name, v in medians.items()},
        "merge_profile_seconds": profile,
    }
    print(f"  {n_rows:,} observation rows, {repeats} alternated rounds (median seconds, rows/s, x raw COPY):")
    for name in times:
        print(f"    {name:28s} {medians[name]:7.2f} s  {rates[name]:>10,.0f} rows/s  {baseline / medians[name]:.2f}x")
    print(f"  one profiled merge (s): {profile}")
    report.row("load_batch rows/s", f"{rates['merge']:,.0f}")
    report.row("raw binary COPY rows/s (unindexed)", f"{rates['raw_binary_copy_unindexed']:,.0f}")
    report.row("load_batch / raw COPY", f"{ratio:.2f}x", "≥ 0.5x", verdict(ratio, 0.5, higher_is_better=True))
    same_indexes = medians["binary_copy_indexed"] / medians["merge"]
    report.row("load_batch / binary COPY into the same indexed table", f"{same_indexes:.2f}x")
    fast = baseline / medians["csv_copy_frame_indexed"]
    report.row("copy_frame straight into raw_observations (no merge) / raw COPY", f"{fast:.2f}x")
    day_first = baseline / medians["merge_into_day_first_pk"]
    report.row("merge_frame into a day-first primary key, no second index / raw COPY", f"{day_first:.2f}x")
    return report
