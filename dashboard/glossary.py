"""One glossary: every feature the model emits and every metric a source delivers, as a label and a unit.

    term("track_spotify_popularity_7d").phrase(27)   # 'Spotify popularity +27 points in 7 days'
    label("artist_prior_hit_rate")                   # "Artist's earlier hit rate"

Feature names follow model/features.py: `artist_<metric>`, `artist_<metric>_7d|28d`, `track_<metric>`,
`track_<metric>_7d`, `track_<metric>_best`, plus fixed names (release facts, prior success, audio). Count metrics
enter the model as log1p(count), so their value is shown back as a count.
tests/test_dashboard_scout.py::test_every_feature_the_model_emits_has_a_glossary_label builds real features and
fails when one has no entry here.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dashboard import formats

# metric -> (label, kind): "count" (people or plays; log1p in features, growth in %), "score" (0-100, growth in
# points), "rank" (chart place: smaller is better, momentum in places climbed)
METRICS: dict[str, tuple[str, str]] = {
    "spotify_popularity": ("Spotify popularity", "score"),
    "spotify_followers": ("Spotify followers", "count"),
    "lastfm_listeners": ("Last.fm listeners", "count"),
    "lastfm_playcount": ("Last.fm plays", "count"),
    "streams": ("Streams", "count"),
    "chart_streams": ("Chart streams", "count"),
    "chart_position": ("Chart position", "rank"),
}


@dataclass(frozen=True)
class Term:
    label: str  # unique across the glossary: charts use it as the feature's name
    unit: str
    show: Callable[[Any], str]  # the value as a person reads it, with its unit
    words: str = "{label} {value}"  # the reason's sentence

    def phrase(self, value: Any) -> str:
        """The value in a sentence ('Released 11 days ago'), or '<label>: unknown' when it is missing."""
        if formats.missing(value):
            return f"{self.label}: unknown"
        return self.words.format(label=self.label, value=self.show(value)).strip()


def _num(digits: int = 0, unit: str = "") -> Callable[[Any], str]:
    return lambda v: f"{float(v):,.{digits}f}{unit}"


def _from_log(v: Any) -> str:
    return formats.count(math.expm1(float(v)))


def _place(v: Any) -> str:
    return f"#{float(v):.0f}"


def _month(v: Any) -> str:
    return calendar.month_name[int(v)] if 1 <= int(v) <= 12 else "?"


def _minutes(v: Any) -> str:
    seconds = int(round(float(v) / 1000))
    return f"{seconds // 60}:{seconds % 60:02d}"


KEYS = ["C", "C♯", "D", "D♯", "E", "F", "F♯", "G", "G♯", "A", "A♯", "B"]
FIXED: dict[str, Term] = {
    "days_since_release": Term("Days since release", "days", _num(), "Released {value} days ago"),
    "release_month": Term("Release month", "month", _month, "Released in {value}"),
    "release_year": Term("Release year", "year", lambda v: f"{int(v)}", "Released in {value}"),
    "genre": Term("Genre", "", formats.genre, "{label}: {value}"),
    "duration_ms": Term("Length", "min:s", _minutes),
    "explicit": Term("Explicit", "yes/no", lambda v: "yes" if float(v) >= 0.5 else "no", "{label}: {value}"),
    "track_days_seen_28d": Term("Days observed in the last 28", "days", _num()),
    "artist_prior_releases": Term("Artist's earlier releases", "tracks", _num()),
    "artist_prior_hits": Term("Artist's earlier hits", "tracks", _num()),
    "artist_prior_hit_rate": Term("Artist's earlier hit rate", "%", formats.pct),
    "artist_prior_peak_mean": Term("Artist's earlier releases peaked at", "points", _num(0, " on average")),
    "danceability": Term("Danceability", "0-1", _num(2)),
    "energy": Term("Energy", "0-1", _num(2)),
    "key": Term("Key", "pitch class", lambda v: KEYS[int(v) % 12]),
    "loudness": Term("Loudness", "dB", _num(1, " dB")),
    "mode": Term("Mode", "major/minor", lambda v: "major" if float(v) >= 0.5 else "minor"),
    "speechiness": Term("Speechiness", "0-1", _num(2)),
    "acousticness": Term("Acousticness", "0-1", _num(2)),
    "instrumentalness": Term("Instrumentalness", "0-1", _num(2)),
    "liveness": Term("Liveness", "0-1", _num(2)),
    "valence": Term("Valence (mood)", "0-1", _num(2)),
    "tempo": Term("Tempo", "BPM", _num(0, " BPM")),
    "time_signature": Term("Time signature", "beats", lambda v: f"{int(v)}/4"),
}


def _metric_term(owner: str, metric: str, suffix: str) -> Term | None:
    if metric not in METRICS:
        return None
    name, kind = METRICS[metric]
    label = f"Artist's {name}" if owner == "artist" else name
    level = {"count": _from_log, "rank": _place, "score": _num()}[kind]
    unit = {"count": "count", "rank": "place", "score": "points"}[kind]
    if suffix == "":
        return Term(label, unit, level)
    if suffix == "best":
        return Term(f"{label}, best so far", unit, level, label + " best so far {value}")
    days = suffix.removesuffix("d")
    if kind == "count":
        show: Callable[[Any], str] = lambda v: f"{formats.signed(v, 1)}% in {days} days"  # noqa: E731
    elif kind == "rank":
        show = lambda v: f"{formats.signed(v, 0)} places in {days} days"  # noqa: E731
    else:
        show = lambda v: f"{formats.signed(v, 0 if abs(float(v)) >= 10 else 1)} points in {days} days"  # noqa: E731
    return Term(f"{label}, {days}-day change", {"count": "%", "rank": "places"}.get(kind, "points"), show,
                label + " {value}")  # fmt: skip


def term(feature: str) -> Term | None:
    """The entry of a feature (or a metric id), None when the glossary does not know it."""
    if feature in FIXED:
        return FIXED[feature]
    if feature in METRICS:
        return Term(METRICS[feature][0], METRICS[feature][1], _num())
    for owner in ("artist", "track"):
        if not feature.startswith(owner + "_"):
            continue
        rest = feature[len(owner) + 1 :]
        for suffix in ("_7d", "_28d", "_best", ""):
            if suffix and rest.endswith(suffix):
                found = _metric_term(owner, rest[: -len(suffix)], suffix[1:])
                if found:
                    return found
            elif not suffix:
                return _metric_term(owner, rest, "")
    return None


def label(feature: str) -> str:
    """The readable name of a feature or metric; an unknown one is shown as its id (the test keeps that rare)."""
    found = term(feature)
    return found.label if found else feature
