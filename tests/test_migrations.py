"""Migrations: apply to an empty database, re-apply as a no-op, down and up again, and race safely; the ones
that convert stored rows (0013's observations, 0027's publications) keep them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, inspect, text

from core import migrations
from core.db import get_engine
from jobs import lock, pipeline
from jobs.load import load_batch
from jobs.sources.base import SourceBatch
from tests import pg
from tests.factories import DAY, config, table_digest, tiny_source


@pytest.fixture
def empty_engine(database_url: str) -> Iterator[Engine]:
    url = pg.create_throwaway_database(database_url)
    engine = get_engine(url)
    yield engine
    engine.dispose()
    pg.drop_database(url)


def test_upgrade_reapply_downgrade_upgrade(empty_engine: Engine) -> None:
    versions = [m.version for m in migrations.discover()]
    assert migrations.upgrade(empty_engine) == versions
    tables = set(inspect(empty_engine).get_table_names())
    assert {"artists", "tracks", "observations", "job_runs", "refresh_requests", "publications"} <= tables
    assert "raw_observations" in inspect(empty_engine).get_view_names()  # the readers' view (migration 0013)
    assert "source_health" not in tables  # nothing writes or reads it any more (0023)

    assert migrations.upgrade(empty_engine) == []

    assert migrations.downgrade(empty_engine) == list(reversed(versions))
    assert set(inspect(empty_engine).get_table_names()) == {"schema_migrations"}

    assert migrations.upgrade(empty_engine) == versions


def test_concurrent_upgrades_apply_each_migration_once(empty_engine: Engine) -> None:
    errors: list[BaseException] = []
    applied: list[list[str]] = []
    start = threading.Barrier(4)

    def apply() -> None:
        start.wait()
        try:
            applied.append(migrations.upgrade(empty_engine))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=apply) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(len(a) for a in applied) == [0, 0, 0, len(migrations.discover())]
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM schema_migrations")).scalar() == len(migrations.discover())


def test_migration_files_need_both_sections(tmp_path) -> None:
    (tmp_path / "0001_bad.sql").write_text("-- migrate:up\nSELECT 1;\n")
    with pytest.raises(ValueError, match="migrate:down"):
        migrations.discover(tmp_path)


def test_0013_moves_existing_observations_and_hashes_the_catalogue(empty_engine: Engine) -> None:
    """Rows stored in the wide table before 0013 read back the same through the view, in their months'
    partitions, and the backfilled content hashes match the loader's: reloading the same rows changes none."""
    migrations.upgrade(empty_engine)
    migrations.downgrade(empty_engine, to_version="0012")  # the wide table again, as before 0013
    wide = "SELECT entity_type, entity_id, metric, observed_on, source, value, run_id FROM raw_observations"
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO genres VALUES ('pop')"))
        conn.execute(text("INSERT INTO artists (artist_id, name, genre, source) VALUES ('a1', 'One', 'pop', 'demo')"))
        conn.execute(
            text(
                "INSERT INTO raw_observations (entity_type, entity_id, metric, observed_on, source, value, run_id)"
                " VALUES ('artist', 'a1', 'spotify_popularity', '2026-05-31', 'demo', 40, 1),"
                " ('artist', 'a1', 'spotify_popularity', '2026-06-01', 'demo', 41, 1),"
                " ('track', 't1', 'lastfm_listeners', '2026-06-01', 'lastfm', 7.5, NULL)"
            )
        )
        before = conn.execute(text(f"{wide} ORDER BY 1, 2, 3, 4")).all()
    assert migrations.upgrade(empty_engine)[0] == "0013"  # (and any later migration main has)
    with empty_engine.begin() as conn:
        assert conn.execute(text(f"{wide} ORDER BY 1, 2, 3, 4")).all() == before
        assert conn.execute(text("SELECT count(*) FROM observations_y2026m05")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM observations_y2026m06")).scalar() == 2
        artists = pd.DataFrame({"artist_id": ["a1"], "name": ["One"], "genre": ["pop"], "source": ["demo"]})
        counts = load_batch(conn=conn, batch=SourceBatch("demo", artists=artists), run_id=None)
    assert counts["artists"] == 0


BIG_TABLES = ("agg_similar_tracks", "agg_discover_tracks", "agg_track_scores", "agg_artist_leaderboard")


def _relkinds(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT relkind FROM pg_class WHERE relname = ANY(:t)"),
                                {"t": list(BIG_TABLES)}).scalars())  # fmt: skip


