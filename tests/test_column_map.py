"""Column mappings (`--map mapping.toml`): a made-up per-region chart export, whose column names no layout uses,
imports onto `top50-daily` (a series per region, artists and tracks under their Spotify ids, bad rows reported by
line) and onto the generic `snapshots` layout; `jobs evaluate` runs on it through the same mapping; every mapping
mistake is one clear error before any run."""

from __future__ import annotations

import csv
import json
import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core.settings import Settings, get_settings
from jobs.cli import main
from jobs.errors import DataQualityError
from jobs.evaluate import evaluate_file
from jobs.importer import import_now
from jobs.pipeline import RunConfig
from jobs.sources.column_map import load_mapping
from jobs.sources.dataset import read_dataset
from tests.mapped_files import BAD_ROWS, MAPPING, START, regional_export


def _count(engine: Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, Path, int]:
    path, mapping = tmp_path / "region_chart_export.csv", tmp_path / "mapping.toml"
    good = regional_export(path)
    mapping.write_text(MAPPING)
    return path, mapping, good


def test_regional_export_imports_onto_top50_through_the_mapping(clean_db: Engine, export) -> None:  # type: ignore[no-untyped-def]
    path, mapping, good = export
    outcome = import_now(
        clean_db, path, layout="auto", snapshot_date=None, config=RunConfig(), user="t", mapping=load_mapping(mapping)
    )
    report = outcome.report
    first_bad = good + 2  # header, then the good rows
    assert [(r.line, r.reason[: len(reason)]) for r, (_, reason) in zip(report.rejected, BAD_ROWS, strict=True)] == [
        (first_bad + i, reason) for i, (_, reason) in enumerate(BAD_ROWS)
    ]
    assert (report.rows_kept, report.rows_rejected) == (good, len(BAD_ROWS))
    with clean_db.connect() as conn:
        sources = conn.execute(text("SELECT source, count(*) FROM raw_observations GROUP BY 1 ORDER BY 1")).all()
        positions = conn.execute(
            text("SELECT min(value), max(value) FROM raw_observations WHERE metric = 'chart_position'")
        ).one()
        artist_ids = [a for (a,) in conn.execute(text("SELECT artist_id FROM artists"))]
        track_ids = [t for (t,) in conn.execute(text("SELECT track_id FROM tracks"))]
        links = conn.execute(text("SELECT count(*) FROM track_artists WHERE position = 1")).scalar()
        published = conn.execute(text("SELECT snapshot_date FROM publications")).scalar()
    stem = "dataset:top50-daily:region_chart_export"
    assert [s for s, _ in sources] == [f"{stem}:no", f"{stem}:se"]  # one series per region
    assert sum(n for _, n in sources) == 2 * good  # a position and a popularity per row (popularity 0 = missing)
    assert tuple(positions) == (1.0, 15.0)
    assert all(len(i) == 22 and i.isalnum() for i in artist_ids + track_ids)  # ids taken from the URIs
    assert links > 0  # two-artist tracks are linked to both, in order
    assert published == date(2024, 2, 9)  # the last day of the export (40 days from 2024-01-01), not 2099


