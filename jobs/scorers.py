"""How the score stage turns the frames it read into feature rows and raw model output: in this process
(the default), or on a Dask cluster over partitions of artists when `DASK_SCHEDULER` is set.

    scorer = scorer_for(settings.DASK_SCHEDULER)        # score_rows, or a jobs.dask_scorer.DaskScorer
    rows = scorer(frames, booster, now, metric="spotify_popularity", threshold=70.0)

Both give the same `ScoredRows` for the same frames and booster (tests/test_dask_scoring.py): the features of a
track read only its own and its main artist's rows, so building them per partition of artists changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import lightgbm as lgb
import numpy as np
import pandas as pd

from model.explain import contributions
from model.features import FeatureContext, build_features
from model.frames import ModelFrames
from model.labels import history_labels


@dataclass
class ScoredRows:
    current: pd.DataFrame  # feature rows of every tracked track on the day
    is_hit: np.ndarray  # whether each is a hit on the day
    raw: pd.DataFrame  # `model.explain.contributions(booster, current)`: TreeSHAP in raw log-odds, plus the bias


class Scorer(Protocol):
    def __call__(
        self, frames: ModelFrames, booster: lgb.Booster, now: pd.Timestamp, *, metric: str, threshold: float
    ) -> ScoredRows: ...


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
    current = build_features(ctx, [now], hit_metric=metric, hit_threshold=threshold).reset_index(drop=True)
    is_hit = history_labels(ctx, current, metric=metric, threshold=threshold, horizon_days=1)["is_hit_now"]
    return ScoredRows(current, is_hit.to_numpy(), contributions(booster, current))


def scorer_for(dask_scheduler: str | None) -> Scorer:
    """In-process unless a Dask scheduler address is given (then `distributed` must be installed)."""
    if not dask_scheduler:
        return score_rows
    from jobs.dask_scorer import DaskScorer

    return DaskScorer(dask_scheduler)
