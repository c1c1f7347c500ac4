"""Discover figures with plotly graph_objects (pure: frames in, figures out): segment drivers and their
partial-dependence curves, the micro-genre map, genre evolution among hits, and the lookup gauge."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.figures import ACCENT, BASE_LAYOUT, SECOND, empty_figure

FEATURE_WORDS = {"duration_min": "duration (min)", "release_month": "release month", "explicit": "explicit"}
PALETTE = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#dc3545", "#20c997", "#6c757d", "#d63384", "#ffc107",
           "#0dcaf0", "#795548", "#343a40"]  # fmt: skip


def word(feature: str) -> str:
    return FEATURE_WORDS.get(feature, feature)


def _curve(value: Any) -> dict[str, list[float]]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def drivers_figure(drivers: pd.DataFrame) -> go.Figure:
    """Importance bars (share of gain) and, beside them, partial dependence of the top features."""
    if drivers.empty:
        return empty_figure("No segment model for this artist (see the note above).")
    curves = [(row.feature, _curve(row.curve)) for row in drivers.itertuples() if _curve(row.curve).get("x")]
    figure = make_subplots(
        rows=1, cols=1 + len(curves), column_widths=[0.4] + [0.6 / max(len(curves), 1)] * len(curves),
        subplot_titles=["Share of the model's gain", *[word(f) for f, _ in curves]],
    )  # fmt: skip
    top = drivers.head(10).iloc[::-1]
    figure.add_bar(
        x=top["importance"] * 100, y=[word(f) for f in top["feature"]], orientation="h", marker_color=ACCENT,
        hovertemplate="%{y}: %{x:.1f}% of the gain<extra></extra>", row=1, col=1, showlegend=False,
    )  # fmt: skip
    for i, (feature, curve) in enumerate(curves, start=2):
        figure.add_scatter(
            x=curve["x"], y=curve["y"], mode="lines+markers", line={"color": SECOND}, showlegend=False,
            hovertemplate=f"{word(feature)} %{{x}}: expected popularity %{{y:.1f}}<extra></extra>", row=1, col=i,
        )  # fmt: skip
    figure.update_layout(**BASE_LAYOUT, height=320)
    figure.update_yaxes(title_text="expected popularity", row=1, col=2) if curves else None
    figure.update_annotations(font_size=13)
    return figure


def micro_map(points: pd.DataFrame, micro: pd.DataFrame) -> go.Figure:
    """The 2-D PCA map coloured by micro-genre; the legend gives each cluster's hit rate; outliers as crosses."""
    if points.empty:
        return empty_figure("No micro-genres: this source has no audio features.")
    figure = go.Figure()
    for row in micro.itertuples():
        members = points[(points["micro_genre"] == row.cluster) & ~points["is_outlier"]]
        rate = f"{row.hit_rate:.0%} hits" if pd.notna(row.hit_rate) else "hit rate unknown"
        figure.add_scatter(
            x=members["pca_x"], y=members["pca_y"], mode="markers", name=f"{row.label} ({rate})",
            marker={"size": 5, "opacity": 0.6, "color": PALETTE[int(row.cluster) % len(PALETTE)]},
            text=members["name"] + " · " + members["artist_name"].fillna("?"),
            hovertemplate="%{text}<extra>" + f"M{int(row.cluster) + 1}" + "</extra>",
        )  # fmt: skip
    outliers = points[points["is_outlier"]]
    if len(outliers):
        figure.add_scatter(
            x=outliers["pca_x"], y=outliers["pca_y"], mode="markers", name="outliers (niche sound)",
            marker={"symbol": "x", "size": 7, "color": "#212529"},
            text=outliers["name"] + " · " + outliers["artist_name"].fillna("?"), hovertemplate="%{text}<extra></extra>",
        )  # fmt: skip
    figure.update_layout(
        **BASE_LAYOUT, height=560, title={"text": "Micro-genre map (PCA of the audio features)", "x": 0},
        xaxis={"title": "component 1", "zeroline": False}, yaxis={"title": "component 2", "zeroline": False},
        legend={"font": {"size": 11}, "orientation": "h", "y": -0.18},
    )  # fmt: skip
    return figure


def evolution_figure(frame: pd.DataFrame, *, title: str) -> go.Figure:
    """Stacked shares of the year's hits, one area per label."""
    if frame.empty:
        return empty_figure("No hits with a known release year.")
    figure = go.Figure()
    totals = frame.groupby("label")["n_hits"].sum().sort_values(ascending=False)
    for i, label in enumerate(totals.index[:12]):
        rows = frame[frame["label"] == label]
        figure.add_scatter(
            x=rows["release_year"], y=rows["share"] * 100, name=str(label)[:40], stackgroup="one", mode="lines",
            line={"width": 0.5, "color": PALETTE[i % len(PALETTE)]},
            hovertemplate=f"{label}: " + "%{y:.0f}% of %{x}'s hits<extra></extra>",
        )  # fmt: skip
    figure.update_layout(
        **BASE_LAYOUT, height=360, title={"text": title, "x": 0}, yaxis={"title": "% of the year's hits"},
        xaxis={"title": "release year", "dtick": 1, "tickformat": "d"}, legend={"font": {"size": 11}},
    )  # fmt: skip
    return figure


def gauge(probability: float, *, title: str = "Hit probability") -> go.Figure:
    figure = go.Figure(
        go.Indicator(
            mode="gauge+number", value=round(probability * 100, 1), number={"suffix": "%"},
            title={"text": title},
            gauge={
                "axis": {"range": [0, 100]}, "bar": {"color": ACCENT},
                "steps": [{"range": [0, 30], "color": "#e9ecef"}, {"range": [30, 60], "color": "#cfe2ff"},
                          {"range": [60, 100], "color": "#9ec5fe"}],
            },
        )
    )  # fmt: skip
    figure.update_layout(**BASE_LAYOUT, height=280)
    return figure
