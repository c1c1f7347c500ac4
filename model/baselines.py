"""The simple baselines every model must beat, fitted on exactly the same folds as the model.

    fitters = baseline_fitters(examples, features, hit_metric="chart_position")

A fitter is `fit(train_rows, y, test_rows) -> probabilities` on whole example rows. Single-signal baselines are
a logistic regression on one column (median-imputed, with a missing indicator, standardised), stored as plain
numbers so the jobs side can rank a published list by one of them (`SignalModel.scores`). A baseline whose
column is absent or entirely missing in the data is not used, with the reason in the report.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

Fitter = Callable[[pd.DataFrame, np.ndarray, pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class SignalModel:
    """p = sigmoid(coef * (x - mean) / scale + coef_missing * [x missing] + intercept), x median-imputed."""

    column: str
    median: float
    mean: float
    scale: float
    coef: float
    coef_missing: float
    intercept: float

    def parts(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """The column's log-odds contribution per row, and the bias."""
        x = pd.to_numeric(rows[self.column], errors="coerce").to_numpy(dtype=float) if self.column in rows else None
        if x is None:
            x = np.full(len(rows), np.nan)
        missing = np.isnan(x)
        z = (np.where(missing, self.median, x) - self.mean) / self.scale
        return self.coef * z + self.coef_missing * missing, np.full(len(rows), self.intercept)

    def scores(self, rows: pd.DataFrame) -> np.ndarray:
        contribution, bias = self.parts(rows)
        return np.asarray(1.0 / (1.0 + np.exp(-(contribution + bias))))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fit_signal(column: str, train: pd.DataFrame, y: np.ndarray) -> SignalModel:
    x = pd.to_numeric(train[column], errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(x)
    median = float(np.nanmedian(x)) if (~missing).any() else 0.0
    filled = np.where(missing, median, x)
    mean, scale = float(filled.mean()), float(filled.std()) or 1.0
    design = np.column_stack([(filled - mean) / scale, missing.astype(float)])
    if len(np.unique(y)) < 2:
        prevalence = float(np.clip(np.mean(y), 1e-6, 1 - 1e-6))
        return SignalModel(column, median, mean, scale, 0.0, 0.0, float(np.log(prevalence / (1 - prevalence))))
    model = LogisticRegression(max_iter=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(design, y)
    coef = model.coef_[0]
    return SignalModel(column, median, mean, scale, float(coef[0]), float(coef[1]), float(model.intercept_[0]))


def signal_fitter(column: str) -> Fitter:
    def fit(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        return fit_signal(column, train, y).scores(test)

    return fit


def prevalence_fitter(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
    return np.full(len(test), float(np.mean(y)))


def logistic_fitter(columns: list[str]) -> Fitter:
    """Logistic regression on every feature: numbers median-imputed with missing indicators and scaled,
    categories (genre, series) one-hot."""

    def fit(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        categorical = [
            c for c in columns if isinstance(train[c].dtype, pd.CategoricalDtype) or train[c].dtype == object
        ]
        numeric = [c for c in columns if c not in categorical]
        parts: list[tuple[str, Any, list[str]]] = []
        if numeric:
            imputer = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
            parts.append(("num", make_pipeline(imputer, StandardScaler()), numeric))
        if categorical:
            parts.append(("cat", OneHotEncoder(handle_unknown="ignore"), categorical))
        if len(np.unique(y)) < 2:
            return np.full(len(test), float(np.mean(y)))
        model = make_pipeline(ColumnTransformer(parts), LogisticRegression(max_iter=2000))
        as_text = dict.fromkeys(categorical, str)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(train[columns].astype(as_text), y)
        return np.asarray(model.predict_proba(test[columns].astype(as_text))[:, 1])

    return fit


def signal_columns(hit_metric: str) -> dict[str, str]:
    """Each single-signal baseline and the feature column it ranks by."""
    return {
        "current_level": f"track_{hit_metric}",
        "best_so_far": f"track_{hit_metric}_best",
        "momentum": f"track_{hit_metric}_7d",
        "artist_prior_success": "artist_prior_hit_rate",
        "streams_level": "track_chart_streams",
        "streams_growth": "track_chart_streams_7d",
        "streams_best": "track_chart_streams_best",
    }


def first_sight_signal_columns(hit_metric: str) -> dict[str, str]:
    """The single signals a track's first sight can know: its artist's prior success and current level."""
    return {"artist_prior_success": "artist_prior_hit_rate", "artist_level": f"artist_{hit_metric}"}


def baseline_fitters(
    examples: pd.DataFrame, features: list[str], hit_metric: str, *, first_sight: bool = False
) -> dict[str, Fitter | str]:
    """The baselines, or the reason one is not used on this data (`first_sight`: the first-sight set)."""
    out: dict[str, Fitter | str] = {"prevalence": prevalence_fitter, "logistic": logistic_fitter(features)}
    signals = first_sight_signal_columns(hit_metric) if first_sight else signal_columns(hit_metric)
    for name, column in signals.items():
        if column not in features:
            out[name] = f"feature {column} not available"
        elif pd.to_numeric(examples[column], errors="coerce").isna().all():
            out[name] = f"feature {column} is missing on every row of this data"
        else:
            out[name] = signal_fitter(column)
    return out
