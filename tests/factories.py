"""Small builders for test scenarios: a tiny demo market and a run config, plus table snapshots to compare."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, text

from jobs.pipeline import RunConfig
from jobs.sources.demo import DemoSource

DAY = date(2026, 6, 30)
DATA_TABLES = [
    "genres", "artists", "artist_genres", "tracks", "track_artists", "track_audio_features", "raw_observations",
]  # fmt: skip
PUBLISHED_TABLES = ["agg_artist_leaderboard", "agg_seasonality", "agg_seasonality_excluded"]


def tiny_source(n_artists: int = 60, seed: int = 7) -> DemoSource:
    return DemoSource(seed=seed, n_artists=n_artists, start=date(2024, 1, 1))


def config() -> RunConfig:
    return RunConfig(hit_threshold=60.0, keep_publications=3)


def table_digest(engine: Engine, table: str, exclude: tuple[str, ...] = ()) -> tuple[int, str]:
    """(row count, md5 of the sorted rows) of a table, ignoring the `exclude` columns."""
    with engine.connect() as conn:
        columns = [
            c for (c,) in conn.execute(
                text("SELECT column_name FROM information_schema.columns WHERE table_name = :t ORDER BY 1"),
                {"t": table},
            ) if c not in exclude
        ]  # fmt: skip
        row = ", ".join(columns)
        return tuple(  # type: ignore[return-value]
            conn.execute(
                text(f"SELECT count(*), md5(coalesce(string_agg(r, '|' ORDER BY r), '')) FROM"
                     f" (SELECT CAST(({row}) AS text) AS r FROM {table}) s")
            ).one()
        )  # fmt: skip