def test_the_same_export_onto_the_generic_snapshots_layout(clean_db: Engine, tmp_path: Path) -> None:
    path, mapping = tmp_path / "export.csv", tmp_path / "snap.toml"
    good = regional_export(path, days=5, bad=False)
    mapping.write_text(
        'layout = "snapshots"\n[columns]\ndate = "day"\nartist = "artist_uris"\ntrack = "title"\n'
        'value = "score"\nmarket = "region"\nartist_ids = "artist_uris"\ntrack_id = "track_uri"\n'
    )
    # snapshots needs a metric column: the file has none, so the mapping is refused before any run
    with pytest.raises(DataQualityError, match="layout snapshots needs the column\\(s\\) metric"):
        read_dataset(path, mapping=load_mapping(mapping))
    mapping.write_text(mapping.read_text().replace('value = "score"', 'value = "score"\nmetric = "rank_in_region"'))
    imported = read_dataset(path, mapping=load_mapping(mapping))
    list(imported.batches)
    assert imported.report.rows_read == good
    assert imported.report.rows_rejected == good  # every row: metric "1", "2"... is not a metric name
    assert imported.report.rejected[0].reason.startswith("metric must be lower_snake_case")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('layout = "top50-daily"\nfoo = 1\n[columns]\ndate = "day"\n', "unknown key 'foo'; a mapping has layout"),
        ('layout = "top-51"\n[columns]\ndate = "day"\n', "layout = 'top-51' is not a layout; expected one of"),
        ('layout = "top50-daily"\n[columns]\nrank = "rank_in_region"\n', "unknown key 'rank' in [columns]. Layout"),
        ('layout = "top50-daily"\n', "a [columns] table"),
        ('layout = "top50-daily"\n[columns\n', "not valid TOML"),
        (MAPPING.replace('"score"', '"points"'), "names columns the file does not have: points"),
        (MAPPING.replace('date = "day"\n', ""), "layout top50-daily needs the column(s) date"),
    ],
)
def test_every_mapping_mistake_is_one_clear_error_before_any_run(
    clean_db: Engine,
    export,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: str,
    message: str,
) -> None:  # type: ignore[no-untyped-def]
    path, mapping, _ = export
    mapping.write_text(content)
    monkeypatch.setenv("DATABASE_URL", clean_db.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    handlers = logging.getLogger().handlers[:]
    try:
        assert main(["import", str(path), "--map", str(mapping)]) == 1
    finally:
        get_settings.cache_clear()
        logging.getLogger().handlers[:] = handlers  # the CLI's handler writes to this test's captured stderr
    errors = [line for line in capsys.readouterr().err.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in capsys.readouterr().err
    assert _count(clean_db, "SELECT count(*) FROM job_runs") == 0


@pytest.mark.timeout(300)
def test_evaluate_runs_on_the_export_through_the_same_mapping(tmp_path: Path) -> None:
    path, mapping, out = tmp_path / "export.csv", tmp_path / "mapping.toml", tmp_path / "report.json"
    regional_export(path, days=300, n_tracks=200, top=40)
    mapping.write_text(MAPPING)
    settings = Settings(MODEL_MAX_ROUNDS=20, MODEL_NUM_THREADS=1, MODEL_FOLDS=2)
    evaluate_file(
        path, layout="auto", report_path=out, settings=settings, trials=2, time_budget=30,
        mapping=load_mapping(mapping),
    )  # fmt: skip
    report = json.loads(out.read_text())
    assert report["data"]["layout"] == "top50-daily" and report["label"]["hit"] == "chart_position <= 10"
    assert report["n_train"] > 0 and report["n_test"] > 0 and 0 < report["prevalence"] < 1
    assert "track_chart_position" in report["features"] and len(report["folds"]) >= 1
    assert START.isoformat() <= report["folds"][0]["train_to"]


def test_cli_import_with_map_and_rejects(clean_db: Engine, export, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path, mapping, good = export
    rejects = path.with_name("skipped.csv")
    monkeypatch.setenv("DATABASE_URL", clean_db.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    handlers = logging.getLogger().handlers[:]
    try:
        assert main(["import", str(path), "--map", str(mapping), "--rejects", str(rejects)]) == 0
        assert main(["import", str(path), "--map", str(mapping), "--layout", "top50-daily"]) == 1
    finally:
        get_settings.cache_clear()
        logging.getLogger().handlers[:] = handlers
    lines = rejects.read_text().splitlines()
    assert lines[0] == "file,line,reason" and len(lines) == 1 + len(BAD_ROWS)
    assert lines[1] == f'region_chart_export.csv,{good + 2},"spotify_popularity out of bounds [0, 100]: 150"'
    assert _count(clean_db, "SELECT count(*) FROM job_runs") == 1  # the refused --map + --layout ran nothing


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_ids_stand_in_for_missing_names_and_name_lists_must_match_id_lists(tmp_path: Path) -> None:
    t1, a1, a2 = "1" * 22, "2" * 22, "3" * 22
    two = f'["spotify:artist:{a1}", "https://open.spotify.com/artist/{a2}?si=x"]'
    header = ["day", "pos", "who", "ids", "uri"]
    ids_only = _write(
        tmp_path / "ids_only.csv",
        [
            header[:2] + header[3:],
            ["2024-03-01", "1", two, f"spotify:track:{t1}"],
            ["2024-03-01", "2", two, f"spotify:artist:{a1}"],  # an artist URI as the track id: reported
        ],
    )
    mapping = tmp_path / "ids.toml"
    mapping.write_text(
        'layout = "top50-daily"\n[columns]\ndate = "day"\nposition = "pos"\nartist_ids = "ids"\ntrack_id = "uri"\n'
    )
    imported = read_dataset(ids_only, mapping=load_mapping(mapping))
    batch = next(iter(imported.batches))
    assert [(r.line, r.reason) for r in imported.report.rejected] == [
        (3, f"uri holds a artist reference, not a track: 'spotify:artist:{a1}'")
    ]
    # no title and no artist names: the ids stand in for both, the artists linked in their order
    assert batch.tracks[["track_id", "name"]].to_dict("records") == [{"track_id": t1, "name": t1}]
    assert batch.artists["name"].tolist() == [a1, a2]
    links = batch.track_artists[["artist_id", "position"]].to_dict("records")
    assert links == [{"artist_id": a1, "position": 0}, {"artist_id": a2, "position": 1}]

    named = _write(
        tmp_path / "named.csv",
        [header, ["2024-03-01", "1", "Solo Name", f"{a1}|{a2}", f"spotify:track:{t1}"]],  # one name, two ids
    )
    mapping.write_text(mapping.read_text() + 'artist = "who"\nsong = "who"\n')
    imported = read_dataset(named, mapping=load_mapping(mapping))
    list(imported.batches)
    assert [(r.line, r.reason) for r in imported.report.rejected] == [
        (2, "ids lists 2 ids but the row names 1 artists")
    ]
