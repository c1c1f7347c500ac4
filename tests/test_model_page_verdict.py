"""The Model page's verdict in words: the interval, the hit tracks, what ranks the list, each series' verdict.

Pure: `model_verdict` is called with a stored version whose metrics follow `core.model_report`."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

import pytest

from core.model_report import validated_report
from dashboard import queries
from tests.dashboard_support import dash_app


def _ci(against: str, diff: float, lo: float, hi: float, verdict: str) -> dict[str, Any]:
    return {"against": against, "diff": diff, "lo": lo, "hi": hi, "verdict": verdict}


def _report(lo: float, champion: dict[str, Any]) -> dict[str, Any]:
    metrics = {"pr_auc": 0.33, "roc_auc": 0.9, "precision_at_k": 0.11, "k": 10, "brier": 0.03}
    overall = _ci("current_level", lo + 0.04, lo, lo + 0.08, "win" if lo > 0 else "tie")
    positives = {"rows": 389, "tracks": 143, "test_rows": 8861}
    return validated_report({
        "forward": metrics, "random_split": metrics, "baselines": {"current_level": metrics},
        "pooled": {"forward": metrics, "ci": overall, "positives": positives, "series": ["uk", "usa"]},
        "per_series": {
            "uk": {"forward": metrics, "ci": _ci("logistic", -0.02, -0.18, 0.09, "tie"), "verdict": "tie",
                   "positives": {**positives, "tracks": 20}},
            "usa": {"forward": metrics, "ci": _ci("current_level", 0.07, 0.01, 0.15, "win"), "verdict": "win",
                    "positives": {**positives, "tracks": 22}},
        },
        "ci": {"pr_auc": overall}, "positives": positives, "verdict": overall["verdict"], "champion": champion,
        "calibration": {"method": "platt (inner forward split)", "ece": 0.0086, "brier": 0.03, "log_loss": 0.1,
                        "against": {}, "bins": [{"bin_from": 0.0, "bin_to": 0.1, "mean_predicted": 0.05,
                                                 "observed_rate": 0.06, "n": 800}]},
        "folds": [{"test_from": "2024-03-20", "test_to": "2024-05-01"},
                  {"test_from": "2024-08-16", "test_to": "2024-09-20"}],
    })  # fmt: skip


def _version(metrics: dict[str, Any]) -> queries.ModelVersion:
    return queries.ModelVersion(
        model_version_id=7, created_at=datetime(2026, 1, 1), is_active=True,
        label={"metric": "chart_position", "threshold": 10, "horizon_days": 28, "mode": "history"}, params={},
        metrics=metrics, data_window={}, feature_importance=[], promoted=True, promotion_note="",
    )  # fmt: skip


def _page() -> Any:
    dash_app()  # pages register on the app
    return importlib.import_module("dashboard.pages.model")


def _text(div: Any) -> str:
    return str(div.to_plotly_json())


def test_a_win_says_better_than_sorting_the_chart_with_its_interval_and_hit_tracks() -> None:
    model_verdict = _page().model_verdict

    text = _text(model_verdict(_version(_report(0.01, {"name": "model", "kind": "model", "reason": "won"}))))
    assert "On the last 6 months (2024-03-20 to 2024-09-20) the model found hits better than sorting by the" in text
    assert "current chart position: +0.05 PR-AUC (95% interval +0.01 to +0.09), 143 hit tracks." in text
    assert "ranked by the model" in text and "ECE 0.009" in text
    assert "usa: win against sorting by the current chart position, +0.07 (+0.01 to +0.15), 22 hit tracks" in text


def test_a_tie_says_the_list_is_ranked_by_the_baseline_that_won() -> None:
    model_verdict = _page().model_verdict

    champion = {"name": "current_level", "kind": "baseline", "reason": "tie"}
    text = _text(model_verdict(_version(_report(-0.01, champion))))
    assert "was not clearly better than sorting by the current chart position" in text
    assert "the emerging-hit list is ranked by the current chart position instead" in text


def test_a_version_stored_before_the_schema_asks_for_a_retrain() -> None:
    model_verdict = _page().model_verdict

    assert "retrain to see its verdict" in _text(model_verdict(_version({"forward": {"pr_auc": 0.4}})))


def test_the_schema_refuses_a_report_without_intervals() -> None:
    report = _report(0.01, {"name": "model", "kind": "model", "reason": "won"})
    del report["ci"]
    with pytest.raises(ValueError):
        validated_report(report)


def test_the_first_sight_verdict_sits_beside_the_main_one() -> None:
    model_verdict = _page().model_verdict
    report = _report(0.01, {"name": "model", "kind": "model", "reason": "won"})
    report["first_sight"] = {
        "forward": {"pr_auc": 0.21, "precision_at_k": 0.2, "k": 10},
        "ci": {"pr_auc": _ci("artist_prior_success", 0.04, -0.01, 0.09, "tie") | {"b": 0.17}},
        "verdict": "tie", "positives": {"rows": 50, "tracks": 31, "test_rows": 900},
    }  # fmt: skip
    text = _text(model_verdict(_version(validated_report(report))))
    assert "First sight (on-demand lookups)" in text
    assert "was not clearly better than sorting by the artist's earlier hits: PR-AUC 0.21 against 0.17" in text
    assert "(95% interval -0.01 to +0.09), over 31 hit tracks" in text
    older = _text(model_verdict(_version(_report(0.01, {"name": "model", "kind": "model", "reason": "won"}))))
    assert "has no first-sight model" in older
