"""`python -m jobs evaluate` on the real files in ../shared/data (skipped when the data is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.model_report import ModelReport
from core.settings import Settings
from jobs.evaluate import evaluate_data, read_for_evaluation
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


def test_music_mining_is_a_snapshot_without_its_leaky_columns(shared_data: Path) -> None:
    path = shared_data / "music-mining" / "tracks.csv.gz"
    frames, spec, layout = read_for_evaluation(path)
    assert layout == "music-mining"
    examples = build_examples(frames, spec)
    names = feature_names(examples.drop(columns=["is_hit_now", "label"]))
    assert spec.mode == "snapshot" and spec.metric == "chart_status"
    leaky = {
        "popularity",
        "artist_popularity",
        "track_chart_months",
        "track_chart_peak",
        "artist_lifetime_releases",
    }
    assert not leaky & set(names) and not [n for n in names if "chart_status" in n]
    assert {"artist_prior_hit_rate", "danceability", "release_year", "genre"} <= set(names)
    assert 0.15 < examples["label"].mean() < 0.3  # 3,259 of 14,967 tracks charted
