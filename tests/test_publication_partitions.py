"""A publication's partitions (jobs/publication_partitions.py): written bare, attached whole, retired without a
lock a reader waits for.

- ATTACH builds every index of the parent on the filled table and skips its scan of the rows (the CHECK of the
  publication id implies the bound);
- while a publish holds its new partitions attached and uncommitted, a reader neither waits (the parent is held
  SHARE UPDATE EXCLUSIVE, never ACCESS EXCLUSIVE) nor sees any of their rows;
- retiring waits for the transactions older than it (a REPEATABLE READ snapshot still reads the publication it
  started with), blocks no reader of the kept publications meanwhile, then drops; and it finishes what a killed
  run left behind (a detach left pending, a detached table); with an older transaction that stays open it
  drops nothing and leaves it to the next run;
- the publish refuses track scores of a model version that does not exist.

    python -m pytest tests/test_publication_partitions.py -q
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from jobs.aggregate import SCORE_COLUMNS, AggregateParams, build_track_scores
from jobs.errors import DataQualityError
from jobs.publication_partitions import attach, create_bare, partition_name, retire_partitions
from tests.test_publication_rows import publication

ROWS = "INSERT INTO {table} (publication_id, artist_id, name, genre, popularity) SELECT {pid}, 'a' || g, 'n', 'pop', g"


def _leaderboard(conn: Connection, pid: int, n: int = 50) -> None:
    """`n` leaderboard rows of publication `pid`, written bare and attached as the publish writes them."""
    bare = create_bare(conn=conn, table="agg_artist_leaderboard", publication_id=pid)
    conn.execute(text(ROWS.format(table=bare, pid=pid) + f" FROM generate_series(1, {n}) g"))
    attach(conn=conn, table="agg_artist_leaderboard", publication_id=pid)


def _unpartitioned_publication(conn: Connection) -> int:
    """A publication row whose partitions are yet to be written."""
    return publication(conn, partitions=False)


def test_attach_builds_the_indexes_after_the_rows_and_does_not_scan_them(conn: Connection) -> None:
    pid = _unpartitioned_publication(conn)
    notices: list[str] = []
    driver = conn.connection.driver_connection
    driver.add_notice_handler(lambda notice: notices.append(notice.message_primary))  # type: ignore[union-attr]
    conn.execute(text("SET LOCAL client_min_messages = debug1"))
    _leaderboard(conn, pid)
    conn.execute(text("SET LOCAL client_min_messages = notice"))
    name = partition_name("agg_artist_leaderboard", pid)
    assert any(f'partition constraint for table "{name}" is implied by existing constraints' in n for n in notices)
    indexes = text("SELECT count(*) FROM pg_index WHERE indrelid = to_regclass(:t) AND indisvalid")
    parent = conn.execute(indexes, {"t": "agg_artist_leaderboard"}).scalar_one()
    assert parent >= 9 and conn.execute(indexes, {"t": name}).scalar_one() == parent  # the key and 8 indexes
    count = text("SELECT count(*) FROM agg_artist_leaderboard WHERE publication_id = :p")
    assert conn.execute(count, {"p": pid}).scalar_one() == 50
    checks = text("SELECT count(*) FROM pg_constraint WHERE conname = :c")
    assert conn.execute(checks, {"c": f"{name}_publication"}).scalar_one() == 0  # implied by the bound, dropped


def test_a_reader_neither_waits_for_nor_sees_a_publication_being_attached(clean_db: Engine) -> None:
    with clean_db.begin() as conn:
        old = _unpartitioned_publication(conn)
        _leaderboard(conn, old, 20)
    with clean_db.connect() as writer, writer.begin():
        new = _unpartitioned_publication(writer)
        _leaderboard(writer, new, 30)  # attached, not committed
        modes = writer.execute(
            text("SELECT array_agg(mode) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'"
                 " AND relation = 'agg_artist_leaderboard'::regclass")
        ).scalar_one()  # fmt: skip
        assert "AccessExclusiveLock" not in modes and "ShareUpdateExclusiveLock" in modes
        with clean_db.connect() as reader:
            reader.execute(text("SET lock_timeout = '200ms'"))  # a wait would fail it
            rows = reader.execute(
                text("SELECT publication_id, count(*) FROM agg_artist_leaderboard GROUP BY 1 ORDER BY 1")
            ).all()
            assert rows == [(old, 20)]
    with clean_db.connect() as reader:
        counts = reader.execute(text("SELECT count(*) FROM agg_artist_leaderboard WHERE publication_id = :p"),
                                {"p": new}).scalar_one()  # fmt: skip
    assert counts == 30


def _two_publications(engine: Engine) -> tuple[int, int]:
    """(kept, deleted): two publications with leaderboard rows, the second one's `publications` row deleted."""
    with engine.begin() as conn:
        kept, deleted = _unpartitioned_publication(conn), _unpartitioned_publication(conn)
        _leaderboard(conn, kept, 10)
        _leaderboard(conn, deleted, 40)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM publications WHERE publication_id = :p"), {"p": deleted})
    return kept, deleted


