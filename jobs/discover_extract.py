"""Read what the discover stage needs from PostgreSQL (the stage's only SQL; see `jobs.discover`).

Tracks released by the day with their main artist, genre, audio features and peak hit metric so far; every
credited artist of every track; artists with their latest level; which artists have a similar-artist list, and
the newest lists of the artists a segment reaches, their names resolved to catalogue ids; the watched artists;
which kept publication's similar tracks a run with unchanged sound inputs can reuse; and the newest
publication's graph, which a run with new tracks extends (`jobs.discover_similar`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, text

from core.columnar import copy_out_fixed, copy_out_frame
from core.hit_definition import HitDefinition
from model.sound import SOUND_FEATURES

# The sound features the stage uses (key, mode and time_signature are not), read as float64 by Arrow already.
TRACK_TYPES = {
    "track_id": pa.string(), "name": pa.string(), "artist_id": pa.string(), "artist_name": pa.string(),
    "genre": pa.string(), "release_date": pa.date32(), "duration_ms": pa.float64(), "explicit": pa.bool_(),
    "has_audio": pa.bool_(), **{column: pa.float64() for column in SOUND_FEATURES}, "popularity": pa.float64(),
}  # fmt: skip


def read_tracks(*, conn: Connection, day: date, hit_metric: str) -> pd.DataFrame:
    """One row per track released by `day` (or undated): catalogue, sound (`SOUND_FEATURES`) and `popularity` =
    peak of the metric (the lowest for chart positions). Tracks without audio features have NaN there. The peaks
    are aggregated over the narrow `observations` by integer entity, then named (the `raw_observations` view
    joins every row to its names first: twice the time at 100k tracks)."""
    audio = ", ".join(f"af.{c}" for c in SOUND_FEATURES)
    peak = HitDefinition(hit_metric).best
    frame = copy_out_frame(
        conn,
        f"""
        SELECT t.track_id, t.name, ta.artist_id, a.name AS artist_name,
               coalesce(t.genre, a.genre, 'unknown') AS genre, t.release_date, t.duration_ms, t.explicit,
               (af.track_id IS NOT NULL) AS has_audio, {audio}, p.peak AS popularity
        FROM tracks t
        LEFT JOIN track_artists ta ON ta.track_id = t.track_id AND ta.position = 0
        LEFT JOIN artists a ON a.artist_id = ta.artist_id
        LEFT JOIN track_audio_features af ON af.track_id = t.track_id
        LEFT JOIN (
            SELECT e.entity_id, o.peak
            FROM (
                SELECT entity, {peak}(value) AS peak FROM observations
                WHERE metric = (SELECT metric FROM observation_metrics WHERE name = :metric) AND observed_on <= :day
                GROUP BY entity
            ) o
            JOIN observation_entities e ON e.entity = o.entity AND e.entity_type = 'track'
        ) p ON p.entity_id = t.track_id
        WHERE t.release_date IS NULL OR t.release_date <= :day
        ORDER BY t.track_id
        """,
        TRACK_TYPES, {"day": day, "metric": hit_metric},
    )  # fmt: skip
    return frame.astype({"has_audio": bool, "explicit": "boolean"})


def read_credits(*, conn: Connection) -> pd.DataFrame:
    """(track_id, artist_id) for every credited artist (a CSV COPY into Arrow: at 1M tracks the 890k row tuples
    of a cursor read peaked ~290 MB above the frame)."""
    return copy_out_frame(conn, "SELECT track_id, artist_id FROM track_artists ORDER BY track_id, position",
                          {"track_id": pa.string(), "artist_id": pa.string()})  # fmt: skip


def read_artists(*, conn: Connection, day: date) -> pd.DataFrame:
    """(artist_id, name, genre, popularity): popularity is the latest Spotify popularity within a week of `day`."""
    frame = copy_out_frame(
        conn,
        """
        SELECT a.artist_id, a.name, coalesce(a.genre, 'unknown') AS genre, p.value AS popularity
        FROM artists a
        LEFT JOIN (
            SELECT DISTINCT ON (entity_id) entity_id, value FROM raw_observations
            WHERE entity_type = 'artist' AND metric = 'spotify_popularity'
              AND observed_on BETWEEN CAST(:day AS date) - 6 AND :day
            ORDER BY entity_id, observed_on DESC, source
        ) p ON p.entity_id = a.artist_id
        ORDER BY a.artist_id
        """,
        {"artist_id": pa.string(), "name": pa.string(), "genre": pa.string(), "popularity": pa.float64()},
        {"day": day},
    )
    return frame.astype({"popularity": float})


# Each artist's newest list on or before :day, a Last.fm name resolved to the catalogue artist of that name
# (case-insensitive), unresolved names dropped; {only} narrows it to some artists (the primary key's prefix).
_NEWEST_LISTS = """
    WITH newest AS (
        SELECT s.*, max(observed_on) OVER (PARTITION BY artist_id) AS newest_on
        FROM similar_artists s WHERE observed_on <= :day {only}
    ), names AS (
        SELECT DISTINCT ON (lower(name)) lower(name) AS key, artist_id FROM artists ORDER BY lower(name), artist_id
    )
    SELECT {columns}
    FROM newest n LEFT JOIN names ON names.key = lower(n.similar_name)
    WHERE n.observed_on = n.newest_on AND coalesce(n.similar_artist_id, names.artist_id) IS NOT NULL
    ORDER BY n.artist_id, n.match DESC
