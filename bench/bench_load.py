"""Bulk load: Hitscope's observation load (`jobs.load.load_batch`: ids coded to the narrow dictionary, then
a binary COPY straight into the month's partition of `observations` when the day is new, else a staged
INSERT ... SELECT ... ON CONFLICT DO NOTHING) against PostgreSQL's raw binary COPY of the same rows into an
empty, unindexed table of the old wide shape (text ids, as a source delivers them). Target: at least half.

    python -m bench load [--quick]

Alternated in one process with medians. Variants: `merge` is a cold load (new months and an empty entity
dictionary, as for a first backfill or a file of a new period: the months are created bare and keyed after
the COPY), `merge_known_entities` the same with the entities already coded, `merge_existing_month` the
daily case (the months exist, empty and keyed: the COPY maintains their primary key), `merge_path_only` the
same rows forced through the staged merge, `merge_rerun` a re-run (every row a conflict). Floors: the raw
binary COPY of the wide rows, and of the coded narrow rows into an unindexed narrow table and into
`observations` itself (a partition's primary key and BRIN). A cProfile of one cold load says where the time
goes (coding, COPY, key build, merge).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection, Engine, text

from bench.harness import Options, Report, alternate, median, throwaway_engine, verdict
from jobs.binary_copy import copy_in
from jobs.load import copy_frame, load_batch
from jobs.observation_load import NARROW, ObservationWriter
from jobs.partitions import drop_partitions_before, ensure_partitions
from jobs.sources.base import OBSERVATION_COLUMNS, SourceBatch
from jobs.sources.demo import DemoMarket

FIRST_DAY = date(2027, 6, 1)
COLUMNS = [*OBSERVATION_COLUMNS, "run_id"]
BARE = "bench_raw_observations_bare"  # the old wide shape, no primary key, no index
NARROW_BARE = "bench_observations_bare"  # the narrow shape, no primary key, no index
WIDE_DDL = (
    "entity_type text NOT NULL, entity_id text NOT NULL, metric text NOT NULL, observed_on date NOT NULL,"
    " source text NOT NULL, value double precision NOT NULL, run_id bigint,"
    " loaded_at timestamptz NOT NULL DEFAULT now()"
)


def observation_rows(n_rows: int, n_artists: int = 50_000) -> pd.DataFrame:
    """`n_rows` demo observations: whole days of the simulated market, cut to size."""
    market, frames, day, total = DemoMarket(n_artists=n_artists), [], FIRST_DAY, 0
    while total < n_rows:
        frames.append(market.observations(day))
        total += len(frames[-1])
        day += timedelta(days=1)
    return pd.concat(frames, ignore_index=True).head(n_rows)


def _truncate(engine: Engine, *tables: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY"))


def _reset(engine: Engine, frame: pd.DataFrame, *, months: str, entities: bool) -> None:
    """Empty the observations (and the entity dictionary when `entities`), untimed. `months`: "new" drops
    every month, so the load creates its months (a first load, a backfill or an import of a new period);
    "existing" keeps the months it needs, empty and keyed (what a day added to the current month meets)."""
    cold = ("observation_entities", "observation_metrics", "observation_sources") if entities else ()
    _truncate(engine, "observations", *cold)
    with engine.begin() as conn:
        if months == "new":
            drop_partitions_before(conn=conn, cutoff=date(9999, 1, 1))
        else:
            days = pd.to_datetime(frame["observed_on"])
            ensure_partitions(conn=conn, first=days.min().date(), last=days.max().date())


def _binary_payload(engine: Engine, frame: pd.DataFrame) -> bytes:
    """The wide rows in PostgreSQL's binary COPY format, made by the server itself (COPY TO STDOUT), untimed."""
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


def _narrow_payload(engine: Engine, frame: pd.DataFrame) -> bytes:
    """The same rows coded to the narrow columns, in key order as the loader sends them (the dictionary is
    filled, then emptied), untimed."""
    with engine.begin() as conn:
        writer = ObservationWriter(conn, run_id=1)
        payload = bytes(writer.payload(writer.coded(frame)))
    _truncate(engine, "observation_entities", "observation_metrics", "observation_sources")
    return payload


def _create_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {BARE} ({WIDE_DDL})"))
        conn.execute(text(f"CREATE TABLE {NARROW_BARE} (LIKE observations INCLUDING DEFAULTS)"))


def _variants(engine: Engine, frame: pd.DataFrame, payload: bytes, narrow: bytes) -> dict[str, Callable[[], object]]:
    batch = SourceBatch(source="demo", observations=frame)

    def timed(prepare: Callable[[], None], load: Callable[[Connection], object]) -> Callable[[], float]:
        def run() -> float:
            prepare()
            started = time.perf_counter()
            with engine.begin() as conn:
                load(conn)
            return time.perf_counter() - started

        return run

    def reset(months: str, *, entities: bool = False) -> Callable[[], None]:
        return lambda: _reset(engine, frame, months=months, entities=entities)

    def load(fast_path: bool = True) -> Callable[[Connection], object]:
        return lambda conn: load_batch(conn=conn, batch=batch, run_id=1, fast_path=fast_path)

    def binary(table: str, data: bytes, columns: list[str]) -> Callable[[Connection], None]:
        return lambda conn: copy_in(conn, table, columns, data)

    def nothing() -> None:  # a re-run: the previous variant's load left every row in place
        pass

    return {
        "merge": timed(reset("new", entities=True), load()),
        "merge_known_entities": timed(reset("new"), load()),
        "merge_existing_month": timed(reset("existing"), load()),
        "merge_path_only": timed(reset("existing"), load(fast_path=False)),
        "merge_rerun": timed(nothing, load()),
        "raw_binary_copy_unindexed": timed(lambda: _truncate(engine, BARE), binary(BARE, payload, COLUMNS)),
        "raw_binary_copy_narrow_unindexed": timed(
            lambda: _truncate(engine, NARROW_BARE), binary(NARROW_BARE, narrow, NARROW)
        ),
        "raw_binary_copy_narrow_indexed": timed(reset("existing"), binary("observations", narrow, NARROW)),
    }


