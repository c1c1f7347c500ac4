"""The test database is given back as migration left it (tests/conftest.py `reset_database`): not only emptied,
as TRUNCATE would, but without what a test created beside its rows (a month partition, a moved sequence)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, text

from jobs.partitions import ensure_partitions, list_partitions
from tests.conftest import reset_database

FAR_PAST = date(1990, 1, 1)


def state(engine: Engine) -> tuple[int, list[date], tuple[int, bool]]:
    """Rows in artists, the observation month partitions, and where the run-id sequence stands."""
    with engine.connect() as conn:
        artists = conn.execute(text("SELECT count(*) FROM artists")).scalar_one()
        months = [month for _, month in list_partitions(conn=conn)]
        sequence = conn.execute(text("SELECT last_value, is_called FROM job_runs_run_id_seq")).one()
    return artists, months, (sequence[0], sequence[1])


def test_reset_gives_back_the_migrated_database(clean_db: Engine) -> None:
    migrated = state(clean_db)
    with clean_db.begin() as conn:
        conn.execute(text("INSERT INTO artists (artist_id, name, source) VALUES ('demo:1', 'One', 'demo')"))
        ensure_partitions(conn=conn, first=FAR_PAST, last=FAR_PAST)
        conn.execute(text("SELECT setval('job_runs_run_id_seq', 500)"))
    dirty = state(clean_db)
    assert dirty[0] == 1 and FAR_PAST in dirty[1] and dirty[2] == (500, True)

    reset_database(clean_db)

    assert state(clean_db) == migrated
