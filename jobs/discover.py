"""The discover stage of a run: segments, drivers, underperformers, collaboration ideas, micro-genres, the map,
similar tracks, genre evolution and popularity regression, computed in the worker and published by extra
publish builders, so they land in the same atomic publication as every other table (see `jobs.publish`).

Runs inside every refresh, backfill and import (`jobs.pipeline.run_stages`). The web tier only reads the
agg_* tables it writes; it never loads a model. What a source lacks is recorded in the summary's `missing` list,
which the Discover page shows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection
from threadpoolctl import threadpool_limits

from core.settings import Settings
from jobs.aggregate import AggregateParams, Builder
from jobs.discover_extract import (
    read_artists,
    read_credits,
    read_similar,
    read_similar_base,
    read_similar_bases,
    read_similar_sources,
    read_tracks,
    read_watched_artists,
)  # fmt: skip
from jobs.discover_segments import SegmentResult, discover_segments
from jobs.discover_sound import SoundResult, discover_sound
from jobs.load import copy_frame
from jobs.memory import release_free_memory

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiscoverConfig:
    hops: int = 2
    per_hop: int = 20
    seeds: int = 30
    k_min: int = 4
    k_max: int = 12
    neighbours: int = 10
    seed: int = 42

    @classmethod
    def from_settings(cls, settings: Settings) -> DiscoverConfig:
        return cls(
            hops=settings.DISCOVER_HOPS, per_hop=settings.DISCOVER_PER_HOP, seeds=settings.DISCOVER_SEEDS,
            k_min=settings.DISCOVER_K_MIN, k_max=max(settings.DISCOVER_K_MIN, settings.DISCOVER_K_MAX),
            neighbours=settings.DISCOVER_NEIGHBOURS, seed=settings.MODEL_SEED,
        )  # fmt: skip


@dataclass
class Discovered:
    sound: SoundResult
    segments: SegmentResult
    summary: dict[str, Any] = field(default_factory=dict)


def run_discover(
    *, conn: Connection, snapshot_date: date, hit_metric: str, hit_threshold: float, config: DiscoverConfig
) -> Discovered:
    """Read, then compute with one thread (BLAS/OpenMP too): the worker shares its machine with the web tier.
    Each half reads what only it needs just before it: the credits (890k rows at 1M tracks) are not held
    through the sound side, where the stage's memory peaks."""
    tracks = read_tracks(conn=conn, day=snapshot_date, hit_metric=hit_metric)
    reusable = read_similar_sources(conn=conn)
    release_free_memory()  # what the reads freed (jobs.memory): the sound side's arrays start from what is live
    with threadpool_limits(limits=1):
        sound = discover_sound(
            tracks, hit_metric=hit_metric, hit_threshold=hit_threshold, k_range=(config.k_min, config.k_max),
            neighbours=config.neighbours, seed=config.seed, reusable=reusable,
            base=lambda: read_similar_base(conn=conn, k=config.neighbours),
        )  # fmt: skip
        release_free_memory()
        artists = read_artists(conn=conn, day=snapshot_date)
        credits, bases = read_credits(conn=conn), read_similar_bases(conn=conn, day=snapshot_date)
        watched = read_watched_artists(conn=conn)
        segments = discover_segments(
            tracks, credits, artists, bases, lambda wanted: read_similar(conn=conn, day=snapshot_date, artists=wanted),
            watched, hops=config.hops, per_hop=config.per_hop, n_seeds=config.seeds, seed=config.seed,
        )  # fmt: skip
    summary = {
        **sound.summary, "segments": segments.summary, "missing": [*sound.missing, *segments.missing],
        "hops": config.hops, "per_hop": config.per_hop, "n_tracks": len(tracks),
    }  # fmt: skip
    return Discovered(sound, segments, summary)


TABLES: dict[str, tuple[str, list[str]]] = {  # table -> (frame, columns)
    "agg_segments": ("segments", ["seed_artist_id", "artist_id", "name", "hop", "closeness", "popularity", "basis"]),
    "agg_segment_drivers": ("drivers", ["seed_artist_id", "feature", "importance", "curve", "n_tracks"]),
    "agg_underperformers": (
        "underperformers",
        ["seed_artist_id", "track_id", "name", "popularity", "expected", "gap", "rank"],
    ),  # fmt: skip
    "agg_collab_ideas": (
        "ideas",
        [
            "seed_artist_id",
            "artist_id",
            "name",
            "via_artist_id",
            "via_name",
            "closeness",
            "popularity",
            "score",
            "rank",
        ],
    ),  # fmt: skip
    "agg_micro_genres": (
        "micro",
        ["cluster", "label", "description", "top_genres", "n_tracks", "n_hits", "hit_rate", "n_outliers"],
    ),  # fmt: skip
    "agg_discover_tracks": ("tracks", []),
    "agg_genre_evolution": ("evolution", ["kind", "label", "release_year", "n_hits", "share"]),
}
JSON_COLUMNS = ("curve", "top_genres")
COPY_ROWS = 100_000  # rows per COPY of a discover table
INT_COLUMNS = ("hop", "rank", "cluster", "n_tracks", "n_hits", "n_outliers", "release_year", "micro_genre")


def _frames(discovered: Discovered) -> dict[str, pd.DataFrame]:
    sound, seg = discovered.sound, discovered.segments
    return {
        "segments": seg.segments, "drivers": seg.drivers, "underperformers": seg.underperformers,
        "ideas": seg.ideas, "micro": sound.micro, "tracks": sound.tracks, "evolution": sound.evolution,
    }  # fmt: skip


def discover_builders(discovered: Discovered) -> dict[str, Builder]:
    """Publish builders that COPY the discover frames into the publication being written (similar tracks,
    compact and sometimes reused, are written by `jobs.similar_tracks.publish_builders`, which wraps these)."""
    frames = _frames(discovered)

    def builder(table: str, name: str, columns: list[str]) -> Builder:
        def build(conn: Connection, params: AggregateParams) -> int:
            frame = frames[name]
            wanted = ["publication_id", *(columns or [c for c in frame.columns if c != "publication_id"])]
            # A COPY per COPY_ROWS rows: the converted copy and its CSV text of the 1M-track map (776k rows)
            # were ~400 MB at once.
            for start in range(0, len(frame), COPY_ROWS):
                chunk = frame.iloc[start : start + COPY_ROWS].copy()
                for column in JSON_COLUMNS:
                    if column in chunk:
                        chunk[column] = chunk[column].map(lambda value: json.dumps(value, default=float))
                for column in INT_COLUMNS:
                    if column in chunk:
                        chunk[column] = pd.to_numeric(chunk[column]).round().astype("Int64")
                chunk["publication_id"] = params.publication_id
                copy_frame(conn=conn, table=params.table(table), frame=chunk, columns=wanted)
            return len(frame)

        return build

    def build_summary(conn: Connection, params: AggregateParams) -> int:
        frame = pd.DataFrame(
            {"publication_id": [params.publication_id], "summary": [json.dumps(discovered.summary, default=str)]}
        )
        copy_frame(conn=conn, table="agg_discover_summary", frame=frame, columns=["publication_id", "summary"])
        return 1

    builders = {table: builder(table, name, columns) for table, (name, columns) in TABLES.items()}
    return {**builders, "agg_discover_summary": build_summary}