def profile_merge(engine: Engine, frame: pd.DataFrame) -> dict[str, float]:
    """One cold load (new months, new entities) under cProfile: seconds in each part of `load_batch`."""
    _reset(engine, frame, months="new", entities=True)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    with engine.begin() as conn:
        profiler.enable()
        load_batch(conn=conn, batch=SourceBatch(source="demo", observations=frame), run_id=1)
        profiler.disable()
        commit_started = time.perf_counter()
    commit = time.perf_counter() - commit_started
    total = time.perf_counter() - started
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(function: str, module_part: str) -> float:  # the outermost call: wrappers share the name
        return max((v[3] for (path, _, name), v in stats.items() if name == function and module_part in path),
                   default=0.0)  # fmt: skip

    codes, load = "jobs/observation_codes.py", "jobs/observation_load.py"
    # The dictionary's insert of new ids runs in a worker thread (jobs.pending_sql), which cProfile does not
    # see: what this thread spends waiting for it is `entity_insert_wait`.
    waited = cumulative("wait", "jobs/pending_sql.py")
    parts = {
        "entity_codes": cumulative("dictionary_codes", codes),
        "entity_insert_wait": waited,
        "coded_other": cumulative("coded_rows", codes) - cumulative("dictionary_codes", codes),
        "last_per_key": cumulative("last_per_key", codes),
        "partitions": cumulative("create_bare", "jobs/partitions.py")
        + cumulative("ensure_partitions", "jobs/partitions.py"),
        "days_present": cumulative("_days_present", load),
        "copy_new_months": cumulative("_into_bare", load),
        "copy_existing_months": cumulative("_fast", load),
        "staged_merge": cumulative("_merge", load),
        "key_and_attach": cumulative("finish", load),
        "catalogue_merge": cumulative("merge", "jobs/load.py") - cumulative("finish", load),
        "commit": commit,
    }
    return {"total": round(total, 3), **{k: round(v, 3) for k, v in parts.items()},
            "other": round(total - sum(parts.values()), 3)}  # fmt: skip


def run(options: Options) -> Report:
    n_rows = 100_000 if options.quick else 1_000_000
    repeats = options.repeats or (2 if options.quick else 3)
    report = Report()
    frame = observation_rows(n_rows)
    with throwaway_engine() as engine:
        _create_tables(engine)
        payload = _binary_payload(engine, frame)
        narrow = _narrow_payload(engine, frame)
        times = alternate(_variants(engine, frame, payload, narrow), repeats)
        profile = profile_merge(engine, frame)
    medians = {name: median(values) for name, values in times.items()}
    rates = {name: n_rows / seconds for name, seconds in medians.items()}
    baseline = medians["raw_binary_copy_unindexed"]
    ratio = baseline / medians["merge"]
    report.figures = {
        "rows": n_rows,
        "repeats": repeats,
        "binary_payload_bytes": len(payload),
        "narrow_payload_bytes": len(narrow),
        "seconds": {name: [round(v, 3) for v in values] for name, values in times.items()},
        "median_seconds": {name: round(v, 3) for name, v in medians.items()},
        "rows_per_second": {name: round(v) for name, v in rates.items()},
        "ratio_to_raw_copy": {name: round(baseline / v, 3) for name, v in medians.items()},
        "merge_profile_seconds": profile,
    }
    print(f"  {n_rows:,} observation rows, {repeats} alternated rounds (median seconds, rows/s, x raw COPY):")
    for name in times:
        print(f"    {name:34s} {medians[name]:7.2f} s  {rates[name]:>10,.0f} rows/s  {baseline / medians[name]:.2f}x")
    print(f"  one profiled cold load (s): {profile}")
    report.row("load_batch rows/s", f"{rates['merge']:,.0f}")
    report.row("raw binary COPY rows/s (unindexed)", f"{rates['raw_binary_copy_unindexed']:,.0f}")
    report.row(
        "load_batch / raw binary COPY into an unindexed table (new months, new entities)", f"{ratio:.2f}x", "≥ 0.5x",
        verdict(ratio, 0.5, higher_is_better=True),
    )  # fmt: skip
    known = baseline / medians["merge_known_entities"]
    report.row("load_batch, new months, entities already coded (a backfill or import) / raw COPY", f"{known:.2f}x")
    existing = baseline / medians["merge_existing_month"]
    report.row(
        "load_batch into months that exist, entities coded (a day added to the current month) / raw COPY",
        f"{existing:.2f}x",
    )
    narrow_floor = medians["raw_binary_copy_narrow_unindexed"] / medians["merge"]
    report.row("load_batch / raw binary COPY of the coded narrow rows, unindexed", f"{narrow_floor:.2f}x")
    merge_path = baseline / medians["merge_path_only"]
    report.row("load_batch forced through the staged merge / raw COPY", f"{merge_path:.2f}x")
    return report
