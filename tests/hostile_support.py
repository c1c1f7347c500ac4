"""A seeded database for the hostile-input tests: the demo market with HTML/JS in an artist's and a track's name.

The names go in through the real pipeline (a source whose batch carries them), so every published table that
copies names (leaderboard, scores, releases) has them too, as a real catalogue with such names would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, text

from jobs.lock import exclusive_run
from jobs.pipeline import RunConfig, backfill
from jobs.sources.base import DailySource, SourceBatch
from jobs.sources.demo import DemoSource

XSS_ARTIST = '<script>alert("artist")</script>Evil Artist'
XSS_TRACK = '<img src=x onerror=alert("track")>Evil Track'
SNAPSHOT = date(2025, 6, 30)
INJECTIONS = [
    "'; DROP TABLE artists; --",
    "pop' OR '1'='1",
    'pop"; SELECT pg_sleep(10); --',
    "1; DELETE FROM publications",
    "%' UNION SELECT name, name FROM artists --",
    "\\x00\x00nul",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "pop" * 500,
]


@dataclass
class HostileNames(DailySource):
    """The demo source, with the first artist and the first track renamed to HTML/JS payloads."""

    inner: DemoSource
    name: str = "demo"
    is_demo: bool = True

    def extract(self, snapshot_date: date) -> SourceBatch:
        batch = self.inner.extract(snapshot_date)
        if not batch.artists.empty:
            batch.artists.loc[batch.artists.index[0], "name"] = XSS_ARTIST
        if not batch.tracks.empty:
            batch.tracks.loc[batch.tracks.index[0], "name"] = XSS_TRACK
        return batch


def seed_hostile(engine: Engine, *, days: int = 10) -> dict[str, str]:
    """Backfill `days` of a 60-artist demo market with hostile names; return the renamed ids."""
    with exclusive_run(engine):
        backfill(
            engine, HostileNames(DemoSource(n_artists=60)), end_date=SNAPSHOT, days=days, trigger="cli",
            requested_by="tests", config=RunConfig(),
        )  # fmt: skip
    with engine.connect() as conn:
        artist_id = conn.execute(text("SELECT artist_id FROM artists WHERE name = :n"), {"n": XSS_ARTIST}).scalar_one()
        track_id = conn.execute(text("SELECT track_id FROM tracks WHERE name = :n"), {"n": XSS_TRACK}).scalar_one()
    return {"artist_id": artist_id, "track_id": track_id}


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows of the tables an injection would hit first."""
    with engine.connect() as conn:
        return {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608 (fixed names)
            for table in ("artists", "tracks", "publications", "agg_artist_leaderboard", "refresh_requests")
        }
