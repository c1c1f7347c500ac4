"""The big published tables hold one partition per publication (migration 0027, jobs/publication_partitions.py),
and that keeps their rows tied to `publications`: a row of a publication without its partition is refused and
nothing of the statement stays; a bare partition takes only its own publication's rows; retiring drops the
partitions of deleted publications, and only theirs; a model version that published scores refer to cannot be
deleted (what the foreign key refused before 0027).

    python -m pytest tests/test_publication_rows.py -q
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from jobs.publication_partitions import create_bare, ensure_partitions, partitioned_tables, retire_partitions
from jobs.runs import start_run

BIG_TABLES = {
    "agg_similar_tracks": "(publication_id, track_no, similar_nos, distances) VALUES ({pid}, 0, '{{1}}', '{{0.5}}')",
    "agg_discover_tracks": "(publication_id, track_id, name, genre, is_hit) VALUES ({pid}, 't', 'n', 'g', false)",
    "agg_track_scores": (
        "(publication_id, track_id, name, genre, is_hit, probability) VALUES ({pid}, 't', 'n', 'g', false, 0.5)"
    ),
    "agg_artist_leaderboard": "(publication_id, artist_id, name, genre) VALUES ({pid}, 'a', 'n', 'g')",
}


def publication(conn: Connection, *, partitions: bool = True) -> int:
    """A publication row, with its (empty) partitions unless not `partitions`."""
    day = date(2026, 6, 30)
    run_id = start_run(conn=conn, kind="refresh", trigger="cli", source="demo", snapshot_date=day, requested_by="t")
    pid = int(
        conn.execute(
            text("INSERT INTO publications (run_id, snapshot_date, source, is_demo) VALUES (:r, :d, 'demo', true)"
                 " RETURNING publication_id"),
            {"r": run_id, "d": day},
        ).scalar_one()
    )  # fmt: skip
    if partitions:
        ensure_partitions(conn=conn, publication_id=pid)
    return pid


def test_the_big_tables_are_partitioned_by_publication(conn: Connection) -> None:
    assert partitioned_tables(conn=conn) == set(BIG_TABLES)


@pytest.mark.parametrize("table", sorted(BIG_TABLES))
def test_a_row_of_no_publication_is_refused(conn: Connection, table: str) -> None:
    pid = publication(conn)
    conn.execute(text(f"INSERT INTO {table} {BIG_TABLES[table].format(pid=pid)}"))  # its publication exists
    with pytest.raises(IntegrityError, match="no partition of relation"), conn.begin_nested():
        conn.execute(text(f"INSERT INTO {table} {BIG_TABLES[table].format(pid=pid + 1000)}"))
    with pytest.raises(IntegrityError, match="no partition of relation"), conn.begin_nested():
        conn.execute(text(f"UPDATE {table} SET publication_id = :p"), {"p": pid + 1000})
    assert conn.execute(text(f"SELECT array_agg(publication_id) FROM {table}")).scalar() == [pid]


@pytest.mark.parametrize("table", sorted(BIG_TABLES))
def test_a_bare_partition_takes_only_its_publications_rows(conn: Connection, table: str) -> None:
    pid = publication(conn) + 1  # the next publication, being written
    bare = create_bare(conn=conn, table=table, publication_id=pid)
    conn.execute(text(f"INSERT INTO {bare} {BIG_TABLES[table].format(pid=pid)}"))
    with pytest.raises(IntegrityError, match="_publication"), conn.begin_nested():
        conn.execute(text(f"INSERT INTO {bare} {BIG_TABLES[table].format(pid=pid - 1)}"))


def test_retiring_drops_the_deleted_publications_partitions_only(clean_db: Engine) -> None:
    with clean_db.begin() as conn:
        kept, dropped = publication(conn), publication(conn)
        for pid in (kept, dropped):
            for table, values in BIG_TABLES.items():
                conn.execute(text(f"INSERT INTO {table} {values.format(pid=pid)}"))
    assert retire_partitions(clean_db) == []  # every partition's publication exists
    with clean_db.begin() as conn:
        conn.execute(text("DELETE FROM publications WHERE publication_id = :p"), {"p": dropped})
        for table in BIG_TABLES:  # no reader finds the deleted publication; its partition waits for retirement
            assert conn.execute(text(f"SELECT count(*) FROM {table}_p{dropped}")).scalar() == 1
    assert retire_partitions(clean_db) == sorted(f"{table}_p{dropped}" for table in BIG_TABLES)
    with clean_db.connect() as conn:
        for table in BIG_TABLES:
            assert conn.execute(text(f"SELECT array_agg(publication_id) FROM {table}")).scalar() == [kept], table
            assert conn.execute(text(f"SELECT to_regclass('{table}_p{dropped}')")).scalar() is None


def test_a_model_version_published_scores_refer_to_cannot_be_deleted(conn: Connection) -> None:
    pid = publication(conn)
    used, unused = conn.execute(
        text("INSERT INTO model_versions (is_active, promoted, metrics) VALUES (false, false, '{}'),"
             " (false, false, '{}') RETURNING model_version_id")
    ).scalars().all()  # fmt: skip
    conn.execute(
        text("INSERT INTO agg_track_scores (publication_id, track_id, name, genre, is_hit, probability,"
             " model_version_id) VALUES (:p, 't', 'n', 'g', false, 0.5, :v)"),
        {"p": pid, "v": used},
    )  # fmt: skip
    with pytest.raises(IntegrityError, match="published track scores refer"), conn.begin_nested():
        conn.execute(text("DELETE FROM model_versions WHERE model_version_id = :v"), {"v": used})
    conn.execute(text("DELETE FROM model_versions WHERE model_version_id = :v"), {"v": unused})
