"""The segment model: what drives popularity among a seed artist's segment, and which of the seed's own tracks
it expects to do better (pure; LightGBM with one thread, small and fast because it runs once per seed).

Trained on the segment's tracks without the seed's own, target = each track's peak popularity. Importance is
each feature's share of the total gain; partial-dependence curves (the mean prediction as one feature sweeps its
range, the others as observed) are kept for the top features. Underperformers are the seed's tracks whose
predicted popularity exceeds the real one, ranked by the gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd

MIN_TRACKS = 15  # fewer segment tracks than this: no model (the page says so)
CURVE_FEATURES = 3
CURVE_POINTS = 12
CURVE_SAMPLE = 300
PARAMS = {
    "objective": "regression", "learning_rate": 0.1, "num_leaves": 15, "min_child_samples": 5,
    "feature_fraction": 0.9, "num_threads": 1, "verbose": -1, "deterministic": True,
}  # fmt: skip
ROUNDS = 80


@dataclass
class SegmentModel:
    """Drivers (feature, importance, curve) and underperformers (track_id, popularity, expected, gap)."""

    drivers: pd.DataFrame
    underperformers: pd.DataFrame
    n_tracks: int
    note: str = ""
    curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)


def fit_segment_model(
    segment_tracks: pd.DataFrame, seed_tracks: pd.DataFrame, features: list[str], *, seed: int = 0, limit: int = 20
) -> SegmentModel:
    """`segment_tracks`/`seed_tracks` hold `features` and `popularity`; returns drivers and underperformers."""
    train = segment_tracks.dropna(subset=["popularity"])
    usable = [f for f in features if train[f].notna().any()] if len(train) else []
    if len(train) < MIN_TRACKS or not usable:
        note = f"the segment has {len(train)} tracks with a popularity (a model needs {MIN_TRACKS})"
        return SegmentModel(_empty_drivers(), _empty_underperformers(), len(train), note)
    x = train[usable].astype(float)
    label = train["popularity"].to_numpy(dtype=float)
    booster = lgb.train({**PARAMS, "seed": seed}, lgb.Dataset(x.to_numpy(), label=label, free_raw_data=False), ROUNDS)
    gain = booster.feature_importance(importance_type="gain")
    total = float(gain.sum()) or 1.0
    drivers = pd.DataFrame({"feature": usable, "importance": gain / total}).sort_values(
        ["importance", "feature"], ascending=[False, True]
    )
    curves = {f: partial_dependence(booster, x, f) for f in drivers["feature"].head(CURVE_FEATURES)}
    drivers["curve"] = drivers["feature"].map(lambda f: curves.get(f, {}))
    drivers = drivers.reset_index(drop=True)
    return SegmentModel(drivers, _underperformers(booster, seed_tracks, usable, limit), len(train), "", curves)


def partial_dependence(booster: lgb.Booster, x: pd.DataFrame, feature: str) -> dict[str, list[float]]:
    """Mean prediction over a sample of rows as `feature` takes each of `CURVE_POINTS` quantiles of its values."""
    values = x[feature].dropna()
    grid = np.unique(np.quantile(values, np.linspace(0.02, 0.98, CURVE_POINTS))) if len(values) else np.array([])
    sample = x.sample(min(len(x), CURVE_SAMPLE), random_state=0).to_numpy()
    column = list(x.columns).index(feature)
    probes = np.tile(sample, (len(grid), 1))  # one block of the sample per grid value: a single predict call
    probes[:, column] = np.repeat(grid, len(sample))
    predicted = np.asarray(booster.predict(probes)).reshape(len(grid), len(sample)) if len(grid) else np.zeros((0, 1))
    ys = predicted.mean(axis=1)
    return {"x": [round(float(v), 4) for v in grid], "y": [round(float(y), 3) for y in ys]}


def _underperformers(booster: lgb.Booster, seed_tracks: pd.DataFrame, features: list[str], limit: int) -> pd.DataFrame:
    own = seed_tracks.dropna(subset=["popularity"])
    if own.empty:
        return _empty_underperformers()
    expected = np.asarray(booster.predict(own[features].to_numpy(dtype=float)))
    frame = pd.DataFrame(
        {"track_id": own["track_id"].to_numpy(), "popularity": own["popularity"].to_numpy(dtype=float),
         "expected": expected}
    )  # fmt: skip
    frame["gap"] = frame["expected"] - frame["popularity"]
    frame = frame[frame["gap"] > 0].sort_values(["gap", "track_id"], ascending=[False, True]).head(limit)
    return frame.reset_index(drop=True)


def _empty_drivers() -> pd.DataFrame:
    return pd.DataFrame(columns=["feature", "importance", "curve"])


def _empty_underperformers() -> pd.DataFrame:
    return pd.DataFrame(columns=["track_id", "popularity", "expected", "gap"])
