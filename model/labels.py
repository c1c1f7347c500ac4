"""Hit labels for feature rows.

History (daily snapshots): a row (track, d) that is not yet a hit on d (its best value up to d misses the
threshold) is positive if the track becomes a hit within the next H days, i.e. on some day in (d, d + H].
Rows already a hit get no label (they are not "emerging"), nor do rows whose horizon runs past the data.
Snapshot (one snapshot): hit = the metric meets the threshold at the snapshot.
A hit is `metric >= threshold`, or `chart_position <= threshold`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.features import STALENESS_DAYS, FeatureContext
from model.frames import is_hit


def history_labels(
    ctx: FeatureContext, rows: pd.DataFrame, *, metric: str, threshold: float, horizon_days: int
) -> pd.DataFrame:
    """`is_hit_now` and `label` (1.0/0.0; NaN when unknown or already a hit) for rows (track_id, as_of)."""
    out = pd.DataFrame({"is_hit_now": np.zeros(len(rows), dtype=bool), "label": np.nan}, index=rows.index)
    panel = ctx.track_panels.get(metric)
    if panel is None or len(rows) == 0:
        return out
    # Hit days counted up to each day (a leading 0 column), as int32: a count is exact in any type, and at 1M
    # tracks the float copies (hits, their cumsum and its concatenation) were ~190 MB.
    cumulative = np.zeros((len(panel.ids), panel.n_days + 1), dtype=np.int32)
    np.cumsum(np.asarray(is_hit(panel.values, metric, threshold), dtype=bool), axis=1, out=cumulative[:, 1:])
    observed_days = np.flatnonzero(~np.isnan(panel.values).all(axis=0))
    last_day = int(observed_days.max()) if len(observed_days) else -1
    codes = panel.ids.get_indexer(pd.Index(rows["track_id"]))
    days = (pd.to_datetime(rows["as_of"]) - panel.start).dt.days.to_numpy()
    known = codes >= 0
    inside = known & (days >= 0) & (days < panel.n_days)
    hit_now = np.zeros(len(rows), dtype=bool)
    idx = np.flatnonzero(inside)
    hit_now[idx] = cumulative[codes[idx], days[idx] + 1] > 0
    future = np.full(len(rows), np.nan)
    closes = (days + horizon_days <= last_day) & (days >= 0)
    idx = np.flatnonzero(inside & closes)
    end = days[idx] + horizon_days + 1
    future[idx] = (cumulative[codes[idx], end] - cumulative[codes[idx], days[idx] + 1] > 0).astype(float)
    future[~known & closes] = 0.0  # never observed with the metric: did not become a hit
    prior = ctx.frames.prior_best[ctx.frames.prior_best["metric"] == metric]
    if len(prior):  # a hit before the window started is a hit now
        was_hit = pd.Series(np.asarray(is_hit(prior["best"].astype(float), metric, threshold)), index=prior["track_id"])
        hit_now |= rows["track_id"].map(was_hit).fillna(False).to_numpy(dtype=bool)
    future[hit_now] = np.nan
    out["is_hit_now"] = hit_now
    out["label"] = future
    return out


def snapshot_labels(ctx: FeatureContext, rows: pd.DataFrame, *, metric: str, threshold: float) -> pd.DataFrame:
    """Hit at the snapshot: the metric's latest value on or before `as_of` meets the threshold."""
    out = pd.DataFrame({"is_hit_now": np.zeros(len(rows), dtype=bool), "label": np.nan}, index=rows.index)
    panel = ctx.track_panels.get(metric)
    if panel is None or len(rows) == 0:
        return out
    for when, group in rows.groupby("as_of"):
        value = panel.lookup(group["track_id"], panel.as_of(panel.day(pd.Timestamp(when)), STALENESS_DAYS))
        hit = np.asarray(is_hit(value, metric, threshold), dtype=float)
        out.loc[group.index, "label"] = np.where(np.isnan(value), np.nan, hit)
        out.loc[group.index, "is_hit_now"] = hit > 0
    return out
