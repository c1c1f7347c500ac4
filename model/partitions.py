"""Split `ModelFrames` into partitions of artists whose features equal the whole market's, row for row.

    parts = artist_partitions(frames, 8)   # list of ModelFrames, one per partition (some may be empty)

Every feature of a track reads only the track's own rows and its main artist's (levels, growth, prior
success over the artist's earlier releases), so a partition holds a set of artists with their observations,
every track whose main artist they are (with its observations, links, audio features and prior best), and
nothing else. An artist goes to partition `crc32(artist_id) % n` (stable across processes, unlike `hash`); a
track without a main artist goes by its own id. The genre categories must come from the whole market
(`model.features.market_genres`) so that the `genre` column means the same in every partition.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from model.features import main_artists
from model.frames import ModelFrames


def partition_of(ids: pd.Series | pd.Index | np.ndarray, n: int) -> np.ndarray:
    """The partition (0..n-1) of each id: crc32 of its text, modulo n (computed once per distinct id)."""
    codes, uniques = pd.factorize(np.asarray(ids))
    parts = np.array([zlib.crc32(str(i).encode()) % n for i in uniques], dtype=np.int64)
    return parts[codes] if len(codes) else np.zeros(0, dtype=np.int64)


def _track_parts(frames: ModelFrames, n: int) -> pd.Series:
    """track_id -> partition: its main artist's, or its own id's when it has none."""
    main = main_artists(frames.track_artists)
    ids = pd.Index(pd.concat([frames.tracks["track_id"], frames.track_artists["track_id"]]).unique())
    artist = pd.Series(ids.map(main), index=ids)
    keys = artist.where(artist.notna(), pd.Series(ids, index=ids))
    return pd.Series(partition_of(keys.to_numpy(), n), index=ids)


def artist_partitions(frames: ModelFrames, n: int) -> list[ModelFrames]:
    """`n` partitions of `frames` by main artist (see the module docstring)."""
    if n < 1:
        raise ValueError(f"partitions must be >= 1, got {n}")
    tracks = _track_parts(frames, n)

    def of_track(ids: pd.Series) -> np.ndarray:
        known = ids.map(tracks)
        unknown = known.isna()
        if unknown.any():  # observations of a track outside the catalogue: any partition, by its own id
            known[unknown] = partition_of(ids[unknown].to_numpy(), n)
        return known.to_numpy(dtype=np.int64)

    obs = frames.observations
    is_artist = (obs["entity_type"] == "artist").to_numpy()
    obs_part = np.empty(len(obs), dtype=np.int64)
    obs_part[is_artist] = partition_of(obs.loc[is_artist, "entity_id"].to_numpy(), n)
    obs_part[~is_artist] = of_track(obs.loc[~is_artist, "entity_id"])
    keys = {
        "observations": obs_part,
        "tracks": of_track(frames.tracks["track_id"]),
        "track_artists": of_track(frames.track_artists["track_id"]),
        "artists": partition_of(frames.artists["artist_id"].to_numpy(), n),
        "audio_features": of_track(frames.audio_features["track_id"]),
        "prior_best": of_track(frames.prior_best["track_id"]),
    }
    return [
        ModelFrames(**{name: getattr(frames, name)[key == part].reset_index(drop=True) for name, key in keys.items()})
        for part in range(n)
    ]
