"""Scores and explanations: hit probabilities, per-feature contributions (LightGBM `pred_contrib`) and
feature importance by gain and by mean |contribution|.

Contributions are in log-odds: for each row, their sum plus the bias equals the logit of the probability.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

BIAS = "bias"


def model_input(booster: lgb.Booster, features: pd.DataFrame) -> pd.DataFrame:
    """The booster's columns in its order; a feature the data lacks is NaN (missing, as in training)."""
    return features.reindex(columns=booster.feature_name())


def predict(booster: lgb.Booster, features: pd.DataFrame) -> np.ndarray:
    return np.asarray(booster.predict(model_input(booster, features)), dtype=float)


def contributions(booster: lgb.Booster, features: pd.DataFrame) -> pd.DataFrame:
    """One column per feature plus `bias`, in log-odds; rows align with `features`."""
    values = np.asarray(booster.predict(model_input(booster, features), pred_contrib=True))
    return pd.DataFrame(values, columns=[*booster.feature_name(), BIAS], index=features.index)


def feature_importance(booster: lgb.Booster, contrib: pd.DataFrame) -> pd.DataFrame:
    """Gain (total, from the trees) and mean |contribution| (on the scored rows) per feature."""
    names = booster.feature_name()
    gain = booster.feature_importance(importance_type="gain")
    mean_abs = contrib[names].abs().mean().to_numpy() if len(contrib) else np.zeros(len(names))
    frame = pd.DataFrame({"feature": names, "gain": gain.astype(float), "mean_abs_contribution": mean_abs})
    return frame.sort_values("gain", ascending=False, kind="mergesort").reset_index(drop=True)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-15, 1 - 1e-15)
    return np.log(p / (1 - p))
