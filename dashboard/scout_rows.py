"""Rows of the scout's grids (emerging hits, risers, alerts, an artist's releases), in the one number format.

Pure: frames from dashboard/queries_morning.py in, `rowData` out (tests call these with small frames).
Probabilities stay 0-1 numbers (the grid shows them as 74.8%), dates are shown as precisely as they are known,
genres keep their casing, and an alert says in words how big the spike is against the artist's own trend.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard import calibration, formats, glossary
from dashboard.tables import records


def emerging_rows(
    frame: pd.DataFrame, bins: list[dict[str, Any]], trends: dict[str, list[float]] | None = None
) -> list[dict[str, Any]]:
    """Each track with its band (strong / watch / long shot) and how often such a score came true."""
    if frame.empty:
        return []
    trends = trends or {}
    shown = pd.DataFrame(
        {
            "track_id": frame["track_id"],
            "name": frame["name"],
            "artist_id": frame["artist_id"],
            "artist_name": frame["artist_name"],
            "probability": frame["probability"].astype(float).round(4),
            "momentum_7d": frame["momentum_7d"].astype(float).round(1),
            "band": [calibration.band(float(p)) for p in frame["probability"]],
            "came_true": [_came_true_short(float(p), bins) for p in frame["probability"]],
            "trend": [trends.get(t) for t in frame["track_id"]],
            "genre": frame["genre"].map(formats.genre),
            "released": [
                formats.release_date(d, p)
                for d, p in zip(frame["release_date"], frame["release_date_precision"], strict=True)
            ],
            "popularity": frame["popularity"].astype(float).round(0),
        }
    )
    return records(shown)


def _came_true_short(probability: float, bins: list[dict[str, Any]]) -> str:
    found = calibration.bin_for(probability, bins)
    if found is None or int(found["n"]) < calibration.MIN_N:
        return ""
    return calibration.rate_in_words(float(found["observed_rate"]))


def riser_rows(frame: pd.DataFrame, trends: dict[str, list[float]] | None = None) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    trends = trends or {}
    shown = frame.assign(
        popularity=frame["popularity"].astype(float).round(0),
        change_points=frame["change_points"].astype(float).round(1),
        change_pct=frame["change_pct"].astype(float).round(1),
        genre=frame["genre"].map(formats.genre),
        trend=[trends.get(a) for a in frame["artist_id"]],
    )
    return records(shown)


def spike_words(metric: str, change: Any, usual: Any) -> str:
    """'Spotify followers: 3.1× usual daily growth (+1,204 a day, usually +390)'."""
    name = glossary.label(metric)
    if formats.missing(change):
        return f"{name}: far above its own trend"
    change = float(change)
    detail = f"{_change(change)} a day"
    if formats.missing(usual):
        return f"{name}: {detail}"
    usual = float(usual)
    detail += f", usually {_change(usual)}"
    if usual > 0 and change > 0:
        return f"{name}: {formats.times(change / usual)} usual daily growth ({detail})"
    return f"{name}: unusual change ({detail})"


def _change(value: float) -> str:
    """+1,240 for big changes, +0.4 for small ones (a popularity score moves by fractions a day)."""
    return formats.signed(value, 0 if abs(value) >= 10 else 1)


def alert_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per artist and spike: what spiked in words, every metric that did, since when."""
    if frame.empty:
        return []
    shown = pd.DataFrame(
        {
            "artist_id": frame["artist_id"],
            "name": frame["name"],
            "spike": [
                spike_words(m[0], c, u)
                for m, c, u in zip(frame["metrics"], frame["change"], frame["usual_change"], strict=True)
            ],
            "metrics": [", ".join(glossary.label(m) for m in metrics) for metrics in frame["metrics"]],
            "since": [formats.release_date(d) for d in frame["since"]],
            "genre": frame["genre"].map(formats.genre),
            "zscore": frame["zscore"].astype(float).round(1),
        }
    )
    return records(shown)


def release_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """An artist's releases: dates as precise as known, probability 0-1 (shown as a percentage)."""
    if frame.empty:
        return []
    shown = pd.DataFrame(
        {
            "track_id": frame["track_id"],
            "name": frame["name"],
            "released": [
                formats.release_date(d, p)
                for d, p in zip(frame["release_date"], frame["release_date_precision"], strict=True)
            ],
            "popularity": frame["popularity"].astype(float).round(0),
            "is_hit": frame["is_hit"].map({True: "yes", False: "no"}).fillna(""),
            "probability": frame["probability"].astype(float).round(4),
        }
    )
    return records(shown)
