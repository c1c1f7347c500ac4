"""Pure frame -> figure functions, with hand-written tiny inputs (no database)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard.figures import artist_bars, month_totals, seasonality_heatmap
from dashboard.model_figures import contribution_steps, contributions_waterfall


def test_contribution_steps_keep_the_largest_and_sum_the_rest() -> None:
    contributions = {"bias": -2.0, **{f"f{i}": (-1) ** i * i / 10 for i in range(1, 13)}}
    steps = contribution_steps(contributions, top=10)
    assert steps["feature"].iloc[0] == "base rate (bias)"
    assert list(steps["feature"].iloc[1:3]) == ["f12", "f11"]  # largest |value| first
    assert steps["feature"].iloc[-1] == "2 other features"
    assert steps["contribution"].sum() == pytest.approx(sum(contributions.values()))


def test_waterfall_total_is_the_log_odds_of_the_probability() -> None:
    probability = 0.8
    contributions = {"bias": -1.0, "a": 1.5, "b": math.log(4) - 0.5}
    figure = contributions_waterfall(contributions, probability)
    assert sum(figure.data[0].x) == pytest.approx(math.log(probability / (1 - probability)))
    assert figure.data[0].measure[-1] == "total" and "80.0%" in figure.layout.title.text
    assert contributions_waterfall({}, 0.5).layout.annotations[0].text  # no contributions: says so


def test_month_totals_weight_popularity_by_tracks_and_fill_empty_months() -> None:
    frame = pd.DataFrame(
        {"genre": ["pop", "rock", "pop"], "release_month": [3, 3, 7], "n_tracks": [10, 30, 5],
         "n_hits": [2, 3, 0], "mean_popularity": [60.0, 40.0, 50.0]}
    )  # fmt: skip
    totals = month_totals(frame).set_index("release_month")
    assert len(totals) == 12 and totals.loc[1, "n_tracks"] == 0 and math.isnan(totals.loc[1, "hit_rate"])
    assert totals.loc[3, "hit_rate"] == pytest.approx(5 / 40)
    assert totals.loc[3, "mean_popularity"] == pytest.approx((60 * 10 + 40 * 30) / 40)
    heatmap = seasonality_heatmap(frame.assign(hit_rate=frame["n_hits"] / frame["n_tracks"]))
    assert list(heatmap.data[0].y) == ["Pop", "Rock"] and heatmap.data[0].z[0][2] == pytest.approx(20.0)


def test_artist_bars_colour_decliners_red_and_explain_an_empty_frame() -> None:
    frame = pd.DataFrame({"artist_id": ["a", "b"], "name": ["A", "B"], "genre": ["pop", "pop"], "g": [3.0, -2.0]})
    figure = artist_bars(frame, value="g", label="growth")
    assert list(figure.data[0].marker.color) == ["#0d6efd", "#dc3545"]
    assert artist_bars(frame.iloc[0:0], value="g", label="growth").layout.annotations
