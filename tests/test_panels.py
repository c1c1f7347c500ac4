"""The daily panels' as-of lookups against their definitions, on random panels with gaps, days asked in any order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.panels import panel_of

N_ENTITIES, N_DAYS = 40, 30


def random_panel(seed: int):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 100, size=(N_ENTITIES, N_DAYS)).astype(float)
    values[rng.random(values.shape) < 0.4] = np.nan  # gaps: days an entity was not observed
    values[0] = np.nan  # one entity never observed in the window
    return panel_of(pd.Index([f"t{i}" for i in range(N_ENTITIES)]), pd.Timestamp("2027-06-01"), values)


def best_by_definition(values: np.ndarray, day: int, lower_wins: bool) -> np.ndarray:
    """The best observed value on or before `day`, entity by entity (NaN: none observed)."""
    out = np.full(len(values), np.nan)
    for i, row in enumerate(values[:, : min(day, values.shape[1] - 1) + 1]):
        seen = row[~np.isnan(row)]
        if len(seen):
            out[i] = seen.min() if lower_wins else seen.max()
    return out


@pytest.mark.parametrize("metric", ["spotify_popularity", "chart_position"])
def test_best_to_date_is_the_best_observed_so_far_whatever_order_the_days_are_asked_in(metric: str) -> None:
    panel = random_panel(1)
    lower_wins = metric == "chart_position"
    # ascending (as a training loop asks), repeated, then back to an earlier day, then past the window's end
    for day in [0, 3, 3, 10, 29, 5, 17, 40, 2]:
        expected = best_by_definition(panel.values, day, lower_wins)
        np.testing.assert_array_equal(panel.best_to_date(day, metric), expected, err_msg=f"day {day}")
    assert np.isnan(panel.best_to_date(-1, metric)).all()


def test_days_seen_counts_the_observed_days_of_the_window_ending_on_the_day() -> None:
    panel = random_panel(2)
    for day, window in [(0, 28), (5, 28), (27, 28), (29, 28), (29, 7), (12, 1), (45, 28)]:
        last = min(day, N_DAYS - 1)
        first = max(last - window + 1, 0)
        expected = (~np.isnan(panel.values[:, first : last + 1])).sum(axis=1).astype(float)
        np.testing.assert_array_equal(panel.days_seen(day, window), expected, err_msg=f"day {day}, window {window}")


def test_the_lookups_keep_no_second_entity_by_day_array() -> None:
    """An (entity x day) array is the panel's size again (63 MB in the bench's 1M world): a column, never a panel."""
    panel = random_panel(3)
    for day in range(N_DAYS):
        panel.best_to_date(day, "spotify_popularity")
        panel.days_seen(day, 28)
    kept = [value for name, value in vars(panel).items() if name != "values"]
    parts = [part for value in kept for part in (value if isinstance(value, tuple) else (value,))]
    arrays = [part for part in parts if isinstance(part, np.ndarray)]
    assert all(a.ndim == 1 for a in arrays), [a.shape for a in arrays]


def as_of_by_definition(values: np.ndarray, day: int, staleness: int) -> np.ndarray:
    """The value of the latest observed day on or before `day` and at most `staleness` days before it."""
    out = np.full(len(values), np.nan)
    last = min(day, values.shape[1] - 1)
    for i, row in enumerate(values):
        for seen_on in range(last, max(last - staleness, 0) - 1, -1):
            if seen_on >= 0 and not np.isnan(row[seen_on]):
                out[i] = row[seen_on]
                break
    return out


def test_as_of_is_the_latest_value_the_staleness_allows() -> None:
    panel = random_panel(4)
    for day, staleness in [(0, 7), (3, 0), (10, 7), (29, 7), (29, 2), (35, 7), (40, 7), (12, 100), (-1, 7)]:
        expected = as_of_by_definition(panel.values, day, staleness) if day >= 0 else np.full(N_ENTITIES, np.nan)
        np.testing.assert_array_equal(panel.as_of(day, staleness), expected, err_msg=f"day {day}, stale {staleness}")


@pytest.mark.parametrize(("scale", "stored"), [(1.0, np.float32), (2.0**24 + 1, np.float64), (0.1, np.float64)])
def test_values_are_stored_narrow_only_when_that_is_exact(scale: float, stored: type) -> None:
    """Popularity-like integers fit float32 exactly; counts past 2**24 and decimals do not. Either way the lookups
    give the float64 panel's values, as float64."""
    wide = random_panel(5).values.astype(np.float64) * scale
    panel = panel_of(pd.Index([f"t{i}" for i in range(N_ENTITIES)]), pd.Timestamp("2027-06-01"), wide.copy())
    assert panel.values.dtype == stored
    for day in (0, 9, 29):
        got = [panel.as_of(day, 7), panel.best_to_date(day, "spotify_popularity"), panel.days_seen(day, 28)]
        expected = [as_of_by_definition(wide, day, 7), best_by_definition(wide, day, False)]
        for value, want in zip(got, expected, strict=False):
            assert value.dtype == np.float64
            np.testing.assert_array_equal(value, want)