"""
SIMILAR_TYPES = {
    "artist_id": pa.string(), "similar_artist_id": pa.string(), "match": pa.float64(), "source": pa.string(),
}  # fmt: skip


def read_similar(*, conn: Connection, day: date, artists: Iterable[str]) -> pd.DataFrame:
    """(artist_id, similar_artist_id, match, source) of `artists`' newest lists on or before `day`, strongest
    first. Only the artists a segment reaches are read (`model.segments.reachable_adjacency`: a few hundred),
    not every list (4.2M rows at 1M tracks, the stage's largest read)."""
    wanted = sorted(set(artists))
    if not wanted:
        return pa.table({name: pa.array([], type=kind) for name, kind in SIMILAR_TYPES.items()}).to_pandas()
    sql = _NEWEST_LISTS.format(
        only="AND artist_id = ANY(CAST(:artists AS text[]))",
        columns="n.artist_id, coalesce(n.similar_artist_id, names.artist_id) AS similar_artist_id,"
        " coalesce(n.match, 0) AS match, n.source",
    )  # fmt: skip
    return copy_out_frame(conn, sql, SIMILAR_TYPES, {"day": day, "artists": wanted}).astype({"match": float})


# Per artist, the day of its newest list and the sources of that list's resolved entries (the name resolution of
# `_NEWEST_LISTS`): one hash aggregate of the lists, which may run in parallel, instead of a window over every
# list and a sort of every entry by strength (0.15 s against 0.9 s at 100k tracks, 417k entries). When a list's
# resolved entries share one source (lo = hi, every list of the demo and of Last.fm) that source is its strongest
# entry's; the artists of a mixed list take the strongest entry's as before.
_LIST_SOURCES = """
    WITH list_days AS (
        SELECT artist_id, observed_on, min(source) FILTER (WHERE resolved) AS lo,
               max(source) FILTER (WHERE resolved) AS hi
        FROM (SELECT artist_id, observed_on, source, similar_artist_id IS NOT NULL
                     OR lower(similar_name) IN (SELECT lower(name) FROM artists) AS resolved
              FROM similar_artists WHERE observed_on <= :day) s
        GROUP BY artist_id, observed_on
    ), latest AS (
        SELECT DISTINCT ON (artist_id) artist_id, lo, hi FROM list_days ORDER BY artist_id, observed_on DESC
    ), mixed AS (
        SELECT artist_id FROM latest WHERE lo <> hi
    )
    SELECT artist_id, lo AS source FROM latest WHERE lo = hi
    UNION ALL
    SELECT artist_id, source FROM ({strongest}) strongest
    ORDER BY artist_id
"""


def read_similar_bases(*, conn: Connection, day: date) -> pd.Series:
    """artist_id -> the source of its newest list's strongest entry, for every artist with a list on or before
    `day` (what `read_similar` gives for it): which artists have lists, and what each segment is based on."""
    strongest = "SELECT DISTINCT ON (artist_id) artist_id, source FROM (" + _NEWEST_LISTS.format(
        only="AND artist_id IN (SELECT artist_id FROM mixed)", columns="n.artist_id, n.source, n.match"
    ) + ") lists ORDER BY artist_id, match DESC"  # fmt: skip
    sql = _LIST_SOURCES.format(strongest=strongest)
    frame = copy_out_frame(conn, sql, {"artist_id": pa.string(), "source": pa.string()}, {"day": day})
    return frame.set_index("artist_id")["source"]


def read_watched_artists(*, conn: Connection) -> list[str]:
    """Watched artists' ids (the Spotify id is the catalogue id for the spotify source)."""
    return [r[0] for r in conn.execute(text("SELECT spotify_id FROM watchlist WHERE entity_type = 'artist'"))]


def read_similar_sources(*, conn: Connection) -> dict[str, int]:
    """Neighbours key -> the newest kept publication whose similar tracks were computed under it (the key is in
    its discover summary, `jobs.discover_sound`) and that still holds them: what a run with identical sound
    inputs may reuse instead of rebuilding the graph."""
    rows = conn.execute(
        text(
            """
            SELECT DISTINCT ON (d.summary -> 'similar' ->> 'key') d.summary -> 'similar' ->> 'key', d.publication_id
            FROM agg_discover_summary d
            WHERE d.summary -> 'similar' ->> 'key' IS NOT NULL
              AND EXISTS (SELECT 1 FROM agg_similar_tracks s WHERE s.publication_id = d.publication_id)
            ORDER BY d.summary -> 'similar' ->> 'key', d.publication_id DESC
            """
        )
    )
    return {str(key): int(publication) for key, publication in rows}


@dataclass
class SimilarBase:
    """The newest kept publication's similar tracks: its discover summary's `similar` (key, space) now, its
    graph (`graph()`: track ids in its order, and each one's neighbours as positions in them) when asked."""

    publication_id: int
    similar: dict[str, Any]
    graph: Callable[[], tuple[np.ndarray, np.ndarray] | None]


def read_similar_base(*, conn: Connection, k: int) -> SimilarBase | None:
    """The newest kept publication that holds similar tracks under a key, or None. Its graph is read on demand
    through binary COPY (k neighbours a track; None when its lists are not exactly k a track)."""
    row = conn.execute(
        text(
            """
            SELECT d.publication_id, d.summary -> 'similar' FROM agg_discover_summary d
            WHERE d.summary -> 'similar' ->> 'key' IS NOT NULL
              AND EXISTS (SELECT 1 FROM agg_similar_tracks s WHERE s.publication_id = d.publication_id)
            ORDER BY d.publication_id DESC LIMIT 1
            """
        )
    ).first()
    if row is None:
        return None
    publication = int(row[0])

    def graph() -> tuple[np.ndarray, np.ndarray] | None:
        tracks = copy_out_frame(
            conn, "SELECT track_id FROM agg_discover_tracks WHERE publication_id = :p ORDER BY track_no",
            {"track_id": pa.string()}, {"p": publication},
        )  # fmt: skip
        (numbers,) = copy_out_fixed(
            conn, f"SELECT track_no FROM agg_discover_tracks WHERE publication_id = {publication} ORDER BY track_no",
            ["int4"],
        )  # fmt: skip
        try:
            owners, lists = copy_out_fixed(
                conn, f"SELECT track_no, similar_nos FROM agg_similar_tracks WHERE publication_id = {publication}"
                " ORDER BY track_no", ["int4", f"int4[{k}]"],
            )  # fmt: skip
        except ValueError:  # not k neighbours a track
            return None
        positions = np.minimum(np.searchsorted(numbers, lists), len(numbers) - 1)  # numbers -> positions
        if not np.array_equal(owners, numbers) or not np.array_equal(numbers[positions], lists):
            return None
        return tracks["track_id"].to_numpy(dtype=object), positions.astype(np.int32)  # n < 2**31 (int4)

    return SimilarBase(publication, dict(row[1]), graph)
