"""Publish a run's dashboard tables atomically.

A new `publications` row and every aggregate row that belongs to it are written in one transaction; the
dashboard reads the newest publication, so a reader sees the previous run or this one, never a mix, and is
never blocked (PostgreSQL readers do not wait for writers; the big tables' partitions are attached under SHARE
UPDATE EXCLUSIVE, see `jobs.publication_partitions`). Publications beyond the newest `KEEP_PUBLICATIONS` are
deleted in the same transaction, the small tables' rows with them (ON DELETE CASCADE); the big tables' partitions
of those publications are dropped after the commit (`jobs.publication_partitions.retire_partitions`, which the
pipeline calls). Each table written is ANALYZEd in that transaction too (a partitioned table's new partition; not
those read only by primary key), so the dashboard's first queries on it are planned on fresh statistics.

The date rule (`publication_day`), which every run that publishes goes through: a new publication is never
dated before the current one, nor before 1900 or after tomorrow. Data older than the current publication
back-fills history and is republished as of the current date; only newer data moves it forward.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from jobs.aggregate import AggregateParams, Builder, build_aggregates
from jobs.errors import DataQualityError
from jobs.publication_partitions import partition_name, partitioned_tables
from jobs.sources.layouts.bounds import FIRST_DAY, last_day

if TYPE_CHECKING:
    from jobs.score import Scored

logger = logging.getLogger(__name__)

# The publish transaction's planner settings: the aggregate queries each cost above the JIT threshold, and the
# compilation (70-250 ms a query, measured at 100k tracks) was more than it saved; the leaderboard's hash
# aggregate spilled to disk with the default 4 MB of work memory.
PUBLISH_SETTINGS = {"jit": "off", "work_mem": "64MB"}
# Published tables the dashboard reads only by their whole primary key (one row, through the unique index):
# agg_similar_tracks (publication_id, track_no), by the Track page (dashboard/discover_queries.similar_tracks).
KEY_READ_TABLES = frozenset({"agg_similar_tracks"})


def publish(
    *,
    conn: Connection,
    run_id: int,
    source: str,
    is_demo: bool,
    params: AggregateParams,
    summary: dict[str, Any],
    keep: int,
    scored: Scored | None = None,
    builders: Mapping[str, Builder] | None = None,
) -> tuple[int, dict[str, int]]:
    """Write a publication with every aggregate (`jobs.aggregate.build_aggregates`: the SQL builders, the
    `scored` frames, then `builders`, e.g. the discover stage's); return its id and the rows written per table.
    Refuses a date before the current publication's (callers pick it with `publication_day`), so nothing can
    rewind it."""
    latest = latest_publication_date(conn=conn)
    if latest is not None and params.snapshot_date < latest:
        raise DataQualityError(f"publishing {params.snapshot_date} would rewind the current publication ({latest})")
    for setting, value in PUBLISH_SETTINGS.items():  # this transaction only (SET LOCAL)
        conn.execute(text("SELECT set_config(:name, :value, true)"), {"name": setting, "value": value})
    publication_id = int(
        conn.execute(
            text(
                "INSERT INTO publications (run_id, snapshot_date, source, is_demo, hit_definition)"
                " VALUES (:run_id, :day, :source, :demo, CAST(:hit AS jsonb)) RETURNING publication_id"
            ),
            {
                "run_id": run_id,
                "day": params.snapshot_date,
                "source": source,
                "demo": is_demo,
                "hit": json.dumps(params.hit.to_json()),
            },  # fmt: skip
        ).scalar_one()
    )
    params = replace(params, publication_id=publication_id)
    counts = build_aggregates(conn, params, scored, builders or {})
    conn.execute(
        text("UPDATE publications SET summary = CAST(:summary AS jsonb) WHERE publication_id = :pid"),
        {"summary": json.dumps({**summary, "rows": counts}, default=str), "pid": publication_id},
    )
    analyze_published(conn, counts, publication_id)
    pruned = conn.execute(
        text(
            "DELETE FROM publications WHERE publication_id NOT IN"
            " (SELECT publication_id FROM publications ORDER BY publication_id DESC LIMIT :keep)"
        ),
        {"keep": keep},
    ).rowcount
    logger.info("publication %s for %s: %s (pruned %s old)", publication_id, params.snapshot_date, counts, pruned)
    return publication_id, counts


def analyze_published(conn: Connection, counts: dict[str, int], publication_id: int) -> None:
    """ANALYZE each published table that got rows, in the publication's transaction: the planner's statistics
    commit with the rows, so the first dashboard read of a new publication is planned on them (a publication
    adds a new `publication_id` value that stale statistics have never seen). Of a table with a partition per
    publication, only the publication's partition: a read of one publication is pruned to it and planned on its
    statistics (an ANALYZE of the parent would sample and analyze every partition); the parent's own statistics,
    used only above the partition (a join's estimates), are taken once, while it has none. Not the tables read
    only by their whole primary key (`KEY_READ_TABLES`), whose plan (the unique index) no statistic changes; and
    only the scalar columns: the JSON and array payloads (contributions, feature values, curves) are shown, never
    filtered, joined or sorted on, and detoasting their sample was a third of the scores' ANALYZE."""
    tables = [t for t, rows in counts.items() if rows and t not in KEY_READ_TABLES and re.fullmatch(r"agg_[a-z_]+", t)]
    if not tables:
        return
    partitioned = partitioned_tables(conn=conn)
    unanalyzed = set(conn.execute(
        text("SELECT t FROM unnest(CAST(:tables AS text[])) t WHERE NOT EXISTS (SELECT 1 FROM pg_stats s"
             " WHERE s.schemaname = current_schema() AND s.tablename = t AND s.inherited)"),
        {"tables": sorted(partitioned & set(tables))},
    ).scalars())  # fmt: skip
    columns = conn.execute(
        text(
            "SELECT c.relname, array_agg(quote_ident(a.attname) ORDER BY a.attnum) FROM pg_attribute a"
            " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid"
            " WHERE c.relname = ANY(:tables) AND c.relnamespace = to_regnamespace(current_schema())"
            " AND a.attnum > 0 AND NOT a.attisdropped AND t.typname NOT IN ('json', 'jsonb') AND t.typcategory <> 'A'"
            " GROUP BY c.relname"
        ),
        {"tables": tables},
    ).all()
    for table, names in columns:  # builder names are table names, from code; the columns are quoted
        analyzed = partition_name(table, publication_id) if table in partitioned - unanalyzed else table
        conn.execute(text(f'ANALYZE "{analyzed}" ({", ".join(names)})'))


def latest_publication_date(*, conn: Connection) -> date | None:
    return conn.execute(text("SELECT max(snapshot_date) FROM publications")).scalar()


def check_publishable(day: date, today: date) -> None:
    """`DataQualityError` for a date no publication may have (before 1900 or after tomorrow)."""
    if not FIRST_DAY <= day <= last_day(today):
        raise DataQualityError(f"snapshot date {day} is outside [{FIRST_DAY}, {last_day(today)}]: nothing published")


def publication_day(*, conn: Connection, wanted: date | None, today: date) -> date:
    """The date the next publication gets: `wanted` (the newest day the run's data supports) if it is newer
    than the current publication, else the current publication's date; `today` for a first run with none."""
    if wanted is not None:
        check_publishable(wanted, today)
    latest = latest_publication_date(conn=conn)
    if latest is None:
        return wanted or today
    if wanted is None or wanted <= latest:
        if wanted is not None and wanted < latest:
            logger.info("data of %s back-fills history: publishing as of the current %s", wanted, latest)
        return latest
    return wanted
