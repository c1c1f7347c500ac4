"""First-sight scores: a probability for a track with no history of its own (a lookup).

    booster, params, used = first_sight_booster(stored)                # the model to score with, and which
    probability, contrib = first_sight_scores(booster, params, rows)   # rows from features.first_sight_at

A version trained with a first-sight model (`model.first_sight_train`, stored in `first_sight_text`) scores with
it and its own Platt calibration (`used == "first_sight"`). A version stored without one falls back to the main
booster given only the features known at first sight (every `track_*` column, the track's own metrics and
momentum, is set missing, as LightGBM treats a value it never saw) and its Platt calibration (`"blanked"`); a
blend or a baseline champion is not used, since both rank by the track's own history. The lookup page says which.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.calibrate import Platt
from model.explain import BIAS, contributions

OWN_HISTORY_PREFIX = "track_"
FIRST_SIGHT, BLANKED = "first_sight", "blanked"


def first_sight_booster(
    model_text: str, params: dict[str, Any], first_sight_text: str | None, first_sight_params: dict[str, Any] | None
) -> tuple[lgb.Booster, dict[str, Any], str]:
    """The separately trained first-sight model when the version has one, else the main one (to be blanked)."""
    if first_sight_text:
        return lgb.Booster(model_str=first_sight_text), first_sight_params or {}, FIRST_SIGHT
    return lgb.Booster(model_str=model_text), params, BLANKED


def first_sight_features(names: list[str]) -> list[str]:
    """The features of `names` that a track's first sight can know."""
    return [name for name in names if not name.startswith(OWN_HISTORY_PREFIX)]


def first_sight_scores(
    booster: lgb.Booster, params: dict[str, Any], rows: pd.DataFrame
) -> tuple[np.ndarray, pd.DataFrame]:
    """Calibrated probability and contributions (calibrated log-odds, summing to its logit) per row."""
    blank = rows.copy()
    for name in booster.feature_name():
        if name.startswith(OWN_HISTORY_PREFIX):
            blank[name] = np.nan
    platt = Platt.from_dict(params.get("calibration"))
    scaled = contributions(booster, blank) * platt.a
    scaled[BIAS] += platt.b
    probability = 1.0 / (1.0 + np.exp(-scaled.sum(axis=1).to_numpy()))
    return probability, scaled
