"""The one hit definition (core/hit_definition.py) and the places that show or apply its direction.

python -m pytest tests/test_hit_definition.py -q
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.hit_definition import HitDefinition
from dashboard.formats import hit_sentence
from jobs.discover_sound import is_hit as discover_is_hit
from model.frames import is_hit as frames_is_hit

CHART = HitDefinition("chart_position", 10, 28)
POPULARITY = HitDefinition("spotify_popularity", 70, 28)


def test_lower_wins_for_chart_position_and_higher_wins_for_popularity() -> None:
    values = np.array([1.0, 10.0, 11.0, 70.0, 71.0, np.nan])
    assert CHART.is_hit(values).tolist() == [True, True, False, False, False, False]
    assert POPULARITY.is_hit(values).tolist() == [False, False, False, True, True, False]
    assert (CHART.direction, CHART.sign, CHART.best) == ("lower wins", "≤", "min")
    assert (POPULARITY.direction, POPULARITY.sign, POPULARITY.best) == ("higher wins", "≥", "max")
    assert CHART.rule() == "chart_position <= 10" and POPULARITY.rule() == "spotify_popularity >= 70"


def test_every_consumer_applies_the_same_direction() -> None:
    values = pd.Series([3.0, 50.0, 90.0, np.nan])
    for hit in (CHART, POPULARITY):
        expected = hit.is_hit(values).tolist()
        assert frames_is_hit(values, hit.metric, hit.threshold).tolist() == expected
        assert discover_is_hit(values, hit.metric, hit.threshold).tolist() == expected


def test_round_trips_through_json_and_refuses_an_incomplete_one() -> None:
    assert HitDefinition.from_json(CHART.to_json()) == CHART
    label = {**POPULARITY.to_json(), "mode": "history", "step_days": 7}  # a model version's label
    assert HitDefinition.from_json(label) == POPULARITY
    with pytest.raises(ValueError, match="not a hit definition"):
        HitDefinition.from_json({"metric": "chart_position", "threshold": 10})
    with pytest.raises(ValueError, match="at least 1 day"):
        HitDefinition("chart_position", 10, 0)


def test_the_model_page_shows_the_sign_of_the_direction() -> None:
    chart = hit_sentence({**CHART.to_json(), "mode": "history"})
    assert "chart_position ≤ 10 within 28 days" in chart and "≥" not in chart
    assert "spotify_popularity ≥ 70" in hit_sentence(POPULARITY.to_json())
    assert "does not record" in hit_sentence({"metric": "chart_position"})
