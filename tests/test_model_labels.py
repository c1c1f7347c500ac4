"""Hit labels from hand-made series: 'not a hit on d, becomes one within H days', and the snapshot rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.features import FeatureContext
from model.frames import ModelFrames
from model.labels import history_labels, snapshot_labels
from tests.model_data import obs, tracks

D = "2025-03-01"


def _context(rows: list[dict[str, object]], *ids: str) -> FeatureContext:
    catalogue, links = tracks(*[(i, "a1", "2025-01-01") for i in ids])
    return FeatureContext.build(ModelFrames(pd.DataFrame(rows), catalogue, links))


def _labels(ctx: FeatureContext, ids: list[str], day: str = D, **kw: object) -> pd.DataFrame:
    rows = pd.DataFrame({"track_id": ids, "as_of": pd.Timestamp(day)})
    spec = {"metric": "spotify_popularity", "threshold": 70, "horizon_days": 10, **kw}
    return history_labels(ctx, rows, **spec).set_index(rows["track_id"])  # type: ignore[arg-type]


def test_history_labels() -> None:
    m = "spotify_popularity"
    rows = [
        obs("rises", m, D, 60),
        obs("rises", m, "2025-03-06", 75),
        obs("already", m, "2025-02-20", 71),
        obs("already", m, D, 65),
        obs("flat", m, D, 50),
        obs("flat", m, "2025-03-11", 69),
        obs("late", m, D, 50),
        obs("late", m, "2025-03-12", 90),  # one day after the horizon
        obs("same_day", m, D, 70),
    ]
    ctx = _context(rows, "rises", "already", "flat", "late", "same_day", "unseen")
    out = _labels(ctx, ["rises", "already", "flat", "late", "same_day", "unseen"])
    assert out["label"].fillna(-1).to_dict() == {
        "rises": 1.0, "already": -1, "flat": 0.0, "late": 0.0, "same_day": -1, "unseen": 0.0,
    }  # fmt: skip
    assert np.isnan(out.loc["already", "label"]) and np.isnan(out.loc["same_day", "label"])
    assert out["is_hit_now"].to_dict()["already"] and not out["is_hit_now"].to_dict()["rises"]
    # The horizon of 2025-03-05 runs past the last observed day (03-12): unknown, not negative.
    assert np.isnan(_labels(ctx, ["flat"], day="2025-03-05").loc["flat", "label"])


def test_chart_position_hits_are_low_ranks() -> None:
    rows = [
        obs("up", "chart_position", D, 30), obs("up", "chart_position", "2025-03-04", 8),
        obs("stays", "chart_position", D, 30), obs("stays", "chart_position", "2025-03-11", 25),
    ]  # fmt: skip
    ctx = _context(rows, "up", "stays")
    out = _labels(ctx, ["up", "stays"], metric="chart_position", threshold=10)
    assert out["label"].tolist() == [1.0, 0.0]


def test_snapshot_labels() -> None:
    rows = [obs("hit", "spotify_popularity", D, 70), obs("miss", "spotify_popularity", D, 69.9)]
    ctx = _context(rows, "hit", "miss", "unobserved")
    frame = pd.DataFrame({"track_id": ["hit", "miss", "unobserved"], "as_of": pd.Timestamp(D)})
    out = snapshot_labels(ctx, frame, metric="spotify_popularity", threshold=70)
    assert out["label"].iloc[:2].tolist() == [1.0, 0.0] and np.isnan(out["label"].iloc[2])
