"""Optuna tuning on pooled forward splits before the first test block: the objective (binary or lambdarank)
and LightGBM's parameters, or fixed regularised parameters when the splits hold too few positives.

    params, info = choose_params(examples, features, splits, config, query=["as_of"])

Each split's `lgb.Dataset` is built once and reused by every trial. A trial fits on ONE LightGBM thread
(`TRIAL_THREADS`: two trials' worth of OpenMP threads on shared cores stall each other), and its value is the
mean PR-AUC (from raw scores) of the splits' validation rows at the trial's last round, as before. While the
first split boosts, the median pruner watches that split's validation PR-AUC every `PRUNE_EVERY` rounds (the
scores LightGBM keeps for a validation set, no re-prediction), so a hopeless trial stops early; no other split is
evaluated during boosting. The number of rounds is a tuned parameter scored at its last round (no early stopping:
on validation sets this small it picks the luckiest round). `info` has the trials done, pruned, and the best
score against trials.
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
TRIAL_THREADS = 1  # per trial, whatever MODEL_NUM_THREADS says (the final fit uses that)
PRUNE_EVERY = 10  # boosting rounds between two looks of the pruner at the watched split
WARMUP_ROUNDS = 20  # no pruning before this many rounds


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


class _Watch:
    """LightGBM callback: every `PRUNE_EVERY` rounds, the watched split's validation PR-AUC goes to the trial's
    pruner (step = rounds done); a pruned trial stops boosting at once."""

    order = 30

    def __init__(self, trial: optuna.Trial, labels: np.ndarray) -> None:
        self.trial, self.labels = trial, labels

    def _metric(self, preds: np.ndarray, _data: lgb.Dataset) -> tuple[str, float, bool]:
        return "pr_auc", average_precision(self.labels, preds), True  # monotone in the raw score: same ranking

    def __call__(self, env: lgb.callback.CallbackEnv) -> None:
        rounds = env.iteration + 1
        if rounds % PRUNE_EVERY or rounds == env.end_iteration:
            return  # the last round's value is the split's score, computed once after training
        booster = env.model
        assert isinstance(booster, lgb.Booster)  # lgb.train, not lgb.cv
        value = float(booster.eval_valid(self._metric)[0][2])
        self.trial.report(value, rounds)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at round {rounds} (watched split PR-AUC {value:.4f})")


class _Splits:
    """Datasets built once: (train Dataset, valid features, valid labels) per split, and the first split's
    validation rows as a LightGBM validation set for the pruner."""

    def __init__(self, examples: pd.DataFrame, features: list[str], splits: list[tuple[np.ndarray, np.ndarray]],
                 label: str, query: list[str]) -> None:  # fmt: skip
        self.sets = []
        for train, valid in splits:
            rows = examples.iloc[train]
            dataset = make_dataset(rows, rows[label].to_numpy(), features, query).construct()
            self.sets.append((dataset, examples.iloc[valid][features], examples.iloc[valid][label].to_numpy()))
        self.positives = int(sum(v.sum() for _, _, v in self.sets))
        self.watched: lgb.Dataset | None = None
        if self.sets:
            first, x, y = self.sets[0]
            self.watched = lgb.Dataset(x, label=y, reference=first, free_raw_data=False,
                                       params={"feature_pre_filter": False, "verbosity": -1})  # fmt: skip

    def score(self, params: dict[str, Any], trial: optuna.Trial | None = None) -> float:
        params = dict(params)
        rounds = int(params.pop("num_boost_round"))
        scores = []
        for step, (dataset, x, y) in enumerate(self.sets):
            watched = [self.watched] if trial is not None and step == 0 and self.watched is not None else None
            booster = lgb.train(
                params, dataset, num_boost_round=rounds, valid_sets=watched,
                callbacks=[_Watch(trial, y)] if watched and trial is not None else None,
            )  # fmt: skip
            scores.append(average_precision(y, np.asarray(booster.predict(x, raw_score=True))))
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
        return data.score({**base, **_suggest(trial, config.max_rounds), "num_threads": TRIAL_THREADS}, trial)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=config.seed, n_startup_trials=8),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=WARMUP_ROUNDS - 1),
        storage=config.storage,
        study_name=config.study_name,
        load_if_exists=False,
    )
    study.optimize(objective, n_trials=config.n_trials, timeout=config.time_budget, gc_after_trial=False)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED and t.last_step is not None]
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
        "pruned_at_round": [[t.last_step, t.params["num_boost_round"]] for t in pruned],
        "best_value": float(study.best_value), "best_by_trial": curve,
    }  # fmt: skip
