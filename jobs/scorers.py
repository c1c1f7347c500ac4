"""Feature rows, hit flags and raw contributions of one market (or one partition of its artists) in this process:
what a Dask worker runs for its partition (`jobs.dask_scorer`), and the in-process reference it is tested against.

    rows = score_rows(frames, booster, now, metric="spotify_popularity", threshold=70.0)

Both give the same `ScoredRows` for the same frames and booster (tests/test_dask_scoring.py): the features of a
track read only its own and its main artist's rows, so building them per partition of artists changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from jobs.features import features_on
from model.explain import contributions
from model.features import FeatureContext
from model.frames import ModelFrames


@dataclass
class ScoredRows:
    current: pd.DataFrame  # feature rows of every tracked track on the day
    is_hit: np.ndarray  # whether each is a hit on the day
    raw: pd.DataFrame  # `model.explain.contributions(booster, current)`: TreeSHAP in raw log-odds, plus the bias


def score_rows(
    frames: ModelFrames,
    booster: lgb.Booster,
    now: pd.Timestamp,
    *,
    metric: str,
    threshold: float,
    genres: list[str] | None = None,
) -> ScoredRows:
    """Features as of `now`, today's hit flags and the booster's contributions, in this process. `genres`: the
    whole market's categories when `frames` is one partition of it."""
    ctx = FeatureContext.build(frames, until=now, genres=genres)
    features = features_on(ctx, now, hit_metric=metric, hit_threshold=threshold)
    return ScoredRows(features.rows, features.is_hit.to_numpy(), contributions(booster, features.rows))
