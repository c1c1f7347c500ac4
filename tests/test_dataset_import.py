"""`python -m jobs import` on real PostgreSQL: the run row, the loaded rows, the publication, idempotent
re-import, skipped-row reports, the unknown-layout error, year-only dates kept out of the month chart."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from jobs.cli import main
from jobs.errors import DataQualityError
from jobs.importer import import_dataset, import_now
from jobs.pipeline import RunConfig
from jobs.sources.dataset import read_dataset
from jobs.sources.layouts import LAYOUT_NAMES

TABLES = ("artists", "artist_genres", "tracks", "track_artists", "track_audio_features", "raw_observations")


def fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """Row count and a hash of every row (timestamps included) of each loaded table."""
    sql = "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {} t"
    with engine.connect() as conn:
        return {table: tuple(conn.execute(text(sql.format(table))).one()) for table in TABLES}


def scalar(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.mark.shared_data
def test_600k_pair_imports_publishes_and_reimport_changes_nothing(clean_db: Engine, shared_data: Path) -> None:
    path = shared_data / "spotify-600k-sample" / "tracks.csv.gz"
    first = import_now(clean_db, path, layout="auto", snapshot_date=None, config=RunConfig(), user="test")
    assert scalar(clean_db, "SELECT count(*) FROM tracks") == 1_595
    assert scalar(clean_db, "SELECT count(*) FROM artists") == 708
    assert scalar(clean_db, "SELECT count(*) FROM raw_observations WHERE metric = 'spotify_followers'") == 484
    assert scalar(clean_db, "SELECT count(*) FROM tracks WHERE release_date_precision = 'year'") == 20
    assert scalar(clean_db, "SELECT count(*) FROM track_artists") == first.loaded["track_artists"] > 1_595
    with clean_db.connect() as conn:
        run = conn.execute(text("SELECT * FROM job_runs WHERE run_id = :r"), {"r": first.run_id}).one()
        publication = conn.execute(text("SELECT * FROM publications")).one()
    assert (run.kind, run.source, run.status) == ("import", "dataset", "succeeded")
    assert run.snapshot_date == date(2021, 4, 1)  # learnt from the rows (the layout's collection date)
    assert run.row_counts["rows_read"] == 484 + 1_595 and run.row_counts["rows_rejected"] == 0
    stages = ["import", "feature_table", "score", "discover", "aggregate_publish"]
    assert [stage["stage"] for stage in run.stages] == stages
    assert publication.publication_id == first.publication_id
    assert (publication.source, publication.is_demo) == ("dataset", False)
    assert publication.snapshot_date == date(2021, 4, 1)
    leaderboard = scalar(
        clean_db, "SELECT count(*) FROM agg_artist_leaderboard WHERE publication_id = :p AND followers > 0",
        p=first.publication_id,
    )  # fmt: skip
    assert leaderboard == 484

    before = fingerprint(clean_db)
    again = import_now(clean_db, path, layout="auto", snapshot_date=None, config=RunConfig(), user="test")
    assert sum(again.loaded.values()) == 0
    assert fingerprint(clean_db) == before
    assert again.publication_id == first.publication_id  # nothing changed: not republished
    assert scalar(clean_db, "SELECT count(*) FROM publications") == 1
    assert scalar(clean_db, "SELECT status FROM job_runs WHERE run_id = :r", r=again.run_id) == "succeeded"


@pytest.mark.shared_data
def test_top50_file_on_postgresql_then_reimport(clean_db: Engine, shared_data: Path) -> None:
    path = shared_data / "spotify-top50-daily" / "spotify-streaming-top-50-uk.csv.gz"
    first = import_now(clean_db, path, layout="auto", snapshot_date=None, config=RunConfig(), user="test")
    positions = scalar(clean_db, "SELECT count(*) FROM raw_observations WHERE metric = 'chart_position'")
    days = scalar(clean_db, "SELECT count(DISTINCT observed_on) FROM raw_observations")
    assert first.report.rows_read == 27_800 and days == 556
    # one position per track and day: 27,800 rows, less the same song listed twice on one day
    assert positions == 27_800 - first.report.notes["repeated observation of one day (first kept)"]
    assert scalar(clean_db, "SELECT snapshot_date FROM publications") == date(2024, 11, 27)
    assert scalar(clean_db, "SELECT count(*) FROM tracks WHERE track_id NOT LIKE 'dataset:%'") == 0
    before = fingerprint(clean_db)
    again = import_now(clean_db, path, layout="top50-daily", snapshot_date=None, config=RunConfig(), user="t")
    assert sum(again.loaded.values()) == 0 and fingerprint(clean_db) == before


SNAPSHOTS = (
    "date,artist,track,metric,value,release_date,genre\n"
    "2024-05-01,Nova,First Light,spotify_popularity,61,2024-04-19,pop\n"  # line 2
    "2024-05-01,Nova,,lastfm_listeners,1200,,pop\n"  # line 3: an artist metric
    "2024-05-01,Nova,Old Song,spotify_popularity,40,2019,pop\n"  # line 4: year-only release date
    "2024-05-02,Nova,First Light,spotify_popularity,not-a-number,2024-04-19,pop\n"  # line 5: bad value
    '2024-05-02,"Nova\nand friends",First Light,Spotify Popularity,3,,pop\n'  # lines 6-7: bad metric
    "2024-05-02,Nova,First Light,spotify_popularity\n"  # line 8: too few fields
    "2024-13-02,Nova,First Light,spotify_popularity,63,,pop\n"  # line 9: bad date
    "2024-05-02,Nova,First Light,spotify_popularity,64,2024-04-19,pop\n"  # line 10
)


def test_snapshots_file_reports_bad_rows_and_loads_good_ones(clean_db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "label_report.csv.gz"
    path.write_bytes(gzip.compress(SNAPSHOTS.encode()))
    outcome = import_now(clean_db, path, layout="auto", snapshot_date=None, config=RunConfig(), user="test")
    report = outcome.report
    assert [(r.line, r.reason.split(":")[0]) for r in report.rejected] == [
        (5, "value is not a number"),
        (6, "metric must be lower_snake_case"),
        (8, "expected 7 fields, got 4"),
        (9, "date is not a date (YYYY-MM-DD)"),
    ]
    assert (report.rows_read, report.rows_kept, report.rows_rejected) == (8, 4, 4)
    with clean_db.connect() as conn:
        values = conn.execute(
            text("SELECT entity_type, metric, observed_on, value FROM raw_observations ORDER BY 1, 2, 3, 4")
        ).all()
        warnings = conn.execute(text("SELECT warnings FROM job_runs WHERE run_id = :r"), {"r": outcome.run_id})
        warning_text = " ".join(warnings.scalar_one())
    assert [tuple(v) for v in values] == [
        ("artist", "lastfm_listeners", date(2024, 5, 1), 1200.0),
        ("track", "spotify_popularity", date(2024, 5, 1), 40.0),
        ("track", "spotify_popularity", date(2024, 5, 1), 61.0),
        ("track", "spotify_popularity", date(2024, 5, 2), 64.0),
    ]
    assert "label_report.csv.gz line 5: value is not a number" in warning_text
    # 2024-05-02 holds one good row against three on 2024-05-01: loaded, but it does not move the publication
    assert scalar(clean_db, "SELECT snapshot_date FROM publications") == date(2024, 5, 1)
    assert "rows dated after 2024-05-01 (up to 2024-05-02) are loaded" in warning_text


def test_year_only_release_dates_stay_out_of_the_month_chart(clean_db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(SNAPSHOTS)
    import_now(clean_db, path, layout="snapshots", snapshot_date=None, config=RunConfig(), user="test")
    with clean_db.connect() as conn:
        months = conn.execute(text("SELECT release_year, release_month, n_tracks FROM agg_seasonality")).all()
        excluded = conn.execute(
            text("SELECT release_year, n_tracks, n_open FROM agg_seasonality_excluded ORDER BY 1")
        ).all()
    # First Light (released 2024-04-19) is 13 days old at the 2024-05-02 snapshot: still open, not yet in the
    # month chart (it has not had the 28-day horizon); Old Song's release date is known to the year only.
    assert [tuple(m) for m in months] == []
    assert [tuple(e) for e in excluded] == [(2019, 1, 0), (2024, 0, 1)]
    assert scalar(clean_db, "SELECT release_date_precision FROM tracks WHERE name = 'Old Song'") == "year"


def test_unknown_layout_is_one_clear_error_and_starts_no_run(clean_db: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mystery.csv"
    path.write_text("when,who,how_many\n2024-01-01,x,3\n")
    with pytest.raises(DataQualityError) as raised:
        import_now(clean_db, path, layout="auto", snapshot_date=None, config=RunConfig(), user="test")
    message = str(raised.value)
    assert "unknown layout" in message and "when, who, how_many" in message
    for name in LAYOUT_NAMES:
        assert f"  {name}: " in message
    assert "snapshots: date, artist, metric, value" in message
    assert scalar(clean_db, "SELECT count(*) FROM job_runs") == 0


def test_a_named_layout_that_does_not_fit_names_the_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(SNAPSHOTS)
    with pytest.raises(DataQualityError, match="not a spotify-charts file: missing columns region, rank"):
        read_dataset(path, "spotify-charts")


def test_cli_import_exits_1_on_an_unknown_layout(
    clean_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", clean_db.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    path = tmp_path / "mystery.csv"
    path.write_text("a,b\n1,2\n")
    try:
        assert main(["import", str(path)]) == 1
        rejects = tmp_path / "rejects.csv"
        good = tmp_path / "report.csv"
        good.write_text(SNAPSHOTS)
        assert main(["import", str(good), "--rejects", str(rejects)]) == 0
        assert rejects.read_text().splitlines()[1] == "report.csv,5,value is not a number: 'not-a-number'"
    finally:
        get_settings.cache_clear()


def test_import_run_failure_is_recorded_and_loads_nothing(clean_db: Engine, tmp_path: Path) -> None:
    """A database error at the load marks the run failed with the cause; no chunk of the file stays loaded."""
    path = tmp_path / "report.csv"
    path.write_text(SNAPSHOTS)
    imported = read_dataset(path, chunk_rows=1)
    with clean_db.begin() as conn:
        conn.execute(text("ALTER TABLE observations ADD CONSTRAINT small CHECK (value <> 64)"))  # line 10
    try:
        with pytest.raises(Exception, match="run 1 failed"):
            import_dataset(clean_db, imported, trigger="cli", requested_by="test", config=RunConfig())
    finally:
        with clean_db.begin() as conn:
            conn.execute(text("ALTER TABLE observations DROP CONSTRAINT small"))
    assert scalar(clean_db, "SELECT status FROM job_runs WHERE run_id = 1") == "failed"
    assert "small" in str(scalar(clean_db, "SELECT error FROM job_runs WHERE run_id = 1"))
    assert scalar(clean_db, "SELECT count(*) FROM raw_observations") == 0  # lines 2-4 were rolled back too
    assert scalar(clean_db, "SELECT count(*) FROM artists") == 0
