"""Tune and fit the LightGBM hit classifier: Optuna (seeded TPE, median pruning) under a time budget.

    result = train_and_validate(examples, features, TrainConfig(n_trials=40, time_budget=120))

Tuning uses the forward fold just before the holdout (the last fold is never seen while tuning); the chosen
parameters are then validated on every fold (`model.validate.evaluate`) and a final model is fitted on all
labelled rows. LightGBM runs seeded, deterministic, column-wise, on a fixed number of threads, so the same
data and seed give the same parameters and metrics (as long as the trial cap, not the time budget, ends the
study). Pass an Optuna storage URL to keep the study (the jobs side passes PostgreSQL).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import optuna
import pandas as pd
from optuna_integration import LightGBMPruningCallback
from sklearn.metrics import average_precision_score

from model.frames import RANK_METRICS
from model.metrics import classification_metrics
from model.validate import Fitter, Fold, evaluate, forward_folds, predict_fold

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 42
    n_trials: int = 40
    time_budget: float = 120.0
    num_threads: int = 2
    max_rounds: int = 400
    early_stopping_rounds: int = 30
    n_folds: int = 3
    k: int = 50
    storage: str | None = None
    study_name: str | None = None


@dataclass
class TrainResult:
    booster: lgb.Booster
    params: dict[str, Any]
    report: dict[str, Any]
    features: list[str]
    n_trials: int
    tuning: dict[str, Any] = field(default_factory=dict)


def base_params(config: TrainConfig) -> dict[str, Any]:
    return {
        "objective": "binary",
        "metric": "average_precision",
        "seed": config.seed,
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": config.num_threads,
        "verbosity": -1,
        "feature_pre_filter": False,
    }


def _dataset(x: pd.DataFrame, y: np.ndarray, reference: lgb.Dataset | None = None) -> lgb.Dataset:
    return lgb.Dataset(x, label=y, reference=reference, free_raw_data=False)


def fit_booster(x: pd.DataFrame, y: np.ndarray, params: dict[str, Any]) -> lgb.Booster:
    """Fit with `params` (`num_boost_round` inside them)."""
    params = dict(params)
    rounds = int(params.pop("num_boost_round", 100))
    return lgb.train(params, _dataset(x, y), num_boost_round=rounds)


def lightgbm_fitter(params: dict[str, Any]) -> Fitter:
    def fit(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        if len(np.unique(y)) < 2:
            return np.full(len(test), float(np.mean(y)))
        return np.asarray(fit_booster(train, y, params).predict(test))

    return fit


def monotone_constraints(features: list[str], hit_metric: str) -> list[int]:
    """Domain knowledge that small data cannot learn reliably: the closer a track already is to the hit
    threshold (its current level and its best so far), the likelier it becomes a hit."""
    sign = -1 if hit_metric in RANK_METRICS else 1
    near = {f"track_{hit_metric}", f"track_{hit_metric}_best"}
    return [sign if name in near else 0 for name in features]


def _suggest(trial: optuna.Trial) -> dict[str, Any]:
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.15, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 48, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 10, 300, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
        "bagging_fraction": trial.suggest_float("bagging_fraction", 0.5, 1.0),
        "bagging_freq": 1,
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-2, 30.0, log=True),
    }


def tune(
    x: pd.DataFrame,
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    config: TrainConfig,
    fixed: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], optuna.Study]:
    """Best parameters by mean PR-AUC over forward train/valid `splits` (one split is too noisy to tune on
    with few positives). The number of rounds is a tuned parameter, scored at the last round: early
    stopping on a validation set this small picks the luckiest round and overstates the score. The first
    split reports every round to the pruner."""
    sets = []
    for train, valid in splits:
        train_set = _dataset(x.iloc[train], y[train])
        sets.append((train_set, _dataset(x.iloc[valid], y[valid], reference=train_set)))

    def objective(trial: optuna.Trial) -> float:
        params = {**base_params(config), **(fixed or {}), **_suggest(trial)}
        n_rounds = trial.suggest_int("num_boost_round", 20, config.max_rounds, log=True)
        scores = []
        for i, (train_set, valid_set) in enumerate(sets):
            callbacks = [LightGBMPruningCallback(trial, "average_precision", valid_name="valid")] if i == 0 else []
            booster = lgb.train(
                params, train_set, num_boost_round=n_rounds,
                valid_sets=[valid_set], valid_names=["valid"], callbacks=callbacks,
            )  # fmt: skip
            valid_y = valid_set.get_label()
            scores.append(float(average_precision_score(valid_y, booster.predict(valid_set.data))))
        return float(np.mean(scores))

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=config.seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=10),
        storage=config.storage,
        study_name=config.study_name,
        load_if_exists=False,
    )
    study.optimize(objective, n_trials=config.n_trials, timeout=config.time_budget, gc_after_trial=False)
    best = study.best_trial
    params = {
        **base_params(config), **(fixed or {}), **_suggest_fixed(best.params),
    }  # fmt: skip
    return params, study


def _suggest_fixed(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "bagging_freq": 1}


def train_and_validate(
    examples: pd.DataFrame,
    features: list[str],
    config: TrainConfig,
    *,
    label: str = "label",
    time_column: str = "as_of",
    gap_days: int = 28,
    hit_metric: str = "spotify_popularity",
    incumbent: tuple[dict[str, Any], list[str]] | None = None,
) -> TrainResult:
    """Tune, validate (folds, baselines, random split), fit the final model; refit an incumbent's params on
    the holdout fold so the two can be compared."""
    examples = examples[examples[label].notna()].reset_index(drop=True)
    folds = forward_folds(
        examples[time_column],
        examples["artist_id"],
        n_folds=config.n_folds,
        gap_days=gap_days,
        seed=config.seed,
        labels=examples[label],
    )
    if not folds:
        raise ValueError("not enough labelled history for a forward fold")
    splits = _tuning_splits(examples, folds, time_column, gap_days, label, config.seed)
    x, y = examples[features], examples[label].to_numpy()
    fixed = {"monotone_constraints": monotone_constraints(features, hit_metric)}
    params, study = tune(x, y, splits, config, fixed)
    logger.info("tuned in %d trials: %s", len(study.trials), params)
    report = evaluate(
        examples, features, lightgbm_fitter(params), label=label, time_column=time_column, gap_days=gap_days,
        n_folds=config.n_folds, k=config.k, hit_metric=hit_metric, seed=config.seed,
    )  # fmt: skip
    if incumbent is not None:
        report["incumbent_holdout"] = evaluate_on_holdout(
            examples, incumbent[1], incumbent[0], folds[-1], k=config.k, time_column=time_column, label=label
        )
    booster = fit_booster(x, y, params)
    tuning_info = {
        "best_value": float(study.best_value), "n_trials": len(study.trials),
        "n_pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
        "tuning_splits": [{"train": int(len(t)), "valid": int(len(v))} for t, v in splits],
    }  # fmt: skip
    return TrainResult(booster, params, report, features, len(study.trials), tuning_info)


def evaluate_on_holdout(
    examples: pd.DataFrame,
    features: list[str],
    params: dict[str, Any],
    fold: Fold,
    *,
    k: int,
    time_column: str = "as_of",
    label: str = "label",
) -> dict[str, Any]:
    """Refit `params` on the holdout fold's training rows and score its test rows: the same holdout, so a
    candidate and the active model are compared on equal terms (features the data no longer has are NaN)."""
    data = examples.reindex(columns=[*examples.columns, *[f for f in features if f not in examples]])
    y, p = predict_fold(lightgbm_fitter(params), data, features, label, fold)
    groups = data[time_column].to_numpy()[fold.test] if time_column == "as_of" else None
    return classification_metrics(y, p, k=k, groups=groups)


def _tuning_splits(
    examples: pd.DataFrame, folds: list[Fold], time_column: str, gap_days: int, label: str, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Where Optuna tunes: every part of the folds before the holdout, or, with one fold only, a forward
    split of the rows before the holdout's gap. The holdout itself is never seen while tuning."""
    if len(folds) >= 2:
        return [part for fold in folds[:-1] for part in fold.parts]
    early = np.flatnonzero((pd.to_datetime(examples[time_column]) < folds[-1].train_to).to_numpy())
    inner = examples.iloc[early].reset_index(drop=True)
    inner_folds = forward_folds(
        inner[time_column], inner["artist_id"], n_folds=1, gap_days=gap_days, seed=seed, labels=inner[label]
    )
    if not inner_folds:
        raise ValueError("not enough labelled history to tune: the holdout's training side is too short")
    return [(early[train], early[valid]) for train, valid in inner_folds[0].parts]
