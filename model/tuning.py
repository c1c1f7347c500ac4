"""Optuna tuning on pooled forward splits before the first test block: the objective (binary or lambdarank)
and LightGBM's parameters, or fixed regularised parameters when the splits hold too few positives.

    params, info = choose_params(examples, features, splits, config, query=["as_of"])

Each split's `lgb.Dataset` is built once and reused by every trial; a trial fits one thread, scores only the
split's validation rows (PR-AUC, from raw scores), and reports after each split to the median pruner. The
number of rounds is a tuned parameter scored at its last round (no early stopping: on validation sets this
small it picks the luckiest round). `info` has the trials done, pruned, and the best score against trials.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import optuna
import pandas as pd

from model.booster import FIXED_PARAMS, OBJECTIVES, base_params, make_dataset
from model.uncertainty import average_precision

logger = logging.getLogger(__name__)
MIN_TUNING_POSITIVES = 50


@dataclass(frozen=True)
class TuneConfig:
    seed: int = 42
    n_trials: int = 40
    time_budget: float = 120.0
    num_threads: int = 1
    max_rounds: int = 400
    storage: str | None = None
    study_name: str | None = None


def _suggest(trial: optuna.Trial, max_rounds: int) -> dict[str, Any]:
    return {
        "objective": trial.suggest_categorical("objective", list(OBJECTIVES)),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.15, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 48, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 10, 300, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
        "bagging_fraction": trial.suggest_float("bagging_fraction", 0.5, 1.0),
        "bagging_freq": 1,
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-2, 30.0, log=True),
        "num_boost_round": trial.suggest_int("num_boost_round", 20, max_rounds, log=True),
    }


class _Splits:
    """Datasets built once: (train Dataset, valid features, valid labels) per split."""

    def __init__(self, examples: pd.DataFrame, features: list[str], splits: list[tuple[np.ndarray, np.ndarray]],
                 label: str, query: list[str]) -> None:  # fmt: skip
        self.sets = []
        for train, valid in splits:
            rows = examples.iloc[train]
            dataset = make_dataset(rows, rows[label].to_numpy(), features, query).construct()
            self.sets.append((dataset, examples.iloc[valid][features], examples.iloc[valid][label].to_numpy()))
        self.positives = int(sum(v.sum() for _, _, v in self.sets))

    def score(self, params: dict[str, Any], trial: optuna.Trial | None = None) -> float:
        params = dict(params)
        rounds = int(params.pop("num_boost_round"))
        scores = []
        for step, (dataset, x, y) in enumerate(self.sets):
            booster = lgb.train(params, dataset, num_boost_round=rounds)
            scores.append(average_precision(y, np.asarray(booster.predict(x, raw_score=True))))
            if trial is not None:
                trial.report(float(np.nanmean(scores)), step)
                if trial.should_prune():
                    raise optuna.TrialPruned()
        return float(np.nanmean(scores))


def choose_params(
    examples: pd.DataFrame,
    features: list[str],
    splits: list[tuple[np.ndarray, np.ndarray]],
    config: TuneConfig,
    *,
    label: str = "label",
    query: list[str],
    fixed: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Tuned parameters when the splits hold >= 50 positives, else the fixed ones with the better objective."""
    data = _Splits(examples, features, splits, label, query)
    base = {**base_params(config.seed, config.num_threads), **(fixed or {})}
    info: dict[str, Any] = {"tuning_splits": [{"train": int(len(t)), "valid": int(len(v))} for t, v in splits],
                            "positives": data.positives}  # fmt: skip
    if data.positives < MIN_TUNING_POSITIVES:
        by_objective = {o: data.score({**base, **FIXED_PARAMS, "objective": o}) for o in OBJECTIVES}
        best = max(OBJECTIVES, key=lambda o: (by_objective[o], o == "binary"))
        logger.info("too few positives to tune (%d): fixed parameters, objective %s", data.positives, best)
        return {**base, **FIXED_PARAMS, "objective": best}, {
            **info, "mode": f"fixed (fewer than {MIN_TUNING_POSITIVES} positives)", "n_trials": 0,
            "objectives": by_objective,
        }  # fmt: skip

    def objective(trial: optuna.Trial) -> float:
        return data.score({**base, **_suggest(trial, config.max_rounds)}, trial)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=config.seed, n_startup_trials=8),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0),
        storage=config.storage,
        study_name=config.study_name,
        load_if_exists=False,
    )
    study.optimize(objective, n_trials=config.n_trials, timeout=config.time_budget, gc_after_trial=False)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    curve, best_so_far = [], -np.inf
    for t in study.trials:
        if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None:
            best_so_far = max(best_so_far, t.value)
        curve.append(None if best_so_far == -np.inf else float(best_so_far))
    params = {**base, **study.best_trial.params, "bagging_freq": 1}
    logger.info("tuned: %d trials (%d complete), best %.4f", len(study.trials), len(complete), study.best_value)
    return params, {
        **info, "mode": "optuna", "n_trials": len(study.trials), "n_complete": len(complete),
        "n_pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
        "best_value": float(study.best_value), "best_by_trial": curve,
    }  # fmt: skip
