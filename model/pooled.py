"""Pooling several series (markets, charts, playlists) into one training set, with cross-series state as of d.

    examples = pool_series({"top50-usa": (ctx_usa, examples_usa), "top50-uk": (ctx_uk, examples_uk)})

Each series keeps its own labels; the pooled rows gain `series` (a category) and, from the other series'
chart positions observed on or before d only: `xs_charting` (in how many other series the track charts),
`xs_best_position` (its best position elsewhere) and `xs_days_since_first` (days since it first charted in
any series). Small single markets hold too few positives to learn from; pooled, they do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.features import STALENESS_DAYS, FeatureContext

SERIES = "series"
POSITION = "chart_position"
CROSS_FEATURES = ["xs_charting", "xs_best_position", "xs_days_since_first"]


def _first_charted(ctx: FeatureContext) -> pd.Series:
    panel = ctx.track_panels.get(POSITION)
    if panel is None or panel.n_days == 0:
        return pd.Series(dtype="datetime64[ns]")
    seen = ~np.isnan(panel.values)
    first = np.where(seen.any(axis=1), seen.argmax(axis=1), -1)
    dates = panel.start + pd.to_timedelta(np.where(first >= 0, first, 0), unit="D")
    return pd.Series(np.where(first >= 0, dates, pd.NaT), index=panel.ids, dtype="datetime64[ns]")


def cross_series_features(name: str, rows: pd.DataFrame, contexts: dict[str, FeatureContext]) -> pd.DataFrame:
    """The cross-series columns for `rows` (track_id, as_of) of series `name`."""
    charting = np.zeros(len(rows))
    best = np.full(len(rows), np.nan)
    for other, ctx in contexts.items():
        panel = ctx.track_panels.get(POSITION)
        if other == name or panel is None:
            continue
        for when, index in rows.groupby("as_of").indices.items():
            value = panel.lookup(
                rows["track_id"].iloc[index], panel.as_of(panel.day(pd.Timestamp(when)), STALENESS_DAYS)
            )
            charting[index] += ~np.isnan(value)
            best[index] = np.fmin(best[index], value)
    firsts = pd.concat([_first_charted(ctx) for ctx in contexts.values()])
    first = firsts.groupby(level=0).min() if len(firsts) else firsts
    first_seen = pd.to_datetime(rows["track_id"].map(first))
    days = (pd.to_datetime(rows["as_of"]) - first_seen).dt.days.astype(float)
    return pd.DataFrame(
        {"xs_charting": charting, "xs_best_position": best, "xs_days_since_first": days.where(days >= 0)},
        index=rows.index,
    )


def pool_series(parts: dict[str, tuple[FeatureContext, pd.DataFrame]]) -> pd.DataFrame:
    """One frame of every series' examples, with `series` and the cross-series columns."""
    contexts = {name: ctx for name, (ctx, _) in parts.items()}
    frames = []
    for name, (_, rows) in parts.items():
        rows = rows.reset_index(drop=True)
        frames.append(pd.concat([rows.assign(**{SERIES: name}), cross_series_features(name, rows, contexts)], axis=1))
    pooled = pd.concat(frames, ignore_index=True)
    pooled[SERIES] = pd.Categorical(pooled[SERIES], categories=sorted(parts))
    genres = sorted({str(g) for frame in frames for g in frame["genre"].astype(str).unique()})
    pooled["genre"] = pd.Categorical(pooled["genre"].astype(str), categories=genres)
    return pooled
