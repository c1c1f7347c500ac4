"""Honest validation: rolling-origin forward folds grouped by artist, baselines, and the leaky random split.

    report = evaluate(examples, features, fit_model, time_column="as_of", gap_days=28, k=50)

Each fold tests one later block of time and trains on everything before it minus a gap (the label horizon,
so every training label has closed before the test starts), expanding from fold to fold; no artist is in
both the training and the test side of a fold. Baselines are fitted on exactly the same folds, and the
random split (the protocol behind the seeds' 97% headlines) runs on the same rows, reported next to them.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from model.metrics import calibration_table, classification_metrics, mean_metrics

logger = logging.getLogger(__name__)

# fit(train_X, train_y, test_X) -> probabilities for test_X
Fitter = Callable[[pd.DataFrame, np.ndarray, pd.DataFrame], np.ndarray]


@dataclass(frozen=True)
class Fold:
    """One test block of time. Its artists are split into partitions; each part trains on the *other*
    artists' rows before the gap and predicts its own artists' rows in the block, so the whole block is
    tested while no artist is ever on both sides of a split."""

    index: int
    parts: tuple[tuple[np.ndarray, np.ndarray], ...]  # (train rows, test rows), positions into the examples
    train_to: pd.Timestamp
    test_from: pd.Timestamp
    test_to: pd.Timestamp

    @property
    def test(self) -> np.ndarray:
        return np.concatenate([test for _, test in self.parts])

    def window(self) -> dict[str, Any]:
        return {
            "fold": self.index, "train_to": str(self.train_to.date()),
            "test_from": str(self.test_from.date()), "test_to": str(self.test_to.date()),
            "n_train": int(np.mean([len(train) for train, _ in self.parts])), "n_test": int(len(self.test)),
        }  # fmt: skip


def forward_folds(
    times: pd.Series,
    groups: pd.Series,
    *,
    n_folds: int,
    gap_days: int,
    first_test_fraction: float = 0.5,
    n_group_splits: int = 3,
    seed: int = 42,
    labels: pd.Series | None = None,
) -> list[Fold]:
    """Expanding-window folds: the last `1 - first_test_fraction` of the time range split into test blocks.

    Within a block, the artists are shuffled (seeded) into `n_group_splits` partitions (see `Fold`).
    With `labels`, a block whose test rows hold only one class is skipped (no metric exists on it).
    """
    times = pd.to_datetime(times).reset_index(drop=True)
    groups = groups.fillna("__none__").reset_index(drop=True)
    t0, t1 = times.min(), times.max()
    start = t0 + (t1 - t0) * first_test_fraction
    edges = [start + (t1 - start) * i / n_folds for i in range(n_folds + 1)]
    unique = np.sort(groups.unique())
    codes = pd.Index(unique).get_indexer(groups)
    folds: list[Fold] = []
    for i in range(n_folds):
        last = i == n_folds - 1
        in_block = (times >= edges[i]) & ((times <= edges[i + 1]) if last else (times < edges[i + 1]))
        train_to = edges[i] - pd.Timedelta(days=gap_days)
        before = (times < train_to).to_numpy()
        partition = np.random.default_rng([seed, i]).permutation(len(unique)) % n_group_splits
        part_of_row = partition[codes]
        parts = []
        for part in range(n_group_splits):
            mine = part_of_row == part
            train, test = np.flatnonzero(before & ~mine), np.flatnonzero(in_block.to_numpy() & mine)
            if len(train) and len(test):
                parts.append((train, test))
        tested = np.concatenate([t for _, t in parts]) if parts else np.array([], dtype=int)
        one_class = labels is not None and labels.to_numpy()[tested].tolist().count(1.0) in (0, len(tested))
        if not parts or one_class:
            logger.warning("fold %d skipped: %d test rows%s", i, len(tested), " (one class)" if one_class else "")
            continue
        folds.append(Fold(len(folds), tuple(parts), train_to, edges[i], edges[i + 1]))
    return folds


def predict_fold(
    fit: Fitter, examples: pd.DataFrame, features: list[str], label: str, fold: Fold
) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predictions for the fold's test rows (in `fold.test` order), one fit per part."""
    y, p = [], []
    for train, test in fold.parts:
        train_rows, test_rows = examples.iloc[train], examples.iloc[test]
        p.append(fit(train_rows[features], train_rows[label].to_numpy(), test_rows[features]))
        y.append(test_rows[label].to_numpy())
    return np.concatenate(y), np.concatenate(p)


