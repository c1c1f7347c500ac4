"""Choose, validate and fit the hit model: parameters chosen before the first test block, validated on the
rolling origins against the baselines (and the active model), then fitted on every labelled row.

    result = train_and_validate(examples, features, TrainConfig(n_trials=40, time_budget=120))

Choices (objective, parameters) are made on the two selection origins that precede the evaluation origins
(`model.folds.protocol_origins`, `model.tuning`), so no evaluated test block is seen while choosing. The final model's
calibration (Platt) comes from an inner forward split of all rows; with `dask_scheduler` that final fit (and its
calibration's inner fit) runs on Dask (`model.dask_fit`), while choosing and validating stay in-process.
LightGBM runs seeded, deterministic, column-wise and on `num_threads`, so the same data and seed give the same
parameters and metrics (as long as the trial cap, not the time budget, ends the study).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.baselines import SignalModel, fit_signal, signal_columns
from model.booster import Fitted, LightGBMFitter, monotone_constraints
from model.dask_fit import DaskLightGBMFitter
from model.folds import Origin, protocol_origins
from model.tuning import TuneConfig, choose_params
from model.uncertainty import average_precision
from model.validate import evaluate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 42
    n_trials: int = 40
    time_budget: float = 120.0
    num_threads: int = 1
    max_rounds: int = 400
    n_folds: int = 6
    k: int = 10
    n_boot: int = 1000
    storage: str | None = None
    study_name: str | None = None
    dask_scheduler: str | None = None  # the final fit on this Dask cluster (unset: in-process)

    def tuning(self) -> TuneConfig:
        return TuneConfig(self.seed, self.n_trials, self.time_budget, self.num_threads, self.max_rounds,
                          self.storage, self.study_name)  # fmt: skip


@dataclass
class TrainResult:
    fitted: Fitted
    params: dict[str, Any]
    report: dict[str, Any]
    features: list[str]
    n_trials: int
    tuning: dict[str, Any] = field(default_factory=dict)
    champion_signal: SignalModel | None = None

    @property
    def booster(self) -> lgb.Booster:
        return self.fitted.booster


def train_and_validate(
    examples: pd.DataFrame,
    features: list[str],
    config: TrainConfig,
    *,
    label: str = "label",
    time_column: str = "as_of",
    gap_days: int = 28,
    hit_metric: str = "spotify_popularity",
    series_column: str | None = None,
    incumbent: tuple[dict[str, Any], list[str]] | None = None,
    first_sight: bool = False,
) -> TrainResult:
    """Choose, validate, fit; with `incumbent` (the active model's params and features), refit it on the same
    origins so the two are compared on equal terms; `first_sight` validates against the first-sight baselines."""
    examples = examples[examples[label].notna()].reset_index(drop=True)
    selection, origins, _ = protocol_origins(examples[time_column], n_origins=config.n_folds, gap_days=gap_days,
                                             labels=examples[label])  # fmt: skip
    if not origins:
        raise ValueError("not enough labelled history for a forward fold")
    query = [c for c in (series_column, time_column) if c] if time_column == "as_of" else []
    splits = [(o.train, o.test) for o in selection]
    fixed = {"monotone_constraints": monotone_constraints(features, hit_metric)}
    params, tuning = choose_params(examples, features, splits, config.tuning(), label=label, query=query, fixed=fixed)
    fitter = choose_blend(
        examples, LightGBMFitter(params, features, time_column, gap_days, tuple(query)), selection, label,
        f"track_{hit_metric}", tuning,
    )  # fmt: skip
    active_fitter = None
    if incumbent is not None:
        active_params, active_features = incumbent
        data_features = [f for f in active_features if f in examples]
        booster_params = {k: v for k, v in active_params.items() if k not in ("calibration", "blend")}
        blend = (active_params.get("blend") or {}).get("signal", {}).get("column")
        active_fitter = LightGBMFitter(booster_params, data_features, time_column, gap_days, tuple(query), blend)
    report = evaluate(
        examples, features, fitter, label=label, time_column=time_column, gap_days=gap_days,
        n_origins=config.n_folds, k=config.k, hit_metric=hit_metric, seed=config.seed,
        series_column=series_column, incumbent=active_fitter, n_boot=config.n_boot, first_sight=first_sight,
    )  # fmt: skip
    report["tuning"] = tuning
    final_fitter = DaskLightGBMFitter.like(fitter, config.dask_scheduler) if config.dask_scheduler else fitter
    final = final_fitter.fit(examples, examples[label].to_numpy())
    champion = report["champion"]
    signal = None
    if champion["kind"] == "baseline" and champion["name"] in signal_columns(hit_metric):
        column = signal_columns(hit_metric)[champion["name"]]
        signal = fit_signal(column, examples, examples[label].to_numpy())
        champion["signal"] = signal.to_dict()
    return TrainResult(final, params, report, features, int(tuning.get("n_trials", 0)), tuning, signal)


def choose_blend(
    examples: pd.DataFrame,
    fitter: LightGBMFitter,
    selection: list[Origin],
    label: str,
    column: str,
    tuning: dict[str, Any],
) -> LightGBMFitter:
    """The booster alone or its fixed blend with the current-level signal: whichever has the higher mean
    PR-AUC on the selection origins (never on an evaluated one). Recorded in `tuning["blend"]`."""
    if column not in fitter.features or examples[column].isna().all():
        tuning["blend"] = {"chosen": None, "reason": f"no {column} column"}
        return fitter
    blended = replace(fitter, blend=column)
    values: dict[str, float] = {}
    for name, candidate in (("booster", fitter), ("blend", blended)):
        scores = []
        for origin in selection:
            train, test = examples.iloc[origin.train], examples.iloc[origin.test]
            p = candidate(train, train[label].to_numpy(), test)
            scores.append(average_precision(test[label].to_numpy(), p))
        values[name] = float(np.nanmean(scores)) if scores else float("nan")
    chosen = blended if values["blend"] > values["booster"] else fitter
    tuning["blend"] = {"chosen": chosen.blend, "selection_pr_auc": values}
    return chosen
