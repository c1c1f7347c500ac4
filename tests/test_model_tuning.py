"""Optuna tuning (model/tuning.py): one LightGBM thread per trial, the pruner watching only the first split
while it boosts, and a trial's value unchanged by the watching (the mean PR-AUC of the splits at the last round).

    python -m pytest tests/test_model_tuning.py -q
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from model import tuning
from model.tuning import PRUNE_EVERY, TuneConfig, choose_params

FEATURES = ["signal", "noise_a", "noise_b"]


def synthetic() -> tuple[pd.DataFrame, list[tuple[np.ndarray, np.ndarray]]]:
    """60 weekly dates x 120 rows, about 6% positives driven by `signal`; two forward splits."""
    rng = np.random.default_rng(3)
    dates = pd.date_range("2024-01-01", periods=60, freq="7D")
    frame = pd.DataFrame({"as_of": np.repeat(dates, 120)})
    frame["signal"] = rng.normal(size=len(frame))
    frame["noise_a"] = rng.normal(size=len(frame))
    frame["noise_b"] = rng.normal(size=len(frame))
    logit = -3.5 + 1.6 * frame["signal"] + 0.3 * frame["noise_a"]
    frame["label"] = (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(float)
    day = frame["as_of"].to_numpy()
    splits = []
    for cut, end in ((dates[30], dates[40]), (dates[40], dates[50])):
        train = np.flatnonzero(day < (cut - pd.Timedelta(days=28)).to_datetime64())
        valid = np.flatnonzero((day >= cut.to_datetime64()) & (day < end.to_datetime64()))
        splits.append((train, valid))
    return frame, splits


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every `lgb.train` call the tuner makes: its threads, whether it had a validation set, its rounds."""
    calls: list[dict[str, Any]] = []
    real = lgb.train

    def spy(params: dict[str, Any], train_set: lgb.Dataset, **kwargs: Any) -> lgb.Booster:
        calls.append({"threads": params.get("num_threads"), "watched": bool(kwargs.get("valid_sets")),
                      "rows": train_set.num_data(), "rounds": kwargs.get("num_boost_round")})  # fmt: skip
        return real(params, train_set, **kwargs)

    monkeypatch.setattr(tuning.lgb, "train", spy)
    return calls


def test_trials_fit_on_one_thread_and_only_the_first_split_is_watched(fits: list[dict[str, Any]]) -> None:
    examples, splits = synthetic()
    config = TuneConfig(n_trials=14, time_budget=600, num_threads=2, max_rounds=200)
    params, info = choose_params(examples, FEATURES, splits, config, query=["as_of"])
    assert info["mode"] == "optuna" and info["n_trials"] == 14
    assert {call["threads"] for call in fits} == {1}  # whatever MODEL_NUM_THREADS says
    assert params["num_threads"] == 2  # the final fit keeps the setting
    first_rows = len(splits[0][0])
    assert all(call["watched"] == (call["rows"] == first_rows) for call in fits)
    # a pruned trial stopped inside the first split's boosting, at a multiple of PRUNE_EVERY rounds
    assert info["n_pruned"] >= 1
    for rounds, planned in info["pruned_at_round"]:
        assert rounds % PRUNE_EVERY == 0 and rounds < planned


def test_a_trial_value_is_the_mean_pr_auc_of_the_splits_at_the_last_round() -> None:
    examples, splits = synthetic()
    params, info = choose_params(examples, FEATURES, splits, TuneConfig(n_trials=8, max_rounds=120), query=["as_of"])
    data = tuning._Splits(examples, FEATURES, splits, "label", ["as_of"])
    refit = data.score({**params, "num_threads": tuning.TRIAL_THREADS})  # no trial: no watching, no pruning
    assert refit == pytest.approx(info["best_value"], abs=1e-12)
    assert info["best_by_trial"][-1] == pytest.approx(info["best_value"])
