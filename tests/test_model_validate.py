"""Rolling origins (gap, one model per whole block, one-class blocks reported), determinism of the protocol,
calibrated contributions, promotion against the baselines and the active model, cross-series features."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from core.hit_definition import HitDefinition
from core.model_report import ModelReport, validated_report
from model.baselines import fit_signal
from model.examples import LabelSpec, build_examples
from model.explain import BIAS, published_probability, published_scores
from model.features import FeatureContext, feature_names
from model.folds import protocol_origins, rolling_origins
from model.frames import ModelFrames
from model.pooled import cross_series_features
from model.promote import decide
from model.train import TrainConfig, train_and_validate
from tests.model_data import demo_frames, obs, tracks


def test_rolling_origins_test_whole_blocks_after_the_gap_and_report_one_class_blocks() -> None:
    rng = np.random.default_rng(0)
    times = pd.Series(pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 200, 3000), unit="D"))
    labels = (rng.random(3000) < 0.1).astype(float)
    labels[(times >= pd.Timestamp("2025-05-20")).to_numpy()] = 0.0  # the last blocks: no hit at all
    origins, skipped = rolling_origins(times, n_origins=6, gap_days=28, labels=labels)
    assert len(origins) + len(skipped) == 6 and skipped
    assert all("one class" in s["reason"] for s in skipped)
    tested = np.concatenate([o.test for o in origins])
    assert len(tested) == len(set(tested))  # blocks do not overlap
    for origin in origins:
        block = (times >= origin.test_from) & (times <= origin.test_to)
        assert sorted(origin.test) == sorted(np.flatnonzero(block))  # the WHOLE block, every artist
        assert (times.iloc[origin.test].min() - times.iloc[origin.train].max()).days > 28  # the gap
        assert times.iloc[origin.train].min() == times.min()  # expanding
    selection, evaluation, _ = protocol_origins(
        times, n_origins=6, gap_days=28, labels=np.ones(3000) * (rng.random(3000) < 0.2)
    )
    assert len(selection) == 2 and len(evaluation) == 6
    assert max(times.iloc[s.test].max() for s in selection) < times.iloc[evaluation[0].test].min()


@pytest.fixture(scope="module")
def examples() -> pd.DataFrame:
    # A lower threshold keeps positives frequent enough in a tiny market.
    return build_examples(demo_frames(n_artists=150, days=150), LabelSpec(HitDefinition(threshold=55), step_days=7))


def _train(examples: pd.DataFrame) -> tuple:
    features = feature_names(examples.drop(columns=["is_hit_now", "label"]))
    config = TrainConfig(n_trials=3, time_budget=600, max_rounds=40, k=10, n_boot=100)
    return train_and_validate(examples, features, config, gap_days=28), features


@pytest.fixture(scope="module")
def trained(examples: pd.DataFrame) -> tuple:
    return _train(examples)


def test_same_data_and_seed_give_the_same_report_and_a_valid_schema(examples: pd.DataFrame, trained: tuple) -> None:
    first, _ = trained
    second, _ = _train(examples)
    assert first.params == second.params and first.report["ci"] == second.report["ci"]
    assert first.report["folds"] == second.report["folds"]
    assert first.booster.model_to_string() == second.booster.model_to_string()
    report = ModelReport.model_validate(first.report)
    assert len(first.report["folds"]) == 6 and report.positives.tracks > 0
    assert {"current_level", "best_so_far", "momentum", "prevalence", "logistic"} <= set(report.baselines)
    assert report.baselines["streams_level"].skipped  # no streams in the demo market: said, not used
    assert report.ci["pr_auc"].against in report.baselines and report.verdict in ("win", "tie", "loss")
    broken = {**first.report, "calibration": {**first.report["calibration"], "bins": [{"n": 3}]}}
    with pytest.raises(ValueError):
        validated_report(broken)


def test_published_contributions_add_up_to_the_calibrated_log_odds(examples: pd.DataFrame, trained: tuple) -> None:
    result, features = trained
    rows = examples[features].head(200)
    params = {**result.params, **result.fitted.describe()}
    p, contrib = published_scores(result.booster, params, {"kind": "model"}, rows)
    np.testing.assert_allclose(p, result.fitted.probability(rows), atol=1e-9)
    np.testing.assert_allclose(contrib.sum(axis=1), np.log(p / (1 - p)), atol=1e-6)
    assert BIAS in contrib and contrib.drop(columns=BIAS).abs().sum().sum() > 0
    # A baseline champion ranks the list by its one signal, and that signal is the only reason given.
    labelled = examples[examples["label"].notna()]
    signal = fit_signal("track_spotify_popularity", labelled, labelled["label"].to_numpy())
    p, contrib = published_scores(result.booster, params, {"kind": "baseline", "signal": signal.to_dict()}, rows)
    assert list(contrib.columns) == ["track_spotify_popularity", BIAS]
    np.testing.assert_allclose(p, signal.scores(rows))
    np.testing.assert_allclose(contrib.sum(axis=1), np.log(p / (1 - p)), atol=1e-9)
    order = np.argsort(-p, kind="mergesort")  # higher popularity first: the list sorted by the signal
    assert rows["track_spotify_popularity"].fillna(-1).to_numpy()[order][0] == rows["track_spotify_popularity"].max()


def test_probability_without_contributions_is_the_published_one(examples: pd.DataFrame, trained: tuple) -> None:
    """The score stage ranks every track by `published_probability` (no TreeSHAP): the model's, a blend's and a
    baseline champion's probabilities equal those `published_scores` derives from the contributions."""
    result, features = trained
    rows = examples[features].head(200)
    labelled = examples[examples["label"].notna()]
    signal = fit_signal("track_spotify_popularity", labelled, labelled["label"].to_numpy())
    params = {**result.params, **result.fitted.describe()}
    outer = {"a": 1.7, "b": -0.4, "method": "platt", "fitted_on": "x"}
    blended = {**params, "blend": {"weight": 0.3, "signal": signal.to_dict(), "calibration": outer}}
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        (params, {"kind": "model"}),
        (blended, {"kind": "model"}),
        (params, {"kind": "baseline", "signal": signal.to_dict()}),
    ]
    for run_params, champion in cases:
        p, _ = published_scores(result.booster, run_params, champion, rows)
        np.testing.assert_allclose(published_probability(result.booster, run_params, champion, rows), p, atol=1e-9)


