"""Figures of the model's outputs (pure, graph_objects only): importance, calibration, a track's waterfall."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard import glossary
from dashboard.figures import ACCENT, BASE_LAYOUT, SECOND, empty_figure
from dashboard.plot_text import plot_texts

BIAS = "bias"


def importance_bars(frame: pd.DataFrame, *, top: int = 20) -> go.Figure:
    """Gain and mean |contribution| side by side, features ordered by gain (largest on top)."""
    if frame.empty:
        return empty_figure("No feature importance in this publication.")
    shown = frame.sort_values("gain", ascending=False).head(top)
    figure = go.Figure()  # two panels sharing the feature axis, laid out by hand (make_subplots is slow)
    total_gain = float(shown["gain"].sum()) or 1.0
    labels = plot_texts([glossary.label(feature) for feature in shown["feature"]])  # the words of every page
    figure.add_bar(
        x=shown["gain"] / total_gain * 100, y=labels, orientation="h", marker_color=ACCENT,
        hovertemplate="%{y}: %{x:.1f}% of gain<extra></extra>",
    )  # fmt: skip
    figure.add_bar(
        x=shown["mean_abs_contribution"], y=labels, orientation="h", marker_color=SECOND,
        hovertemplate="%{y}: %{x:.3f}<extra></extra>", xaxis="x2",
    )  # fmt: skip
    figure.update_layout(
        **BASE_LAYOUT,
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"domain": [0, 0.48], "title": {"text": "gain %"}},
        xaxis2={"domain": [0.52, 1], "anchor": "y", "title": {"text": "mean |contrib.|"}},
        showlegend=False,
        height=max(300, 24 * len(shown) + 110),
        title={"text": "Feature importance", "x": 0, "font": {"size": 15}},
    )
    return figure


def calibration_curve(bins: list[dict[str, Any]]) -> go.Figure:
    """Mean predicted probability against observed hit rate per bin; the diagonal is perfect calibration."""
    rows = [b for b in bins or [] if b.get("mean_predicted") is not None and b.get("observed_rate") is not None]
    if not rows:
        return empty_figure("The active model has no calibration table.")
    figure = go.Figure()
    figure.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines",
        name="Perfectly calibrated",
        line={"dash": "dot", "color": "#adb5bd"},
    )
    figure.add_scatter(
        x=[b["mean_predicted"] for b in rows],
        y=[b["observed_rate"] for b in rows],
        mode="lines+markers",
        name="Model (forward folds)",
        marker={"size": [max(6, min(22, math.sqrt(b.get("n", 1)))) for b in rows], "color": ACCENT},
        customdata=[b.get("n", 0) for b in rows],
        hovertemplate="predicted %{x:.2f} · observed %{y:.2f} · %{customdata} tracks<extra></extra>",
    )
    figure.update_layout(
        **BASE_LAYOUT,
        height=360,
        title={"text": "Calibration", "x": 0, "font": {"size": 15}},
        xaxis={"title": "Predicted probability", "range": [0, 1]},
        yaxis={"title": "Observed hit rate", "range": [0, 1]},
        legend={"x": 0.02, "y": 0.98, "bgcolor": "rgba(255,255,255,0.8)"},
    )
    return figure


def contribution_steps(contributions: dict[str, float], *, top: int = 10) -> pd.DataFrame:
    """The waterfall's steps: the bias, the `top` largest |contributions|, the rest summed as one step."""
    items = {k: float(v) for k, v in (contributions or {}).items() if v is not None and k != BIAS}
    ranked = sorted(items.items(), key=lambda kv: abs(kv[1]), reverse=True)
    steps = [("base rate (bias)", float((contributions or {}).get(BIAS, 0.0)))] + ranked[:top]
    rest = sum(v for _, v in ranked[top:])
    if len(ranked) > top:
        steps.append((f"{len(ranked) - top} other features", rest))
    return pd.DataFrame(steps, columns=["feature", "contribution"])


