"""The one table of sane bounds for every value and date a dataset layout produces, and the check that applies it.

`check_row(parsed, today)` runs on every parsed row of every layout (the generic `snapshots` layout and column
mappings included: `jobs.sources.dataset` calls it after each layout's parser), so no layout keeps its own copy
of a range. A value or date outside its bounds raises `RowError`: the row is reported with its file and line
and the good rows load. Metrics not in the table take the bounds of their name's suffix (`*_popularity`,
`*_position`, `*_rank`), else those of a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from jobs.sources.layouts.common import ParsedRow, RowError


@dataclass(frozen=True)
class Bounds:
    low: float
    high: float

    def check(self, name: str, value: Any) -> None:
        if value is not None and not self.low <= value <= self.high:
            raise RowError(f"{name} out of bounds [{self.low:,g}, {self.high:,g}]: {value:,g}")


COUNT = Bounds(0, 1e12)  # streams, followers, listeners, playcounts: never negative, never a trillion
POPULARITY = Bounds(0, 100)
POSITION = Bounds(1, 10_000)
METRIC_BOUNDS: dict[str, Bounds] = {
    "spotify_popularity": POPULARITY,
    "chart_position": POSITION,
    "chart_streams": Bounds(0, 1e11),
    "spotify_followers": Bounds(0, 1e10),
    "lastfm_listeners": Bounds(0, 1e10),
    "lastfm_playcount": COUNT,
}
SUFFIX_BOUNDS: dict[str, Bounds] = {"_popularity": POPULARITY, "_position": POSITION, "_rank": POSITION}
TRACK_BOUNDS: dict[str, Bounds] = {"duration_ms": Bounds(1_000, 6 * 3600 * 1000)}  # a second to six hours
AUDIO_BOUNDS: dict[str, Bounds] = {
    **{name: Bounds(0, 1) for name in (
        "danceability", "energy", "speechiness", "acousticness", "instrumentalness", "liveness", "valence",
    )},
    "loudness": Bounds(-100, 10),
    "tempo": Bounds(0, 400),
    "key": Bounds(-1, 11),
    "mode": Bounds(0, 1),
    "time_signature": Bounds(0, 12),
}  # fmt: skip
FIRST_DAY = date(1900, 1, 1)


def metric_bounds(metric: str) -> Bounds:
    """The bounds of a metric: its own entry, else its suffix's, else a count's."""
    if metric in METRIC_BOUNDS:
        return METRIC_BOUNDS[metric]
    return next((b for suffix, b in SUFFIX_BOUNDS.items() if metric.endswith(suffix)), COUNT)


def last_day(today: date) -> date:
    """The newest date any row may carry: tomorrow (a feed in a time zone ahead of ours)."""
    return today + timedelta(days=1)


def check_day(name: str, value: date | None, today: date) -> None:
    if value is not None and not FIRST_DAY <= value <= last_day(today):
        raise RowError(f"{name} out of bounds [{FIRST_DAY}, {last_day(today)}]: {value}")


def check_row(parsed: ParsedRow, today: date) -> None:
    """Raise `RowError` for the first value or date of `parsed` outside its bounds."""
    for observation in parsed.observations:
        check_day("observed_on", observation["observed_on"], today)
        metric_bounds(observation["metric"]).check(observation["metric"], observation["value"])
    for track in parsed.tracks:
        check_day("release_date", track["release_date"], today)
        for name, bounds in TRACK_BOUNDS.items():
            bounds.check(name, track.get(name))
    for features in parsed.audio_features:
        for name, bounds in AUDIO_BOUNDS.items():
            bounds.check(name, features.get(name))
