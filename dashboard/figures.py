"""Pure functions from a DataFrame to a Plotly figure, with `plotly.graph_objects` only.

(Plotly Express costs ~10x more per figure on these machines.) No database, no Dash here: tests call
these with small frames, and every chart in the app is built by one of them.

Figures use a small template of our own, registered once as plotly's default for this process: assigning a
stock template such as "plotly_white" deep-copies and re-validates its styles for every trace type, which
cost more than the rest of a seasonality callback (measured: ~60 ms of a ~90 ms callback per figure).
"""

from __future__ import annotations

import calendar

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard import formats, glossary
from dashboard.plot_text import plot_text, plot_texts

MONTHS = [calendar.month_abbr[m] for m in range(1, 13)]
ACCENT = "#0d6efd"
SECOND = "#fd7e14"
_AXIS = {"gridcolor": "#eceff3", "linecolor": "#dee2e6", "zerolinecolor": "#dee2e6", "automargin": True}
pio.templates["hitscope"] = go.layout.Template(
    layout={
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": [ACCENT, SECOND, "#198754", "#6f42c1", "#dc3545", "#20c997", "#6c757d"],
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "title": {"x": 0},
    }
)
pio.templates.default = "hitscope"
BASE_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13},
    "hoverlabel": {"font_size": 13},
}


def empty_figure(message: str) -> go.Figure:
    """A figure with no axes and a sentence saying why, instead of a blank chart."""
    figure = go.Figure()
    figure.update_layout(
        **BASE_LAYOUT,
        xaxis={"visible": False},
        yaxis={"visible": False},
        height=260,
        annotations=[
            {"text": message, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
             "font": {"size": 15, "color": "#6c757d"}}
        ],
    )  # fmt: skip
    return figure


def unavailable_figure() -> go.Figure:
    """The empty figure a chart shows while the database does not answer."""
    return empty_figure("Data temporarily unavailable.")


def artist_bars(frame: pd.DataFrame, *, value: str, label: str) -> go.Figure:
    """Horizontal bars, the first row of `frame` on top; one bar per artist, coloured by sign for growth."""
    if frame.empty:
        return empty_figure("No artist has this metric in the current publication.")
    values = frame[value].astype(float)
    colours = [ACCENT if v >= 0 else "#dc3545" for v in values]
    figure = go.Figure(
        go.Bar(
            x=values,
            y=plot_texts(frame["name"]),
            orientation="h",
            marker_color=colours,
            customdata=frame[["genre", "artist_id"]].assign(genre=plot_texts(frame["genre"])).to_numpy(),
            hovertemplate="<b>%{y}</b><br>%{customdata[0]}<br>" + label + ": %{x:.1f}<extra></extra>",
        )
    )
    figure.update_layout(
        **BASE_LAYOUT,
        height=max(300, 26 * len(frame) + 80),
        title={"text": label, "x": 0, "font": {"size": 15}},
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"title": None, "zeroline": True},
    )
    return figure


def seasonality_bars(frame: pd.DataFrame) -> go.Figure:
    """Hit rate (bars) and mean popularity (line, right axis) by release month, over all genres in `frame`."""
    if frame.empty:
        return empty_figure("No release with a known month in this selection.")
    by_month = month_totals(frame)
    figure = go.Figure()
    figure.add_bar(
        x=MONTHS,
        y=by_month["hit_rate"] * 100,
        name="Hit rate (%)",
        marker_color=ACCENT,
        customdata=by_month[["n_hits", "n_tracks"]].to_numpy(),
        text=[f"n={n:,}" for n in by_month["n_tracks"]],
        textposition="outside",
        cliponaxis=False,
        textfont={"size": 10, "color": "#6c757d"},
        hovertemplate="%{x}: %{y:.1f}% hits (%{customdata[0]:,} of %{customdata[1]:,} tracks)<extra></extra>",
    )
    figure.add_scatter(
        x=MONTHS,
        y=by_month["mean_popularity"],
        name="Mean peak popularity",
        yaxis="y2",
        mode="lines+markers",
        line={"color": SECOND, "width": 2},
        hovertemplate="%{x}: mean popularity %{y:.1f}<extra></extra>",
    )
    figure.update_layout(
        **BASE_LAYOUT,
        height=360,
        title={"text": "Hit rate and mean popularity by release month", "x": 0, "font": {"size": 15}},
        yaxis={"title": "Hit rate (%)", "rangemode": "tozero"},
        yaxis2={
            "title": "Mean popularity",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "tickformat": ".0f",
            "rangemode": "tozero",
        },
        legend={"orientation": "h", "y": -0.15},
    )
    return figure