def test_0027_partitions_existing_publications_in_place(empty_engine: Engine) -> None:
    """Publications stored in the plain tables of 0026 read back the same after 0027, each in a partition of its
    own with every index of its table; down again, the plain tables hold the same rows; and the next refresh
    publishes into a new partition and retires the pruned publication's."""
    migrations.upgrade(empty_engine)
    with lock.exclusive_run(empty_engine):
        for day in (DAY - timedelta(days=1), DAY):
            pipeline.backfill(empty_engine, tiny_source(30), end_date=day, days=4, trigger="cli", requested_by="test",
                              config=config())  # fmt: skip
    with empty_engine.begin() as conn:
        version = conn.execute(text("INSERT INTO model_versions (is_active, promoted, metrics) VALUES (false, false,"
                                    " '{}') RETURNING model_version_id")).scalar_one()  # fmt: skip
        conn.execute(  # the runs had no model: scores as a run with one writes them
            text("INSERT INTO agg_track_scores (publication_id, track_id, name, genre, is_hit, probability,"
                 " model_version_id) SELECT publication_id, track_id, name, genre, is_hit, 0.5, :v"
                 " FROM agg_discover_tracks"),
            {"v": version},
        )  # fmt: skip
        pids = conn.execute(text("SELECT array_agg(publication_id ORDER BY 1) FROM publications")).scalar_one()
    assert len(pids) == 2
    gone = ("expected_gap",)  # 0028 drops it (empty on every row), its down adds it back empty
    digests = {table: table_digest(empty_engine, table, gone) for table in BIG_TABLES}
    assert all(rows for rows, _ in digests.values()), digests
    assert migrations.downgrade(empty_engine, to_version="0026") == ["0028", "0027"]
    assert _relkinds(empty_engine) == {"r"}
    assert {table: table_digest(empty_engine, table, gone) for table in BIG_TABLES} == digests
    assert migrations.upgrade(empty_engine) == ["0027", "0028"]  # the conversion of existing publications
    assert _relkinds(empty_engine) == {"p"}
    assert {table: table_digest(empty_engine, table, gone) for table in BIG_TABLES} == digests
    with empty_engine.connect() as conn:
        indexes = text("SELECT count(*) FROM pg_index WHERE indrelid = to_regclass(:t) AND indisvalid")
        for table in BIG_TABLES:
            for pid in pids:
                rows = conn.execute(text(f"SELECT count(*) FROM {table}_p{pid}")).scalar_one()
                mine = conn.execute(text(f"SELECT count(*) FROM {table} WHERE publication_id = {pid}")).scalar_one()
                assert rows == mine > 0, (table, pid)
                assert conn.execute(indexes, {"t": f"{table}_p{pid}"}).scalar_one() == conn.execute(
                    indexes, {"t": table}).scalar_one() > 0  # fmt: skip
    with lock.exclusive_run(empty_engine):
        outcome = pipeline.refresh(empty_engine, tiny_source(30), snapshot_date=DAY + timedelta(days=1),
                                   trigger="cli", requested_by="test",
                                   config=replace(config(), keep_publications=2))  # fmt: skip
    with empty_engine.connect() as conn:
        kept = conn.execute(text("SELECT array_agg(publication_id ORDER BY 1) FROM publications")).scalar_one()
        partitions = conn.execute(text(
            "SELECT array_agg(CAST(substring(c.relname FROM '_p([0-9]+)$') AS bigint)) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'agg_discover_tracks'::regclass"
        )).scalar_one()  # fmt: skip
    assert kept == [pids[1], outcome.publication_id]
    assert sorted(partitions) == kept
