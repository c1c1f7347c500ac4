"""Labelled examples for training and evaluation: features as of each date plus the hit label.

    examples = build_examples(frames, spec)        # spec: the HitDefinition, plus mode and step

History mode samples one date every `step_days` (consecutive daily snapshots are near-copies of each other)
from the first date with 28 days of history to the last date whose horizon closes inside the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.hit_definition import HitDefinition
from model.features import FeatureContext, build_features
from model.labels import history_labels, snapshot_labels


@dataclass(frozen=True)
class LabelSpec:
    """How examples are labelled: what a hit is (`core.hit_definition`) and how dates are sampled."""

    hit: HitDefinition = HitDefinition()
    mode: str = "history"  # or "snapshot"
    step_days: int = 7

    @property
    def metric(self) -> str:
        return self.hit.metric

    @property
    def threshold(self) -> float:
        return self.hit.threshold

    @property
    def horizon_days(self) -> int:
        return self.hit.horizon_days

    def describe(self) -> dict[str, Any]:
        """The label as stored with a model version: the hit definition's keys plus the sampling."""
        return {**self.hit.to_json(), "mode": self.mode, "step_days": self.step_days}


def min_history_days(spec: LabelSpec, n_origins: int, *, warmup_days: int = 28) -> int:
    """Days of history the protocol needs: the warm-up, the horizon, and one sampled date per forward origin
    (evaluation and selection) plus as many again to train the first one."""
    from model.folds import SELECTION_ORIGINS

    return warmup_days + spec.horizon_days + spec.step_days * 2 * (n_origins + SELECTION_ORIGINS)


def example_dates(ctx: FeatureContext, spec: LabelSpec, *, warmup_days: int = 28) -> list[pd.Timestamp]:
    """History: every `step_days` whose label horizon closes in the data; snapshot: the last observed day."""
    obs = ctx.frames.observations
    days = obs.loc[(obs["entity_type"] == "track") & (obs["metric"] == spec.metric), "observed_on"]
    if days.empty:
        raise ValueError(f"no track observations of {spec.metric!r}: cannot label hits")
    first, last = days.min(), days.max()
    if spec.mode == "snapshot":
        return [last]
    start = min(first + pd.Timedelta(days=warmup_days), last)
    end = last - pd.Timedelta(days=spec.horizon_days)
    # Anchor the grid on the end so the newest labelled week is always included.
    dates = pd.date_range(end=end, start=start, freq=f"{spec.step_days}D") if end >= start else []
    return list(pd.date_range(end=end, periods=len(dates), freq=f"{spec.step_days}D"))


def build_examples(frames: Any, spec: LabelSpec, dates: list[pd.Timestamp] | None = None) -> pd.DataFrame:
    """Feature rows with `is_hit_now` and `label` (NaN where unknown or already a hit)."""
    ctx = frames if isinstance(frames, FeatureContext) else FeatureContext.build(frames)
    dates = dates if dates is not None else example_dates(ctx, spec)
    rows = build_features(ctx, dates, hit_metric=spec.metric, hit_threshold=spec.threshold, mode=spec.mode)
    if spec.mode == "snapshot":
        labels = snapshot_labels(ctx, rows, metric=spec.metric, threshold=spec.threshold)
    else:
        labels = history_labels(ctx, rows, metric=spec.metric, threshold=spec.threshold, horizon_days=spec.horizon_days)
    return pd.concat([rows, labels], axis=1)
