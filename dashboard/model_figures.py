"""Figures of the model's outputs (pure, graph_objects only): importance, calibration, a track's waterfall."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go

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
    figure.add_bar(
        x=shown["gain"] / total_gain * 100, y=plot_texts(shown["feature"]), orientation="h", marker_color=ACCENT,
        hovertemplate="%{y}: %{x:.1f}% of gain<extra></extra>",
    )  # fmt: skip
    figure.add_bar(
        x=shown["mean_abs_contribution"], y=plot_texts(shown["feature"]), orientation="h", marker_color=SECOND,
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
