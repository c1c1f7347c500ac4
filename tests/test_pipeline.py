"""The refresh run on real PostgreSQL: idempotent per date, atomic publication, failures that lose nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Connection, Engine, text

from jobs import aggregate, lock, pipeline
from jobs.errors import RunFailed
from tests.factories import DATA_TABLES, DAY, PUBLISHED_TABLES, config, table_digest, tiny_source


def _backfill(engine: Engine, days: int = 10) -> pipeline.RunOutcome:
    with lock.exclusive_run(engine):
        return pipeline.backfill(
            engine,
            tiny_source(),
            end_date=DAY,
            days=days,
            trigger="cli",
            requested_by="test",
            config=config(),
        )


def _refresh(engine: Engine, day=DAY) -> pipeline.RunOutcome:
    with lock.exclusive_run(engine):
        return pipeline.refresh(
            engine, tiny_source(), snapshot_date=day, trigger="cli", requested_by="test", config=config()
        )


def _latest_publication(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT max(publication_id) FROM publications")).scalar()


def test_backfill_loads_every_day_and_publishes(clean_db: Engine) -> None:
    outcome = _backfill(clean_db, days=10)
    source = tiny_source()
    expected = sum(len(source.market.observations(DAY - timedelta(days=i))) for i in range(10))
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM raw_observations")).scalar() == expected
        assert conn.execute(text("SELECT count(DISTINCT observed_on) FROM raw_observations")).scalar() == 10
        run = conn.execute(text("SELECT kind, status, stages FROM job_runs WHERE run_id = :r"),
                           {"r": outcome.run_id}).one()  # fmt: skip
        leaders = conn.execute(
            text("SELECT count(*) FROM agg_artist_leaderboard WHERE publication_id = :p"),
            {"p": outcome.publication_id},
        ).scalar()
    assert run.kind == "backfill" and run.status == "succeeded"
    assert [s["stage"] for s in run.stages] == ["extract", "feature_table", "score", "discover", "aggregate_publish"]
    assert leaders == 60


def test_leaderboard_matches_raw_observations(clean_db: Engine) -> None:
    outcome = _backfill(clean_db, days=10)
    with clean_db.connect() as conn:
        row = conn.execute(
            text("SELECT artist_id, popularity, popularity_7d FROM agg_artist_leaderboard"
                 " WHERE publication_id = :p ORDER BY artist_id LIMIT 1"),
            {"p": outcome.publication_id},
        ).one()  # fmt: skip
        today, week_ago = (
            conn.execute(
                text("SELECT value FROM raw_observations WHERE entity_id = :a AND metric = 'spotify_popularity'"
                     " AND observed_on = :d"),
                {"a": row.artist_id, "d": day},
            ).scalar()
            for day in (DAY, DAY - timedelta(days=7))
        )  # fmt: skip
    assert row.popularity == today
    assert row.popularity_7d == pytest.approx(today - week_ago)


def test_refresh_twice_changes_no_row(clean_db: Engine) -> None:
    _backfill(clean_db, days=3)
    first = _refresh(clean_db)
    before = {t: table_digest(clean_db, t, exclude=("loaded_at", "run_id")) for t in DATA_TABLES + PUBLISHED_TABLES}
    second = _refresh(clean_db)
    after = {t: table_digest(clean_db, t, exclude=("loaded_at", "run_id")) for t in DATA_TABLES + PUBLISHED_TABLES}
    assert after == before
    assert second.publication_id == first.publication_id
    assert sum(second.loaded.values()) == 0


def test_reader_sees_previous_publication_until_commit(clean_db: Engine, monkeypatch) -> None:
    first = _backfill(clean_db, days=3)
    inside, release = threading.Event(), threading.Event()

    def slow_builder(conn: Connection, params: aggregate.AggregateParams) -> int:
        inside.set()
        assert release.wait(30)
        return 0

    monkeypatch.setitem(aggregate.BUILDERS, "zz_slow", slow_builder)
    worker = threading.Thread(target=_refresh, args=(clean_db, DAY + timedelta(days=1)))
    worker.start()
    try:
        assert inside.wait(30)
        # Mid-publication: the new rows are written but not committed. The reader sees only the old run.
        with clean_db.connect() as conn:
            assert conn.execute(text("SELECT max(publication_id) FROM publications")).scalar() == first.publication_id
            assert conn.execute(text("SELECT count(DISTINCT publication_id) FROM agg_artist_leaderboard")).scalar() == 1
    finally:
        release.set()
        worker.join(60)
    assert first.publication_id is not None and _latest_publication(clean_db) == first.publication_id + 1


def test_crashed_run_is_failed_previous_publication_serves_next_run_succeeds(clean_db: Engine, monkeypatch) -> None:
    first = _backfill(clean_db, days=3)
    served_before = table_digest(clean_db, "agg_artist_leaderboard")

    def broken_builder(conn: Connection, params: aggregate.AggregateParams) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(aggregate.BUILDERS, "zz_broken", broken_builder)
    with pytest.raises(RunFailed) as failure:
        _refresh(clean_db, DAY + timedelta(days=1))
    with clean_db.connect() as conn:
        status, error = conn.execute(
            text("SELECT status, error FROM job_runs WHERE run_id = :r"), {"r": failure.value.run_id}
        ).one()
    assert status == "failed" and "disk on fire" in error
    assert _latest_publication(clean_db) == first.publication_id
    assert table_digest(clean_db, "agg_artist_leaderboard") == served_before

    monkeypatch.delitem(aggregate.BUILDERS, "zz_broken")
    retry = _refresh(clean_db, DAY + timedelta(days=1))
    assert first.publication_id is not None and retry.publication_id is not None
    assert retry.publication_id > first.publication_id


def test_old_publications_are_pruned(clean_db: Engine) -> None:
    _backfill(clean_db, days=2)
    for offset in range(1, 5):
        _refresh(clean_db, DAY + timedelta(days=offset))
    with clean_db.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM publications")).scalar()
        orphans = conn.execute(
            text("SELECT count(*) FROM agg_seasonality s LEFT JOIN publications p USING (publication_id)"
                 " WHERE p.publication_id IS NULL")
        ).scalar()  # fmt: skip
    assert kept == config().keep_publications
    assert orphans == 0


def test_a_run_left_running_by_a_dead_worker_is_marked_failed(clean_db: Engine) -> None:
    with clean_db.begin() as conn:
        conn.execute(text("INSERT INTO job_runs (kind, trigger, source) VALUES ('refresh', 'schedule', 'demo')"))
    _refresh(clean_db)
    with clean_db.connect() as conn:
        status, error = conn.execute(text("SELECT status, error FROM job_runs ORDER BY run_id LIMIT 1")).one()
    assert status == "failed" and error.startswith("abandoned")


def test_alerts_flag_a_spike_against_the_artists_own_trend(clean_db: Engine) -> None:
    from datetime import date as _date

    import pandas as pd

    from jobs.sources.base import DailySource, SourceBatch

    day = _date(2026, 3, 31)
    artists = pd.DataFrame(
        {"artist_id": ["x:steady", "x:spike"], "name": ["Steady", "Spike"], "genre": ["pop", "pop"], "source": "x"}
    )
    rows = []
    for offset in range(30, -1, -1):
        observed, wobble = day - timedelta(days=offset), (offset % 3) - 1  # an ordinary day-to-day wobble
        rows.append(("x:steady", 50 + wobble, observed))
        rows.append(("x:spike", 50 + wobble if offset else 65, observed))
    observations = pd.DataFrame(rows, columns=["entity_id", "value", "observed_on"]).assign(
        entity_type="artist", metric="spotify_popularity", source="x"
    )

    class Fixed(DailySource):
        name, is_demo = "x", False

        def extract(self, snapshot_date):
            return SourceBatch(
                source="x", artists=artists, artist_genres=artists[["artist_id", "genre"]], observations=observations
            )

    with lock.exclusive_run(clean_db):
        outcome = pipeline.refresh(
            clean_db, Fixed(), snapshot_date=day, trigger="cli", requested_by="t", config=config()
        )
    with clean_db.connect() as conn:
        alerts = conn.execute(
            text("SELECT artist_id, metric, value, round(CAST(zscore AS numeric), 1) AS z FROM agg_alerts"
                 " WHERE publication_id = :p"),
            {"p": outcome.publication_id},
        ).all()  # fmt: skip
    assert [(a.artist_id, a.metric, a.value) for a in alerts] == [("x:spike", "spotify_popularity", 65.0)]
    assert alerts[0].z >= 3
