"""One partition per publication for the big published tables (migration 0027): written bare, attached whole.

    tables = partitioned_tables(conn=conn)      # the tables partitioned by publication_id, e.g. agg_track_scores
    name = create_bare(conn=conn, table="agg_track_scores", publication_id=pid)   # a plain table to write into
    attach(conn=conn, table="agg_track_scores", publication_id=pid)   # its indexes built, then a partition
    ensure_partitions(conn=conn, publication_id=pid)   # an empty partition in each table that has none
    retire_partitions(engine)   # after the publish commit: DETACH CONCURRENTLY + DROP those of deleted publications

The tables with a row per track or per artist (similar tracks, discover tracks, track scores, the artist
leaderboard) are `PARTITION BY LIST (publication_id)`, one partition per publication, named `<table>_p<id>`. A
publication's rows are written into a bare table (`create_bare`: the parent's columns, defaults and CHECKs, no
index, and a CHECK of its publication id), then `attach` ATTACHes it: PostgreSQL builds each of the parent's
indexes on it once, sorted, instead of maintaining them row by row, and the CHECK spares the ATTACH its scan
of the rows. ATTACH holds SHARE UPDATE EXCLUSIVE on the parent (readers never wait) until the publish commits;
nobody else can see the bare table before that. Builders write into `AggregateParams.table(name)`, which is the
bare table while the publish builds it (`jobs.aggregate.build_aggregates`) and the table itself otherwise;
anything else writing a publication's rows through the parent (tests, benches) calls `ensure_partitions` first.

Retention deletes the old `publications` rows in the publish transaction, so no reader finds them afterwards;
their partitions are dropped after the commit by `retire_partitions`, never under a lock a reader waits for: it
first waits for the transactions that began before it (a dashboard callback reads one REPEATABLE READ snapshot,
which may still read a retired publication), then DETACHes each partition CONCURRENTLY (SHARE UPDATE EXCLUSIVE;
a plain DETACH, or a DROP of an attached partition, takes ACCESS EXCLUSIVE on the parent) and DROPs the detached
table (a lock on that table only). A run killed on the way leaves partitions of deleted publications, a detach
pending, or detached tables: the next run's `retire_partitions` finds and finishes each. No row is deleted, so
the tables never bloat.

    pytest tests/test_publication_rows.py tests/test_publication_partitions.py
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import Connection, Engine, text

logger = logging.getLogger(__name__)

RETIRE_WAIT_SECONDS = 30.0  # how long retire_partitions waits for older transactions before leaving it to next run
_POLL_SECONDS = 0.05

# The parents partitioned by LIST on publication_id alone.
_PARENTS = """
    SELECT c.relname FROM pg_partitioned_table p
    JOIN pg_class c ON c.oid = p.partrelid
    JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partstrat = 'l' AND p.partnatts = 1 AND a.attname = 'publication_id'
      AND c.relnamespace = to_regnamespace(current_schema())
    ORDER BY c.relname
"""
# Every table named like a publication's partition of a parent: attached (with a detach pending or not) or not.
_PUBLICATION_TABLES = """
    SELECT parent.relname AS parent, c.relname AS name,
           CAST(substring(c.relname FROM '_p([0-9]+)$') AS bigint) AS publication_id,
           i.inhrelid IS NOT NULL AS attached, coalesce(i.inhdetachpending, false) AS pending
    FROM pg_class c
    JOIN pg_class parent ON parent.relname = ANY(:parents) AND parent.relnamespace = c.relnamespace
     AND c.relname ~ ('^' || parent.relname || '_p[0-9]+$')
    LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = parent.oid
    WHERE c.relkind = 'r' AND c.relnamespace = to_regnamespace(current_schema())
"""


def partitioned_tables(*, conn: Connection) -> frozenset[str]:
    """The published tables with one partition per publication (what migration 0027 made of them)."""
    return frozenset(conn.execute(text(_PARENTS)).scalars())


def partition_name(table: str, publication_id: int) -> str:
    return f"{table}_p{int(publication_id)}"


def create_bare(*, conn: Connection, table: str, publication_id: int) -> str:
    """Create `table`'s partition for the publication as a plain table (the parent's columns, defaults and
    CHECKs, no index, not attached), with a CHECK that every row is the publication's; return its name."""
    name, pid = partition_name(table, publication_id), int(publication_id)
    conn.execute(text(
        f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE,'
        f' CONSTRAINT "{name}_publication" CHECK (publication_id = {pid}))'
    ))  # fmt: skip
    return name


