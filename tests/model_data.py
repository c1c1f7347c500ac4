"""Small frames for model tests: hand-made observation rows and a tiny slice of the demo market."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from jobs.sources.demo import DemoSource
from model.frames import ModelFrames


def obs(entity_id: str, metric: str, day: str, value: float, entity_type: str = "track") -> dict[str, object]:
    return {
        "entity_type": entity_type, "entity_id": entity_id, "metric": metric,
        "observed_on": pd.Timestamp(day), "source": "test", "value": value,
    }  # fmt: skip


def tracks(*rows: tuple[str, str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(track_id, artist_id, release_date) rows -> tracks and track_artists frames."""
    frame = pd.DataFrame(rows, columns=["track_id", "artist_id", "release_date"])
    catalogue = frame.assign(name=frame["track_id"], release_date_precision="day", genre="pop",
                             duration_ms=200_000, explicit=False)  # fmt: skip
    links = frame[["track_id", "artist_id"]].assign(position=0)
    return catalogue.drop(columns="artist_id"), links


def demo_frames(n_artists: int = 150, days: int = 150, end: date = date(2025, 6, 30)) -> ModelFrames:
    source = DemoSource(seed=7, n_artists=n_artists, start=date(2023, 1, 1))
    batches = list(source.extract_range(end - timedelta(days=days - 1), end))
    catalogue = batches[0]
    observations = pd.concat([b.observations for b in batches], ignore_index=True)
    return ModelFrames(
        observations, catalogue.tracks, catalogue.track_artists, catalogue.artists, catalogue.audio_features
    )
