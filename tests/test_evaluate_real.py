"""`python -m jobs evaluate` on the real files in ../shared/data (skipped when the data is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import Settings
from jobs.evaluate import evaluate_file, read_for_evaluation
from model.examples import build_examples
from model.features import feature_names

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.mark.timeout(600)
def test_evaluate_a_daily_top50_file_writes_the_full_report(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "spotify-top50-daily" / "spotify-streaming-top-50-uk.csv.gz"
    out = tmp_path / "report.json"
    settings = Settings(MODEL_MAX_ROUNDS=60)
    evaluate_file(path, layout="auto", report_path=out, settings=settings, trials=2, time_budget=120)
    report = json.loads(out.read_text())  # strict JSON: NaN would have failed to parse as null
    assert report["label"]["hit"] == "chart_position <= 10" and report["label"]["mode"] == "history"
    assert report["n_train"] > 0 and report["n_test"] > 0 and 0 < report["prevalence"] < 1
    assert set(report["baselines"]) == {
        "prevalence",
        "logistic",
        "current_level",
        "artist_prior_success",
        "momentum",
    }
    assert 0 <= report["forward"]["pr_auc"] <= 1 and 0 <= report["random_split"]["roc_auc"] <= 1
    assert len(report["folds"]) >= 2 and "track_chart_position" in report["features"]
    for fold in report["folds"]:
        assert fold["test_from"] > fold["train_to"]


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
