"""Classification metrics for ranked hit probabilities: PR-AUC, ROC-AUC, precision@k, Brier, calibration."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score


def precision_at_k(y: np.ndarray, p: np.ndarray, k: int, groups: np.ndarray | None = None) -> float:
    """Share of hits among the k highest scores; with `groups` (e.g. the date), the mean over groups."""
    frame = pd.DataFrame({"y": y, "p": p, "g": 0 if groups is None else groups})
    frame = frame.sort_values(["g", "p"], ascending=[True, False], kind="mergesort")
    top = frame.groupby("g", sort=False).head(k)
    return float(top.groupby("g")["y"].mean().mean()) if len(top) else float("nan")


def classification_metrics(y: np.ndarray, p: np.ndarray, *, k: int, groups: np.ndarray | None = None) -> dict[str, Any]:
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    both = len(np.unique(y)) == 2
    return {
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "precision_at_k": precision_at_k(y, p, k, groups),
        "k": k,
        "brier": float(brier_score_loss(y, p)) if len(y) else float("nan"),
        "n": int(len(y)),
        "prevalence": float(y.mean()) if len(y) else float("nan"),
    }


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Predicted versus observed hit rate in equal-width probability bins (empty bins left out)."""
    frame = pd.DataFrame({"y": np.asarray(y, dtype=float), "p": np.asarray(p, dtype=float)})
    frame["bin"] = np.minimum((frame["p"] * bins).astype(int), bins - 1)
    table = frame.groupby("bin").agg(mean_predicted=("p", "mean"), observed_rate=("y", "mean"), n=("y", "size"))
    return [
        {
            "bin_from": b / bins,
            "bin_to": (b + 1) / bins,
            "mean_predicted": float(row.mean_predicted),
            "observed_rate": float(row.observed_rate),
            "n": int(row.n),
        }  # fmt: skip
        for b, row in table.iterrows()
    ]


def mean_metrics(per_fold: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean of each numeric metric over folds (NaN folds ignored); counts are summed."""
    if not per_fold:
        return {}
    keys = ["pr_auc", "roc_auc", "precision_at_k", "brier", "prevalence"]
    out: dict[str, Any] = {key: float(np.nanmean([f[key] for f in per_fold])) for key in keys}
    out["k"] = per_fold[0]["k"]
    out["n"] = int(sum(f["n"] for f in per_fold))
    return out