def month_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum genre rows into one row per month 1..12 (months with no release get zeros and NaN rates)."""
    weighted = frame.assign(pop_x_n=frame["mean_popularity"].astype(float) * frame["n_tracks"])
    totals = weighted.groupby("release_month")[["n_tracks", "n_hits", "pop_x_n"]].sum()
    totals = totals.reindex(range(1, 13), fill_value=0)
    n_tracks = totals["n_tracks"].astype(float).where(totals["n_tracks"] > 0)
    return pd.DataFrame(
        {
            "release_month": totals.index,
            "n_tracks": totals["n_tracks"].astype(int),
            "n_hits": totals["n_hits"].astype(int),
            "hit_rate": totals["n_hits"] / n_tracks,
            "mean_popularity": totals["pop_x_n"] / n_tracks,
        }
    ).reset_index(drop=True)


HEATMAP_VALUES = {  # column -> (title, colour bar, hover format, scale)
    "hit_rate": ("Hit rate by genre and release month", "Hit %", "%{z:.1f}% hits", 100.0),
    "mean_popularity": (
        "Mean peak popularity by genre and release month",
        "Popularity",
        "popularity %{z:.1f}",
        1.0,
    ),
}


def seasonality_heatmap(frame: pd.DataFrame, value: str = "hit_rate", *, genre: str | None = None) -> go.Figure:
    """Hit rate (%) or mean popularity per genre x release month; with `genre`, the frame's rows are that genre's
    release years (its `genre` column holds the year). Every cell says its n (faint text and on hover)."""
    if frame.empty:
        return empty_figure("No release with a known month in this selection.")
    title, bar_title, hover, scale = HEATMAP_VALUES[value]
    if genre:
        title = title.replace("by genre and", "by year and") + f" · {formats.genre(genre)}"
    # one row per (genre, month) already: unstack is ~10x cheaper than pivot_table here
    cells = frame.set_index(["genre", "release_month"])
    grid = cells[value].astype(float).unstack().reindex(columns=range(1, 13)).sort_index()
    counts = cells["n_tracks"].astype(float).unstack()
    counts = counts.reindex(index=grid.index, columns=range(1, 13)).fillna(0)
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(dtype=float) * scale,
            x=MONTHS,
            y=plot_texts([str(row) if genre else formats.genre(row) for row in grid.index]),
            colorscale="Blues",
            colorbar={"title": {"text": bar_title}},
            customdata=counts.to_numpy(),
            text=[[f"{n:,.0f}" if n else "" for n in row] for row in counts.to_numpy()],
            texttemplate="%{text}",
            textfont={"size": 9},  # plotly picks a colour that reads on each cell
            hovertemplate="%{y}, %{x}: " + hover + " (n = %{customdata:,.0f} tracks)<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    figure.update_layout(
        **BASE_LAYOUT,
        height=max(260, 34 * len(grid) + 100),
        title={"text": title, "x": 0, "font": {"size": 15}},
        xaxis={"showgrid": False, "ticks": ""},
        yaxis={"automargin": True, "showgrid": False, "ticks": ""},
    )
    return figure


def _title(text: str, x: float, y: float) -> dict[str, object]:
    return {"text": text, "x": x, "y": y, "xref": "paper", "yref": "paper", "showarrow": False,
            "xanchor": "center", "yanchor": "bottom", "font": {"size": 14}}  # fmt: skip


def first_crossing(part: pd.DataFrame, threshold: float, *, lower_wins: bool) -> pd.Series | None:
    """The first observation at or past the hit threshold (at or below it for chart positions), or None."""
    values = part["value"].astype(float)
    crossed = part[values <= threshold] if lower_wins else part[values >= threshold]
    return None if crossed.empty else crossed.iloc[0]


def history_lines(frame: pd.DataFrame, *, title: str, hit: tuple[str, float] | None = None) -> go.Figure:
    """One panel per metric on a shared date axis, one line per source; chart positions read top-down.

    With `hit=(metric, threshold)` the metric's panel shows the hit threshold as a dashed line and marks the day
    the entity first reached it. Panels are laid out by hand (axis domains), not make_subplots (~10 ms a figure).
    """
    if frame.empty:
        return empty_figure("No observation of this entity yet.")
    metrics = list(dict.fromkeys(frame["metric"]))
    n, gap = len(metrics), 0.1
    height = (1 - gap * (n - 1)) / n
    figure = go.Figure()
    layout: dict[str, object] = {"xaxis": {"anchor": f"y{n}" if n > 1 else "y"}}
    annotations = []
    for row, metric in enumerate(metrics, start=1):
        axis = "y" if row == 1 else f"y{row}"
        top = 1 - (row - 1) * (height + gap)
        layout["yaxis" if row == 1 else f"yaxis{row}"] = {
            "domain": [max(0.0, top - height), top],
            "autorange": "reversed" if metric == "chart_position" else True,
        }
        annotations.append(_title(plot_text(glossary.label(metric)), 0.5, top))
        if hit and metric == hit[0]:
            _threshold(figure, frame[frame["metric"] == metric], axis, hit[1], lower_wins=metric in RANK)
        for source, part in frame[frame["metric"] == metric].groupby("source", sort=True):
            figure.add_scatter(
                x=part["observed_on"],
                y=part["value"].astype(float),
                yaxis=axis,
                mode="lines",
                name=plot_text(f"{metric} ({source})"),
                line={"width": 2},
                showlegend=False,
                hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f}<extra>" + plot_text(str(source)) + "</extra>",
            )
    figure.update_layout(
        **{**BASE_LAYOUT, "margin": {"l": 10, "r": 10, "t": 70, "b": 10}},
        **layout,
        annotations=annotations,
        height=max(260, 190 * n + 80),
        title={"text": plot_text(title), "x": 0, "y": 0.99, "yanchor": "top", "font": {"size": 15}},
    )
    return figure


RANK = {"chart_position"}


def _threshold(figure: go.Figure, part: pd.DataFrame, axis: str, threshold: float, *, lower_wins: bool) -> None:
    """The hit threshold as a dashed line across the panel, and a star on the first day at or past it."""
    dates = part["observed_on"]
    figure.add_scatter(
        x=[dates.min(), dates.max()], y=[threshold, threshold], yaxis=axis, mode="lines+text",
        text=["", f"hit threshold {threshold:g}"], textposition="bottom left",
        textfont={"size": 11, "color": "#dc3545"},
        line={"dash": "dash", "color": "#dc3545", "width": 1.5}, showlegend=False,
        name=f"hit threshold {threshold:g}", hovertemplate=f"hit threshold {threshold:g}<extra></extra>",
    )  # fmt: skip
    crossed = first_crossing(part.sort_values("observed_on"), threshold, lower_wins=lower_wins)
    if crossed is not None:
        figure.add_scatter(
            x=[crossed["observed_on"]], y=[float(crossed["value"])], yaxis=axis, mode="markers+text",
            marker={"symbol": "star", "size": 14, "color": "#dc3545"}, text=["became a hit"],
            textposition="top center", showlegend=False, name="became a hit",
            hovertemplate="%{x|%Y-%m-%d}: became a hit (%{y:,.0f})<extra></extra>",
        )  # fmt: skip
