"""Platt scaling: a probability from a raw model score, fitted on an inner forward split (never a test block).

    platt = fit_platt(raw_scores_on_inner_valid, labels_on_inner_valid)
    probability = platt.apply(raw_scores)

The raw score is LightGBM's margin (the log-odds for `binary`, the ranking score for `lambdarank`), so one
two-parameter logistic maps either objective onto hit probabilities.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression


@dataclass(frozen=True)
class Platt:
    a: float
    b: float
    method: str = "platt"
    fitted_on: str = "inner forward split"

    def apply(self, raw: np.ndarray) -> np.ndarray:
        return np.asarray(1.0 / (1.0 + np.exp(-(self.a * np.asarray(raw, dtype=float) + self.b))))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> Platt:
        """Stored calibration; a model stored without one keeps its raw log-odds (identity)."""
        if not values:
            return cls(1.0, 0.0, "identity", "none")
        return cls(float(values["a"]), float(values["b"]), str(values.get("method", "platt")),
                   str(values.get("fitted_on", "")))  # fmt: skip


def fit_platt(raw: np.ndarray, y: np.ndarray, *, fitted_on: str = "inner forward split") -> Platt | None:
    """None when the rows hold one class (no slope can be fitted)."""
    y = np.asarray(y, dtype=float)
    if len(np.unique(y)) < 2:
        return None
    model = LogisticRegression(C=1e4, max_iter=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(np.asarray(raw, dtype=float).reshape(-1, 1), y)
    return Platt(float(model.coef_[0, 0]), float(model.intercept_[0]), "platt", fitted_on)