def logistic_fitter(columns: list[str]) -> Fitter:
    """Logistic regression on `columns`: median-imputed with missing indicators, scaled; genre one-hot."""

    def fit(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
        numeric = [c for c in columns if c != "genre"]
        parts: list[tuple[str, Any, list[str]]] = []
        if numeric:
            imputer = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
            parts.append(("num", make_pipeline(imputer, StandardScaler()), numeric))
        if "genre" in columns:
            parts.append(("genre", OneHotEncoder(handle_unknown="ignore"), ["genre"]))
        model = make_pipeline(ColumnTransformer(parts), LogisticRegression(max_iter=2000))
        data = train[columns].astype({"genre": str}) if "genre" in columns else train[columns]
        if len(np.unique(y)) < 2:
            return np.full(len(test), float(np.mean(y)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(data, y)
        test_data = test[columns].astype({"genre": str}) if "genre" in columns else test[columns]
        return model.predict_proba(test_data)[:, 1]

    return fit


def prevalence_fitter(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame) -> np.ndarray:
    return np.full(len(test), float(np.mean(y)))


def baseline_fitters(features: list[str], hit_metric: str) -> dict[str, Fitter | str]:
    """The baselines, or the reason one cannot run on these features."""
    level, momentum = f"track_{hit_metric}", f"track_{hit_metric}_7d"
    out: dict[str, Fitter | str] = {"prevalence": prevalence_fitter, "logistic": logistic_fitter(features)}
    single = {
        "current_level": level,
        "artist_prior_success": "artist_prior_hit_rate",
        "momentum": momentum,
    }
    for name, column in single.items():
        out[name] = logistic_fitter([column]) if column in features else f"feature {column} not available"
    return out


def _fold_metrics(
    fit: Fitter, examples: pd.DataFrame, features: list[str], label: str, fold: Fold, k: int, time_column: str
) -> tuple[dict[str, Any], np.ndarray]:
    y, p = predict_fold(fit, examples, features, label, fold)
    groups = examples[time_column].to_numpy()[fold.test] if time_column == "as_of" else None
    metrics = classification_metrics(y, p, k=k, groups=groups)
    return {**fold.window(), **metrics}, p


def evaluate(
    examples: pd.DataFrame,
    features: list[str],
    fit_model: Fitter,
    *,
    label: str = "label",
    time_column: str = "as_of",
    group_column: str = "artist_id",
    gap_days: int,
    n_folds: int = 3,
    k: int = 50,
    hit_metric: str = "spotify_popularity",
    seed: int = 42,
    baselines: bool = True,
) -> dict[str, Any]:
    """The whole protocol on labelled `examples`; returns a JSON-ready report."""
    examples = examples[examples[label].notna()].reset_index(drop=True)
    folds = forward_folds(
        examples[time_column], examples[group_column], n_folds=n_folds, gap_days=gap_days, seed=seed,
        labels=examples[label].reset_index(drop=True),
    )  # fmt: skip
    if not folds:
        raise ValueError("not enough history for a forward fold: need labelled rows on both sides of the gap")
    per_fold, pooled_y, pooled_p = [], [], []
    for fold in folds:
        metrics, p = _fold_metrics(fit_model, examples, features, label, fold, k, time_column)
        per_fold.append(metrics)
        pooled_y.append(examples[label].to_numpy()[fold.test])
        pooled_p.append(p)
        logger.info("fold %d: %s", fold.index, {key: metrics[key] for key in ("pr_auc", "roc_auc", "n_test")})
    report: dict[str, Any] = {
        "forward": mean_metrics(per_fold),
        "holdout": per_fold[-1],
        "folds": per_fold,
        "calibration": calibration_table(np.concatenate(pooled_y), np.concatenate(pooled_p)),
        "n_train": per_fold[-1]["n_train"],
        "n_test": per_fold[-1]["n_test"],
        "prevalence": float(examples[label].mean()),
        "features": features,
        "protocol": {
            "time_column": time_column,
            "gap_days": gap_days,
            "n_folds": len(folds),
            "group": group_column,
        },  # fmt: skip
    }
    if baselines:
        report["baselines"] = {}
        for name, fitter in baseline_fitters(features, hit_metric).items():
            if isinstance(fitter, str):
                report["baselines"][name] = {"skipped": fitter}
                continue
            runs = [_fold_metrics(fitter, examples, features, label, f, k, time_column)[0] for f in folds]
            report["baselines"][name] = {**mean_metrics(runs), "holdout": runs[-1], "folds": runs}
    report["random_split"] = random_split(
        examples, features, fit_model, label=label, k=k, seed=seed, time_column=time_column
    )
    return report


def random_split(
    examples: pd.DataFrame,
    features: list[str],
    fit_model: Fitter,
    *,
    label: str,
    k: int,
    seed: int,
    time_column: str = "as_of",
) -> dict[str, Any]:
    """The leaky protocol, for comparison: a stratified random 75/25 split of the same rows."""
    y = examples[label].to_numpy()
    stratify = y if len(np.unique(y)) == 2 and min(np.bincount(y.astype(int))) >= 2 else None
    train_idx, test_idx = train_test_split(
        np.arange(len(examples)), test_size=0.25, random_state=seed, stratify=stratify
    )
    train, test = examples.iloc[train_idx], examples.iloc[test_idx]
    p = fit_model(train[features], train[label].to_numpy(), test[features])
    groups = test[time_column].to_numpy() if time_column == "as_of" else None
    metrics = classification_metrics(test[label].to_numpy(), p, k=k, groups=groups)
    return {**metrics, "n_train": len(train), "n_test": len(test)}