def test_retiring_waits_for_an_older_snapshot_and_blocks_no_reader(clean_db: Engine) -> None:
    with clean_db.begin() as conn:
        kept, doomed = _unpartitioned_publication(conn), _unpartitioned_publication(conn)
        _leaderboard(conn, kept, 10)
        _leaderboard(conn, doomed, 40)
    count = text("SELECT count(*) FROM agg_artist_leaderboard WHERE publication_id = :p")
    with clean_db.connect() as old_reader:
        old_reader.execution_options(isolation_level="REPEATABLE READ")
        with old_reader.begin():
            old_reader.execute(text("SELECT count(*) FROM publications"))  # its snapshot, before the deletion
            with clean_db.begin() as conn:
                conn.execute(text("DELETE FROM publications WHERE publication_id = :p"), {"p": doomed})
            dropped: list[list[str]] = []
            retiring = threading.Thread(target=lambda: dropped.append(retire_partitions(clean_db, wait_seconds=20)))
            retiring.start()
            time.sleep(1.0)
            assert retiring.is_alive()  # waiting for the older snapshot
            with clean_db.connect() as reader:  # a reader of the kept publication does not wait
                reader.execute(text("SET lock_timeout = '200ms'"))
                assert reader.execute(count, {"p": kept}).scalar_one() == 10
            assert old_reader.execute(count, {"p": doomed}).scalar_one() == 40  # still there for its snapshot
        retiring.join(timeout=30)
    assert dropped == [[partition_name("agg_artist_leaderboard", doomed)]]
    with clean_db.connect() as conn:
        assert conn.execute(count, {"p": doomed}).scalar_one() == 0
        assert conn.execute(count, {"p": kept}).scalar_one() == 10


def test_retiring_waits_only_so_long_then_leaves_it_to_the_next_run(clean_db: Engine) -> None:
    _, deleted = _two_publications(clean_db)
    name = partition_name("agg_artist_leaderboard", deleted)
    with clean_db.connect() as idle, idle.begin():
        idle.execute(text("SELECT 1"))  # a transaction that stays open
        started = time.monotonic()
        assert retire_partitions(clean_db, wait_seconds=0.5) == []
        assert time.monotonic() - started < 5
    with clean_db.connect() as conn:
        assert conn.execute(text(f"SELECT to_regclass('{name}')")).scalar() is not None
    assert retire_partitions(clean_db) == [name]


def test_retiring_finishes_a_pending_detach_and_a_detached_table(clean_db: Engine) -> None:
    """A detach's second phase waits for the parent's readers, and new readers do not queue behind it (a plain
    DETACH would make them wait for its ACCESS EXCLUSIVE lock); cancelled there, as if the run were killed, it
    stays pending, which retiring then finalizes."""
    with clean_db.begin() as conn:
        pids = [_unpartitioned_publication(conn) for _ in range(3)]
        for pid in pids:
            _leaderboard(conn, pid, 5)
        conn.execute(text("DELETE FROM publications WHERE publication_id = ANY(:p)"), {"p": pids[1:]})
    pending, detached = (partition_name("agg_artist_leaderboard", pid) for pid in pids[1:])
    errors: list[BaseException] = []

    def detach(name: str, timeout: str) -> None:
        with clean_db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"SET statement_timeout = '{timeout}'"))
            try:
                conn.execute(text(f'ALTER TABLE agg_artist_leaderboard DETACH PARTITION "{name}" CONCURRENTLY'))
            except OperationalError as error:
                errors.append(error)

    detach(detached, "0")
    count = text("SELECT count(*) FROM agg_artist_leaderboard WHERE publication_id = :p")
    with clean_db.connect() as holder, holder.begin():
        holder.execute(text("SELECT count(*) FROM agg_artist_leaderboard"))  # a reader the second phase waits for
        detaching = threading.Thread(target=detach, args=(pending, "3s"))
        detaching.start()
        time.sleep(1.0)
        assert detaching.is_alive()
        with clean_db.connect() as reader:
            reader.execute(text("SET lock_timeout = '200ms'"))
            assert reader.execute(count, {"p": pids[0]}).scalar_one() == 5
        detaching.join(timeout=30)
    assert len(errors) == 1 and "statement timeout" in str(errors[0])
    with clean_db.connect() as conn:
        state = conn.execute(text("SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass(:t)"),
                             {"t": pending}).scalar_one()  # fmt: skip
    assert state is True
    assert retire_partitions(clean_db) == sorted([pending, detached])
    with clean_db.connect() as conn:
        left = conn.execute(text("SELECT array_agg(publication_id) FROM agg_artist_leaderboard")).scalar_one()
    assert set(left) == {pids[0]}


def test_scores_of_a_model_version_that_does_not_exist_are_refused(conn: Connection) -> None:
    pid = _unpartitioned_publication(conn)
    scores = pd.DataFrame([{c: None for c in SCORE_COLUMNS if c != "publication_id"}])
    scores = scores.assign(track_id="t", name="n", genre="pop", is_hit=False, probability=0.5, model_version_id=999)
    bare = create_bare(conn=conn, table="agg_track_scores", publication_id=pid)
    params = AggregateParams(pid, date(2026, 6, 30), targets={"agg_track_scores": bare})
    with pytest.raises(DataQualityError, match=r"model versions that do not exist: \[999\]"):
        build_track_scores(conn, params, scores)
