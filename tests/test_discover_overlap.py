"""The discover stage runs beside the publish transaction's SQL builders (`jobs.discover_overlap`): they
overlap, the discover tables still land in the same publication, and a discover failure publishes nothing.

    pytest tests/test_discover_overlap.py
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from jobs import aggregate, pipeline
from jobs.errors import RunFailed
from tests.test_discover_stage import DISCOVER_TABLES, _backfill


def test_discover_overlaps_the_sql_builders_and_publishes_with_them(
    clean_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaderboard_started = threading.Event()
    build_leaderboard, run_discover = aggregate.BUILDERS["agg_artist_leaderboard"], pipeline.run_discover

    def leaderboard(conn: Connection, params: aggregate.AggregateParams) -> int:
        leaderboard_started.set()
        return build_leaderboard(conn, params)

    def discover(**kwargs: Any) -> Any:  # refuses to start its work before the publish's first SQL builder
        assert leaderboard_started.wait(timeout=60), "the publish did not start while discover ran"
        return run_discover(**kwargs)

    monkeypatch.setitem(aggregate.BUILDERS, "agg_artist_leaderboard", leaderboard)
    monkeypatch.setattr(pipeline, "run_discover", discover)
    outcome = _backfill(clean_db)
    with clean_db.connect() as conn:
        for table in (*DISCOVER_TABLES, "agg_artist_leaderboard"):
            ids = conn.execute(text(f"SELECT DISTINCT publication_id FROM {table}")).scalars().all()
            assert ids == [outcome.publication_id], table
        stages = conn.execute(text("SELECT stages FROM job_runs WHERE run_id = :r"), {"r": outcome.run_id}).scalar()
    names = [stage["stage"] for stage in stages]
    assert names[-2:] == ["discover", "aggregate_publish"]


def test_a_failed_discover_rolls_the_publication_back(clean_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def discover(**kwargs: Any) -> Any:
        raise ValueError("discover broke")

    monkeypatch.setattr(pipeline, "run_discover", discover)
    with pytest.raises(RunFailed, match="discover broke"):
        _backfill(clean_db)
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM publications")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM agg_artist_leaderboard")).scalar() == 0
        assert conn.execute(text("SELECT status FROM job_runs ORDER BY run_id DESC LIMIT 1")).scalar() == "failed"