def _report(base_lo: float, active_lo: float | None, champion: str = "model") -> dict:
    ci = {"against": "current_level", "diff": base_lo + 0.02, "lo": base_lo, "hi": base_lo + 0.04}
    report = {"ci": {"pr_auc": ci}, "champion": {"kind": champion, "name": "x"}}
    if active_lo is not None:
        report["active"] = {"ci": {"diff": active_lo + 0.01, "lo": active_lo, "hi": active_lo + 0.02}}
    return report


def test_promotion_needs_the_lower_bound_above_both_the_best_baseline_and_the_active_model() -> None:
    assert decide(_report(-0.05, None, "baseline"), has_active=False).promote  # first version: active...
    assert "ranked by x" in decide(_report(-0.05, None, "baseline"), has_active=False).note  # ...ranked by x
    assert not decide(_report(-0.01, 0.05), has_active=True).promote  # beats the active model, not the baseline
    assert not decide(_report(0.01, 0.0), has_active=True).promote  # beats the baseline, ties the active model
    assert decide(_report(0.01, 0.001), has_active=True).promote


def test_a_candidate_on_another_hit_definition_is_judged_on_its_own_label_only() -> None:
    other = "spotify_popularity >= 70"
    # A "difference to the active model" across two labels means nothing: it neither blocks nor promotes.
    beats_base = decide(_report(0.01, -0.5), has_active=True, active_hit=other)
    assert beats_base.promote and "not compared" in beats_base.note and other in beats_base.note
    # The baseline bar still holds: a candidate that does not beat it on its own label does not replace
    # the active model (which keeps serving its own definition), unlike a first version.
    loses = decide(_report(-0.01, 0.5, "baseline"), has_active=True, active_hit=other)
    assert not loses.promote and "stay" in loses.note


def test_cross_series_state_uses_other_series_as_of_the_date_only() -> None:
    catalogue, links = tracks(("t1", "a1", "2024-01-01"))

    def ctx(*positions: tuple[str, float]) -> FeatureContext:
        rows = pd.DataFrame([obs("t1", "chart_position", day, value) for day, value in positions])
        return FeatureContext.build(ModelFrames(rows, catalogue, links))

    contexts = {"uk": ctx(("2024-03-01", 20)), "us": ctx(("2024-02-01", 5), ("2024-03-01", 3)),
                "fr": ctx(("2024-03-05", 1))}  # fmt: skip
    rows = pd.DataFrame({"track_id": ["t1"], "as_of": [pd.Timestamp("2024-03-01")]})
    out = cross_series_features("uk", rows, contexts).iloc[0]
    # As of March 1st: charting in the US (3rd), not yet in France (its first chart is March 5th).
    assert out["xs_charting"] == 1 and out["xs_best_position"] == 3
    assert out["xs_days_since_first"] == 29  # first charted anywhere on Feb 1st (the US)
