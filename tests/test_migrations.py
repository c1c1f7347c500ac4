"""Migrations: apply to an empty database, re-apply as a no-op, down and up again, and race safely."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import Engine, inspect, text

from core import migrations
from core.db import get_engine
from jobs.load import load_batch
from jobs.sources.base import SourceBatch
from tests import pg


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