def attach(*, conn: Connection, table: str, publication_id: int) -> None:
    """ATTACH the publication's bare table to `table`: the parent's indexes (its key among them) are built on it
    now, after its rows; the CHECK implies the partition bound, so the ATTACH does not scan the rows. The CHECK,
    then redundant, is dropped."""
    name, pid = partition_name(table, publication_id), int(publication_id)
    conn.execute(text(f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES IN ({pid})'))
    conn.execute(text(f'ALTER TABLE "{name}" DROP CONSTRAINT "{name}_publication"'))


def ensure_partitions(*, conn: Connection, publication_id: int) -> list[str]:
    """An empty partition for the publication in each partitioned table that has none (the tables no builder
    wrote, e.g. the scores of a run without a model), so anything may write its rows through the parent;
    returns the tables given one."""
    have = set(conn.execute(
        text("SELECT parent.relname FROM pg_inherits i JOIN pg_class parent ON parent.oid = i.inhparent"
             " JOIN pg_class c ON c.oid = i.inhrelid WHERE parent.relname = ANY(:parents) AND c.relname"
             " = parent.relname || '_p' || CAST(:pid AS text)"),
        {"parents": sorted(partitioned_tables(conn=conn)), "pid": int(publication_id)},
    ).scalars())  # fmt: skip
    missing = sorted(partitioned_tables(conn=conn) - have)
    for table in missing:
        create_bare(conn=conn, table=table, publication_id=publication_id)
        attach(conn=conn, table=table, publication_id=publication_id)
    return missing


def retire_partitions(engine: Engine, *, wait_seconds: float = RETIRE_WAIT_SECONDS) -> list[str]:
    """Drop the partitions of publications that no longer exist (see the module docstring): wait for the
    transactions older than this call, then DETACH each CONCURRENTLY (or FINALIZE a detach left pending) and
    DROP it. Returns the tables dropped; if older transactions outlast `wait_seconds`, drops nothing (the next
    run will). Runs its own autocommit statements: call it outside any transaction."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        retired = _retired(conn)
        if not retired or not _older_transactions_ended(conn, wait_seconds):
            return []
        for parent, name, attached, pending in retired:
            if attached:
                how = "FINALIZE" if pending else "CONCURRENTLY"
                conn.execute(text(f'ALTER TABLE "{parent}" DETACH PARTITION "{name}" {how}'))
            conn.execute(text(f'DROP TABLE "{name}"'))
    names = [name for _, name, _, _ in retired]
    logger.info("retired the partitions of deleted publications: %s", ", ".join(names))
    return names


def _retired(conn: Connection) -> list[tuple[str, str, bool, bool]]:
    """(parent, table, attached, detach pending) of each partition-named table whose publication is gone."""
    parents = sorted(partitioned_tables(conn=conn))
    if not parents:
        return []
    rows = conn.execute(
        text(f"SELECT parent, name, attached, pending FROM ({_PUBLICATION_TABLES}) t WHERE NOT EXISTS"
             " (SELECT 1 FROM publications p WHERE p.publication_id = t.publication_id) ORDER BY name"),
        {"parents": parents},
    ).all()  # fmt: skip
    return [(str(parent), str(name), bool(attached), bool(pending)) for parent, name, attached, pending in rows]


def _older_transactions_ended(conn: Connection, wait_seconds: float) -> bool:
    """Whether every client transaction of this database that began before now has ended, within `wait_seconds`:
    those are the snapshots that may still read a publication deleted before this call."""
    started = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    deadline = time.monotonic() + wait_seconds
    older = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend' AND xact_start < :started"
    )
    while conn.execute(older, {"started": started}).scalar_one():
        if time.monotonic() > deadline:
            logger.warning("transactions older than %.0f s still open: partitions of deleted publications are"
                           " left for the next run", wait_seconds)  # fmt: skip
            return False
        time.sleep(_POLL_SECONDS)
    return True
