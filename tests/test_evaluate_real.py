"""`python -m jobs evaluate` on the real files in ../shared/data (skipped when the data is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from core.model_report import ModelReport
from core.settings import Settings
from jobs.evaluate import evaluate_data, read_for_evaluation
from jobs.sources.layouts.common import RowContext
from jobs.sources.layouts.music_mining import COLLECTED_ON, parse_track
from model.examples import build_examples
from model.features import feature_names

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.mark.timeout(900)
def test_evaluate_pools_top50_files_and_writes_the_full_report(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "two-markets"
    folder.mkdir()
    for market in ("uk", "usa"):  # a directory of files, as `--data DIR` takes it
        name = f"spotify-streaming-top-50-{market}.csv.gz"
        (folder / name).symlink_to(shared_data / "spotify-top50-daily" / name)
    out = tmp_path / "report.json"
    settings = Settings(MODEL_MAX_ROUNDS=60)
    evaluate_data([folder], layout="auto", report_path=out, settings=settings, trials=2, time_budget=120)
    report = json.loads(out.read_text())  # strict JSON: NaN would have failed to parse as null
    ModelReport.model_validate(report)
    assert report["label"]["hit"] == "chart_position <= 10" and report["label"]["mode"] == "history"
    for key in ("forward", "random_split"):
        assert 0 <= report[key]["pr_auc"] <= 1
    assert {"prevalence", "logistic", "current_level", "best_so_far", "momentum"} <= set(report["baselines"])
    assert set(report["per_series"]) == {"top-50-uk", "top-50-usa"} == set(report["pooled"]["series"])
    assert {"xs_charting", "xs_best_position", "xs_days_since_first", "series"} <= set(report["features"])
    assert len(report["folds"]) >= 6 and report["forward"]["k"] == 10  # Top-50 lists: P@10
    for fold in report["folds"]:
        assert fold["test_from"] > fold["train_to"]
    ci = report["ci"]["pr_auc"]
    assert ci["lo"] <= ci["diff"] <= ci["hi"] and report["verdict"] == ci["verdict"]
    assert report["positives"]["tracks"] > 0 and report["champion"]["kind"] in ("model", "baseline")
    bins = report["calibration"]["bins"]
    assert sum(b["n"] for b in bins) == report["n_test"] and 0 <= report["calibration"]["ece"] <= 1


# music-mining's tracks.csv columns that describe the outcome (charting, awards) or the artist's later career:
# the layout (jobs/sources/layouts/music_mining.py, parse_track) must read none of them.
LEAKY_PREFIXES = ("track_chart_", "recording_award_", "album_award_", "artist_lifetime_", "artist_chart_",
                  "artist_first_")  # fmt: skip
LEAKY_COLUMNS = {"chart_status", "award_status", "artist_wins", "artist_nominations", "artist_releases_recently",
                 "artist_releases", "artist_popularity"}  # fmt: skip


def leaky_columns(columns: set[str]) -> set[str]:
    return {c for c in columns if c in LEAKY_COLUMNS or c.startswith(LEAKY_PREFIXES)}


def test_the_music_mining_layout_reads_none_of_the_leaky_columns(shared_data: Path) -> None:
    """Every leaky column of real rows overwritten with a marker: what the layout parses does not change."""
    rows = pd.read_csv(shared_data / "music-mining" / "tracks.csv.gz", nrows=50, dtype=str, keep_default_na=False)
    context = RowContext(snapshot_date=COLLECTED_ON, series="tracks")
    dropped = leaky_columns(set(rows.columns))
    for row in rows.to_dict("records"):
        marked = {**row, **dict.fromkeys(dropped, "987654321")}
        parsed, tampered = parse_track(row, context), parse_track(marked, context)
        assert tampered == parsed and "987654321" not in repr(tampered)


def test_music_mining_is_a_snapshot_without_its_leaky_columns(shared_data: Path) -> None:
    path = shared_data / "music-mining" / "tracks.csv.gz"
    frames, spec, layout = read_for_evaluation(path)
    assert layout == "music-mining"
    examples = build_examples(frames, spec)
    names = feature_names(examples.drop(columns=["is_hit_now", "label"]))
    assert spec.mode == "snapshot" and spec.metric == "chart_status"
    columns = set(pd.read_csv(path, nrows=0).columns)
    dropped = leaky_columns(columns)
    assert len(dropped) >= 30  # the header really has them: this check is not vacuous
    assert not [n for n in names if any(column in n for column in dropped)], "a leaky column became a feature"
    assert {"artist_prior_hit_rate", "danceability", "release_year", "genre"} <= set(names)
    assert 0.15 < examples["label"].mean() < 0.3  # 3,259 of 14,967 tracks charted
