"""LightGBM for hit ranking: the two objectives (binary, lambdarank with one query per list), seeded
deterministic parameters, and the fitter that calibrates on an inner forward split.

    fitter = LightGBMFitter(params, features, time_column="as_of", gap_days=28)
    probabilities = fitter(train_rows, y, test_rows)

`lambdarank` ranks tracks within a query: one list = one date (and one series when several are pooled),
which is the list the user sees. Its scores are not probabilities; neither are an un-calibrated binary
model's on small data, so both go through Platt scaling fitted on the last quarter of the training rows
(after the horizon gap) by a model fitted on the rest. The test rows are never used to calibrate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.baselines import SignalModel, fit_signal
from model.calibrate import Platt, fit_platt
from model.folds import inner_split
from model.frames import RANK_METRICS

OBJECTIVES = ("binary", "lambdarank")
# Used when the pooled splits hold too few positives to tune on: shallow, slow, strongly regularised.
FIXED_PARAMS: dict[str, Any] = {
    "learning_rate": 0.05, "num_leaves": 7, "min_child_samples": 40, "feature_fraction": 0.8,
    "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 10.0, "num_boost_round": 150,
}  # fmt: skip


def base_params(seed: int, num_threads: int, objective: str = "binary") -> dict[str, Any]:
    return {
        "objective": objective,
        "metric": "None",
        "seed": seed,
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": num_threads,
        "verbosity": -1,
        "feature_pre_filter": False,
    }


def monotone_constraints(features: list[str], hit_metric: str) -> list[int]:
    """Domain knowledge that small data cannot learn reliably: the closer a track already is to the hit
    threshold (its current level and its best so far), the likelier it becomes a hit."""
    sign = -1 if hit_metric in RANK_METRICS else 1
    near = {f"track_{hit_metric}", f"track_{hit_metric}_best"}
    return [sign if name in near else 0 for name in features]


def query_keys(rows: pd.DataFrame, query: list[str]) -> np.ndarray:
    """One key per list: the date, and the series when the rows pool several."""
    if not query:
        return np.zeros(len(rows), dtype=int)
    keys = rows[query[0]].astype(str) if len(query) == 1 else rows[query].astype(str).agg("|".join, axis=1)
    return np.asarray(pd.factorize(keys)[0])


def make_dataset(rows: pd.DataFrame, y: np.ndarray, features: list[str], query: list[str]) -> lgb.Dataset:
    """A Dataset sorted by list, with its group sizes (ignored by `binary`, needed by `lambdarank`)."""
    keys = query_keys(rows, query)
    order = np.argsort(keys, kind="mergesort")
    sizes = np.bincount(keys[order])
    data = lgb.Dataset(
        rows[features].iloc[order],
        label=np.asarray(y)[order],
        free_raw_data=False,
        params={"feature_pre_filter": False, "verbosity": -1},
    )
    return data.set_group(sizes[sizes > 0])


def fit_booster(dataset: lgb.Dataset, params: dict[str, Any]) -> lgb.Booster:
    params = dict(params)
    rounds = int(params.pop("num_boost_round", 100))
    return lgb.train(params, dataset, num_boost_round=rounds)


def raw_scores(booster: lgb.Booster, rows: pd.DataFrame) -> np.ndarray:
    return np.asarray(booster.predict(rows.reindex(columns=booster.feature_name()), raw_score=True), dtype=float)


BLEND_WEIGHT = 0.5


@dataclass
class Fitted:
    """A booster and its calibration; with a blend, also the signal and the blend's own calibration:
    log-odds = blend.a * (w * (calibration.a * raw + calibration.b) + (1 - w) * signal_logit) + blend.b."""

    booster: lgb.Booster
    calibration: Platt
    signal: SignalModel | None = None
    blend: Platt | None = None

    def probability(self, rows: pd.DataFrame) -> np.ndarray:
        model_logit = self.calibration.a * raw_scores(self.booster, rows) + self.calibration.b
        if self.signal is None or self.blend is None:
            return np.asarray(1.0 / (1.0 + np.exp(-model_logit)))
        contribution, bias = self.signal.parts(rows)
        return self.blend.apply(BLEND_WEIGHT * model_logit + (1 - BLEND_WEIGHT) * (contribution + bias))

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"calibration": self.calibration.to_dict()}
        if self.signal is not None and self.blend is not None:
            out["blend"] = {
                "weight": BLEND_WEIGHT,
                "signal": self.signal.to_dict(),
                "calibration": self.blend.to_dict(),
            }
        return out


@dataclass(frozen=True)
class LightGBMFitter:
    """Fits the booster (and, with `blend`, a fixed logit blend with that single signal column as a floor)."""

    params: dict[str, Any]
    features: list[str]
    time_column: str = "as_of"
    gap_days: int = 28
    query: tuple[str, ...] = ("as_of",)
    blend: str | None = None

    def _booster(self, rows: pd.DataFrame, y: np.ndarray) -> lgb.Booster:
        return fit_booster(make_dataset(rows, y, self.features, list(self.query)), self.params)

    def fit(self, train: pd.DataFrame, y: np.ndarray) -> Fitted:
        """The booster on every training row; its Platt scaling (and the blend's) from an inner forward split."""
        y = np.asarray(y, dtype=float)
        booster = self._booster(train, y)
        fit_rows, valid_rows = inner_split(train[self.time_column], np.arange(len(train)), gap_days=self.gap_days)
        signal = fit_signal(self.blend, train, y) if self.blend else None
        platt, blend = None, None
        if len(np.unique(y[fit_rows])) == 2 and len(np.unique(y[valid_rows])) == 2:
            inner = self._booster(train.iloc[fit_rows], y[fit_rows])
            valid = train.iloc[valid_rows]
            platt = fit_platt(raw_scores(inner, valid), y[valid_rows])
            if platt is not None and self.blend:
                inner_fit = Fitted(inner, platt, fit_signal(self.blend, train.iloc[fit_rows], y[fit_rows]), None)
                blend = fit_platt(_blend_logit(inner_fit, valid), y[valid_rows])
        if platt is None:  # too little history for an inner split: calibrate in-sample (said so in the report)
            platt = fit_platt(raw_scores(booster, train), y, fitted_on="training rows (in-sample fallback)")
        platt = platt or Platt(1.0, 0.0, "identity", "none")
        if signal is not None and blend is None:
            blend = fit_platt(_blend_logit(Fitted(booster, platt, signal), train), y,
                              fitted_on="training rows (in-sample fallback)")  # fmt: skip
        return Fitted(booster, platt, signal, blend)

    def __call__(self, train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        if len(np.unique(y)) < 2:
            return np.full(len(test), float(np.mean(y)))
        return self.fit(train, y).probability(test)


def _blend_logit(fitted: Fitted, rows: pd.DataFrame) -> np.ndarray:
    model_logit = fitted.calibration.a * raw_scores(fitted.booster, rows) + fitted.calibration.b
    contribution, bias = fitted.signal.parts(rows) if fitted.signal else (np.zeros(len(rows)), np.zeros(len(rows)))
    return BLEND_WEIGHT * model_logit + (1 - BLEND_WEIGHT) * (contribution + bias)
