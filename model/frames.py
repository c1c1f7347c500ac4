"""The inputs of the model side: catalogue and observation frames, in the normalised source shape.

`ModelFrames` is what `jobs.model_inputs` reads from PostgreSQL and what `python -m jobs evaluate` builds from a
real file; everything in `model/` takes it as an argument and never touches a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.hit_definition import LOWER_WINS_METRICS, HitDefinition

OBSERVATION_COLUMNS = ["entity_type", "entity_id", "metric", "observed_on", "source", "value"]
TRACK_COLUMNS = [
    "track_id", "name", "release_date", "release_date_precision", "duration_ms", "explicit", "genre",
]  # fmt: skip
AUDIO_COLUMNS = [
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
    "instrumentalness", "liveness", "valence", "tempo", "time_signature",
]  # fmt: skip
# Metrics that count people or plays: their growth is a percentage; the others (0-100 scores) grow in points.
COUNT_METRICS = {"spotify_followers", "lastfm_listeners", "lastfm_playcount", "streams", "chart_streams"}
# Metrics where a smaller value is better (the one list lives with the hit definition).
RANK_METRICS = LOWER_WINS_METRICS


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})


@dataclass
class ModelFrames:
    """Observations, tracks, their artists (`position` 0 = main artist), artists and audio features."""

    observations: pd.DataFrame
    tracks: pd.DataFrame
    track_artists: pd.DataFrame = field(default_factory=lambda: _empty(["track_id", "artist_id", "position"]))
    artists: pd.DataFrame = field(default_factory=lambda: _empty(["artist_id", "name", "genre"]))
    audio_features: pd.DataFrame = field(default_factory=lambda: _empty(["track_id", *AUDIO_COLUMNS]))
    # Best value of a metric per track before the observations start (a window read from the database):
    # columns metric, track_id, best. Keeps "peak so far" the same whatever the window.
    prior_best: pd.DataFrame = field(default_factory=lambda: _empty(["metric", "track_id", "best"]))
    # The observations hold at most one row per entity/metric/day (read from one source of a table keyed by
    # it): `normalised` then need not average them, a groupby that cost 4 s a million rows.
    one_per_key: bool = False

    def normalised(self) -> ModelFrames:
        """Typed copies: dates as datetime64, values as float, one value per entity/metric/day."""
        obs = self.observations[OBSERVATION_COLUMNS].copy(deep=False)
        obs["observed_on"] = pd.to_datetime(obs["observed_on"])
        obs["value"] = pd.to_numeric(obs["value"], errors="coerce")
        key = ["entity_type", "entity_id", "metric", "observed_on"]
        obs = obs.dropna(subset=["value"])
        if not self.one_per_key:
            obs = obs.groupby(key, as_index=False, sort=False, observed=True)["value"].mean()
        tracks = self.tracks.copy(deep=False)  # copy-on-write: what is changed below is copied, nothing else
        for column in TRACK_COLUMNS:
            if column not in tracks:
                tracks[column] = None
        tracks["release_date"] = pd.to_datetime(tracks["release_date"], errors="coerce")
        tracks = tracks.drop_duplicates("track_id", keep="last").reset_index(drop=True)
        return ModelFrames(
            obs, tracks, self.track_artists.copy(deep=False), self.artists.copy(deep=False),
            self.audio_features.copy(deep=False), self.prior_best.copy(deep=False), one_per_key=True,
        )  # fmt: skip


def is_hit(values: Any, metric: str, threshold: float) -> Any:
    """Hit test for an array or frame of metric values (NaN is never a hit); `HitDefinition.is_hit`."""
    return HitDefinition(metric, threshold).is_hit(values)
