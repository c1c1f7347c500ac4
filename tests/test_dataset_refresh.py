"""A refresh of the `dataset` source end to end: `python -m jobs import` of a small file
(tests/fixtures/dataset/snapshots.csv), then `python -m jobs refresh --source dataset`, on real PostgreSQL.

    python -m pytest tests/test_dataset_refresh.py -q

The dataset source extracts nothing (imports bring the data), so its refresh re-publishes what was imported,
as of the run's date, through the same run record and publication as every other source.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core.settings import get_settings
from jobs.cli import main

FILE = Path(__file__).parent / "fixtures" / "dataset" / "snapshots.csv"


@pytest.fixture
def cli_db(clean_db: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATABASE_URL", clean_db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("HIT_THRESHOLD", "70")
    get_settings.cache_clear()
    yield clean_db
    get_settings.cache_clear()


def test_a_dataset_refresh_republishes_the_import_as_of_its_date(cli_db: Engine) -> None:
    assert main(["import", str(FILE)]) == 0
    assert main(["refresh", "--source", "dataset", "--date", "2024-03-05"]) == 0
    with cli_db.connect() as conn:
        runs = conn.execute(text("SELECT kind, source, status FROM job_runs ORDER BY run_id")).all()
        publication = conn.execute(
            text("SELECT publication_id, snapshot_date, source, is_demo, hit_definition FROM publications"
                 " ORDER BY publication_id DESC LIMIT 1")
        ).one()  # fmt: skip
        leaders = conn.execute(
            text("SELECT name, popularity FROM agg_artist_leaderboard WHERE publication_id = :pid"),
            {"pid": publication.publication_id},
        ).all()
        season = conn.execute(
            text("SELECT sum(n_tracks), sum(n_hits) FROM agg_seasonality WHERE publication_id = :pid"),
            {"pid": publication.publication_id},
        ).one()
        loaded = conn.execute(text("SELECT count(*) FROM raw_observations")).scalar()
    assert [tuple(r) for r in runs] == [("import", "dataset", "succeeded"), ("refresh", "dataset", "succeeded")]
    assert publication.snapshot_date == date(2024, 3, 5) and publication.source == "dataset"
    assert not publication.is_demo and publication.hit_definition["threshold"] == 70.0  # no model: the settings'
    # The imported catalogue, republished: Nova's listeners lead; 3 tracks past the horizon, 1 peak >= 70.
    assert [tuple(r) for r in leaders] == [("Nova", None)] and tuple(season) == (3, 1)
    assert loaded == 7  # the refresh extracted nothing more