def contributions_waterfall(contributions: dict[str, float], probability: float) -> go.Figure:
    """From the base rate (bias) through each feature's push to the track's log-odds and probability."""
    steps = contribution_steps(contributions)
    if len(steps) <= 1:
        return empty_figure("This track has no contributions recorded.")
    total = float(steps["contribution"].sum())
    figure = go.Figure(
        go.Waterfall(
            orientation="h",
            y=[*plot_texts(steps["feature"]), "score (log-odds)"],
            x=[*steps["contribution"], 0],
            measure=["absolute"] + ["relative"] * (len(steps) - 1) + ["total"],
            increasing={"marker": {"color": "#198754"}},
            decreasing={"marker": {"color": "#dc3545"}},
            totals={"marker": {"color": ACCENT}},
            connector={"line": {"color": "#ced4da"}},
            hovertemplate="%{y}: %{x:+.3f}<extra></extra>",
        )
    )
    figure.update_layout(
        **BASE_LAYOUT,
        height=max(300, 28 * len(steps) + 110),
        title={
            "text": f"What drove it: log-odds {total:+.2f} → {probability:.1%}",
            "x": 0,
            "font": {"size": 15},
        },
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"title": "Contribution (log-odds)"},
    )
    return figure


SIGNAL_WORDS = {
    "current_level": "sorting by the current {metric}",
    "best_so_far": "sorting by the best {metric} so far",
    "momentum": "sorting by 7-day momentum",
    "streams_level": "sorting by current streams",
    "streams_growth": "sorting by stream growth",
    "streams_best": "sorting by the best streams so far",
    "artist_prior_success": "sorting by the artist's earlier hits",
    "artist_level": "sorting by the artist's current level",
    "logistic": "a simple logistic regression on the same inputs",
    "prevalence": "the base rate",
    "model": "the hit model",
}


def signal_words(name: str | None, metric: str = "chart position") -> str:
    return SIGNAL_WORDS.get(name or "", name or "a baseline").format(metric=metric)


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _months(start: str | None, end: str | None) -> str:
    if not start or not end:
        return "the evaluated period"
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days
    return f"the last {max(1, round(days / 30.4))} months ({start} to {end})"


def verdict_sentences(
    report: Any, *, metric: str = "chart position", folds: list[dict[str, Any]] | None = None
) -> list[str]:
    """The verdict, the champion and the calibration in words a manager can read (from a `ModelReport`)."""
    ci = report.ci["pr_auc"]
    period = _months((folds or [{}])[0].get("test_from"), (folds or [{}])[-1].get("test_to"))
    against = signal_words(ci.against, metric)
    how = {"win": "found hits better than", "tie": "was not clearly better than", "loss": "found hits worse than"}
    numbers = (
        f"{_signed(ci.diff)} PR-AUC (95% interval {_signed(ci.lo)} to {_signed(ci.hi)}),"
        f" {report.positives.tracks} hit tracks"
    )
    lines = [f"On {period} the model {how[ci.verdict]} {against}: {numbers}."]
    champion = report.champion
    if champion.kind == "model":
        lines.append("The emerging-hit list is ranked by the model.")
    else:
        lines.append(
            f"Because the model did not beat it clearly, the emerging-hit list is ranked by"
            f" {signal_words(champion.name, metric).removeprefix('sorting by ')} instead."
        )
    calibration = report.calibration
    if calibration.ece is not None:
        lines.append(
            f"Hit probabilities are calibrated ({calibration.method}): on average they are off by"
            f" {calibration.ece * 100:.1f} percentage points (ECE {calibration.ece:.3f})."
        )
    return lines


def series_rows(report: Any) -> list[dict[str, Any]]:
    """One row per series: verdict, difference and interval against its own best baseline, hit tracks."""
    rows = []
    for name, series in sorted(report.per_series.items()):
        ci = series.ci
        rows.append({
            "series": name, "verdict": series.verdict, "against": ci.against, "diff": ci.diff,
            "lo": ci.lo, "hi": ci.hi, "hit_tracks": series.positives.tracks,
        })  # fmt: skip
    return rows


def calibration_bins(calibration: Any) -> list[dict[str, Any]]:
    """Reliability bins from a report's calibration (the schema's dict, or an older plain list)."""
    if isinstance(calibration, dict):
        return list(calibration.get("bins") or [])
    return list(calibration or [])
