"""Discover, the sound side: micro-genres, the 2-D map, outliers, similar tracks, popularity regression and genre
evolution, over the tracks that have audio features (genre evolution by genre needs none). Similar tracks are
reused, extended or rebuilt by `jobs.discover_similar`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.hit_definition import HitDefinition
from jobs.discover_extract import SimilarBase
from jobs.discover_similar import Similar, similar_tracks
from model.popularity import fit_popularity, genre_evolution
from model.sound import (
    SOUND_FEATURES,
    describe_clusters,
    in_space,
    map_2d,
    micro_genres,
    space_of,
)  # fmt: skip

logger = logging.getLogger(__name__)
MIN_AUDIO_TRACKS = 50
NO_AUDIO = "This source has no audio features: no micro-genres, map, similar tracks, playlists or regression."
TRACK_COLUMNS = [
    "track_id", "name", "artist_id", "artist_name", "genre", "release_year", "micro_genre", "energy",
    "danceability", "valence", "tempo", "popularity", "is_hit", "predicted_popularity", "pca_x", "pca_y",
    "is_outlier",
]  # fmt: skip


@dataclass
class SoundResult:
    tracks: pd.DataFrame
    micro: pd.DataFrame
    similar: Similar | None  # each track's neighbours (rows of `tracks`); None without audio
    evolution: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    # The publication whose similar tracks are this run's (same `neighbours_key`): `similar`'s lists are then
    # empty and the publish copies that publication's rows (jobs.similar_tracks); None: `similar` holds them.
    similar_from: int | None = None


def is_hit(popularity: pd.Series, hit_metric: str, threshold: float) -> pd.Series:
    return HitDefinition(hit_metric, threshold).is_hit(popularity) & popularity.notna()


def discover_sound(
    tracks: pd.DataFrame,
    *,
    hit_metric: str,
    hit_threshold: float,
    k_range: tuple[int, int],
    neighbours: int,
    seed: int = 0,
    reusable: Mapping[str, int] | None = None,
    base: Callable[[], SimilarBase | None] | None = None,
) -> SoundResult:
    """Everything on the sound side from the tracks of `read_tracks`. Similar tracks are computed unless
    `reusable` (neighbours key -> publication, from `read_similar_sources`) names a publication computed from
    identical inputs, whose rows are then reused (a daily run's audio features rarely change), or extended from
    `base()`'s graph (`read_similar_base`) when only new tracks came (`jobs.discover_similar`)."""
    tracks = tracks.assign(
        release_year=pd.to_datetime(tracks["release_date"]).dt.year.astype("Int64"),
        is_hit=is_hit(tracks["popularity"].astype(float), hit_metric, hit_threshold),
    )
    by_genre = genre_evolution(tracks, "genre").assign(kind="genre")
    audio = tracks[tracks["has_audio"]].reset_index(drop=True)
    if len(audio) < MIN_AUDIO_TRACKS:
        missing = [NO_AUDIO if audio.empty else f"Only {len(audio)} tracks have audio features: no micro-genres."]
        return SoundResult(pd.DataFrame(), pd.DataFrame(), None, by_genre, {"n_audio_tracks": len(audio)},
                           missing)  # fmt: skip
    raw = audio[SOUND_FEATURES].to_numpy(dtype=float)
    space = space_of(raw)
    z = in_space(raw, *space)  # `standardise(raw)`, its space kept for similar tracks
    found = micro_genres(z, k_range, seed=seed)
    coords = map_2d(z, seed=seed)
    del z  # (53 MB at 1M) not held through the regression: similar tracks measure in their graph's space, or
    # in today's again for a rebuild
    audio = audio.assign(micro_genre=found.labels, pca_x=coords[:, 0], pca_y=coords[:, 1], is_outlier=found.is_outlier)
    micro = describe_clusters(found.centroids, SOUND_FEATURES, found.labels, audio["genre"])
    stats = audio.groupby("micro_genre").agg(
        n_tracks=("track_id", "size"), n_hits=("is_hit", "sum"), n_known=("popularity", "count"),
        n_outliers=("is_outlier", "sum"),
    )  # fmt: skip
    micro = micro.join(stats, on="cluster")
    micro["hit_rate"] = micro["n_hits"] / micro["n_known"].where(micro["n_known"] > 0)
    labels = micro.set_index("cluster")["label"]
    by_micro = genre_evolution(audio.assign(micro_label=audio["micro_genre"].map(labels)), "micro_label")
    fit = fit_popularity(audio.assign(**_timing(audio)), [*SOUND_FEATURES, "release_month", "duration_min"], seed=seed)
    audio["predicted_popularity"] = fit.predictions if fit else np.nan
    similar = similar_tracks(audio["track_id"].to_numpy(), raw, neighbours, reusable=reusable, base=base,
                             space=space)  # fmt: skip
    summary = {
        "n_audio_tracks": len(audio), "k": found.k, "silhouette": round(found.silhouette, 4),
        "silhouettes": {str(k): round(v, 4) for k, v in found.silhouettes.items()}, "k_range": list(k_range),
        "regression": fit.metrics if fit else None,
        "similar": similar.summary,
    }  # fmt: skip
    missing = [] if fit else ["Too few dated tracks with a popularity for the popularity regression."]
    logger.info("micro-genres: k=%s silhouette %.3f over %d tracks", found.k, found.silhouette, len(audio))
    evolution = pd.concat([by_genre, by_micro.assign(kind="micro_genre")], ignore_index=True)
    return SoundResult(audio[TRACK_COLUMNS], micro, similar, evolution, summary, missing, similar.reused_from)


def _timing(tracks: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        "release_month": pd.to_datetime(tracks["release_date"]).dt.month.astype(float),
        "duration_min": pd.to_numeric(tracks["duration_ms"], errors="coerce") / 60000.0,
    }
