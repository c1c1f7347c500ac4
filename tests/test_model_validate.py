"""Forward folds (gap, no shared artist, expanding), determinism of tuning, contributions, promotion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.examples import LabelSpec, build_examples
from model.explain import BIAS, contributions, feature_importance, logit, predict
from model.features import feature_names
from model.promote import decide
from model.train import TrainConfig, train_and_validate
from model.validate import forward_folds
from tests.model_data import demo_frames


def test_forward_folds_respect_gap_groups_and_expand() -> None:
    rng = np.random.default_rng(0)
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 200, 3000), unit="D")
    times = pd.Series(days)
    groups = pd.Series(rng.integers(0, 60, 3000).astype(str))
    folds = forward_folds(times, groups, n_folds=3, gap_days=28, n_group_splits=3)
    assert len(folds) == 3
    for fold in folds:
        assert len(fold.parts) == 3
        upper = (times <= fold.test_to) if fold.index == 2 else (times < fold.test_to)
        block = (times >= fold.test_from) & upper
        assert sorted(fold.test) == sorted(np.flatnonzero(block))  # every artist of the block is tested
        for train, test in fold.parts:
            train_times, test_times = times.iloc[train], times.iloc[test]
            assert (test_times.min() - train_times.max()).days > 28  # the gap
            assert not set(groups.iloc[train]) & set(groups.iloc[test])  # no artist on both sides
            assert train_times.min() == times.min()  # expanding: always from the start
    train_ends = [times.iloc[f.parts[0][0]].max() for f in folds]
    assert train_ends == sorted(train_ends) and train_ends[0] < train_ends[-1]
    tested = np.concatenate([f.test for f in folds])
    assert len(tested) == len(set(tested))  # test blocks do not overlap


@pytest.fixture(scope="module")
def examples() -> pd.DataFrame:
    # A lower threshold keeps positives frequent enough in a tiny market.
    return build_examples(demo_frames(n_artists=150, days=150), LabelSpec(threshold=55, step_days=7))


def _train(examples: pd.DataFrame) -> tuple:
    features = feature_names(examples.drop(columns=["is_hit_now", "label"]))
    config = TrainConfig(n_trials=3, time_budget=600, max_rounds=40, early_stopping_rounds=10, k=10)
    return train_and_validate(examples, features, config, gap_days=28), features


def test_same_data_and_seed_give_same_params_and_metrics(examples: pd.DataFrame) -> None:
    assert examples["label"].sum() >= 10
    first, _ = _train(examples)
    second, _ = _train(examples)
    assert first.params == second.params
    assert first.report["forward"] == second.report["forward"]
    assert first.report["folds"] == second.report["folds"]
    assert first.booster.model_to_string() == second.booster.model_to_string()
    baselines = {"prevalence", "logistic", "current_level", "artist_prior_success", "momentum"}
    assert set(first.report["baselines"]) == baselines
    assert first.report["random_split"]["n_test"] > 0


def test_contributions_add_up_to_the_log_odds(examples: pd.DataFrame) -> None:
    result, features = _train(examples)
    rows = examples[features].head(200)
    contrib = contributions(result.booster, rows)
    np.testing.assert_allclose(contrib.sum(axis=1), logit(predict(result.booster, rows)), atol=1e-6)
    assert BIAS in contrib and contrib.drop(columns=BIAS).abs().sum().sum() > 0
    importance = feature_importance(result.booster, contrib)
    assert set(importance["feature"]) == set(features) and importance["gain"].sum() > 0


def test_promotion_needs_a_strictly_better_holdout() -> None:
    assert decide({"pr_auc": 0.3}, None).promote
    assert not decide({"pr_auc": 0.30}, {"pr_auc": 0.31}).promote
    assert not decide({"pr_auc": 0.30, "roc_auc": 0.8}, {"pr_auc": 0.30, "roc_auc": 0.8}).promote
    assert decide({"pr_auc": 0.32}, {"pr_auc": 0.31}).promote
    assert not decide({"pr_auc": float("nan")}, {"pr_auc": 0.1}).promote
