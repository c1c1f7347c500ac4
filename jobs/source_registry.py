"""Build a source by name from settings: the one place that knows which sources exist.

The Spotify and Last.fm sources get the database only as a read-only `SourceState` (`StoredState`): they
return records and the pipeline stores them (`jobs/extract.py`).
"""

from __future__ import annotations

from core.settings import Settings
from jobs.sources.base import Source

SOURCE_NAMES = ("demo", "dataset", "spotify", "lastfm")


def build_source(name: str, settings: Settings) -> Source:
    if name == "demo":
        from jobs.sources.demo import DemoSource

        return DemoSource(seed=settings.DEMO_SEED, n_artists=settings.DEMO_ARTISTS, start=settings.DEMO_START)
    if name == "dataset":
        from jobs.sources.dataset import DatasetSource

        return DatasetSource()
    if name in ("spotify", "lastfm"):
        from core.db import engine_from_settings
        from jobs.sources_store import StoredState

        state = StoredState(engine_from_settings(settings))
        if name == "spotify":
            from jobs.sources.spotify_source import build_spotify_source

            return build_spotify_source(state, settings)
        from jobs.sources.lastfm import build_lastfm_source

        return build_lastfm_source(state, settings)
    raise ValueError(f"unknown source {name!r}; expected one of: {', '.join(SOURCE_NAMES)}")
