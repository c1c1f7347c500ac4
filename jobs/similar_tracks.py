"""Similar tracks published compactly: one binary COPY row per track (migration 0026).

The discover stage finds each audio track's k nearest tracks (`jobs.discover_similar.Similar`: tracks x k
matrices of their rows and distances, in the order of its tracks frame; a long frame of string ids before,
7.75M rows at 1M tracks, which this module turned back into numbers). Published as
text that was 10 rows a track with a text primary key (777,490 rows at 77,749 tracks). Here each track of
`agg_discover_tracks` gets a `track_no` (its row in the tracks frame) and `agg_similar_tracks` one row per
track: its `track_no`, then int4[k] of its neighbours' numbers and float4[k] of their distances, nearest first,
sent as those matrices in chunks by `jobs.binary_copy.copy_columns` (no per-row Python). The Track
page unnests the arrays (`dashboard.discover_queries.similar_tracks`).

    builders = publish_builders(discovered)   # the discover stage's builders, with these two tables

    pytest tests/test_similar_tracks.py
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from jobs.aggregate import AggregateParams, Builder
from jobs.binary_copy import copy_columns
from jobs.discover import Discovered, discover_builders
from jobs.discover_similar import Similar

logger = logging.getLogger(__name__)

COLUMNS = ["publication_id", "track_no", "similar_nos", "distances"]
CHUNK_TRACKS = 65_536  # tracks per chunk of the one COPY (~230 bytes a track at k=10): ~15 MB held at once


def neighbour_matrices(tracks: pd.DataFrame, similar: Similar) -> tuple[np.ndarray, np.ndarray]:
    """(track numbers int32, distances float32), (tracks x k), nearest first: row i is the i-th track of `tracks`,
    a number a row of it. `similar` must hold one list a track of k distinct other tracks (what the discover
    stage gives); anything else is a `ValueError`, not a silently different publication."""
    numbers, distances = similar.index, similar.distance
    n_tracks = len(tracks)
    if n_tracks == 0 or numbers.ndim != 2 or numbers.shape[0] != n_tracks or distances.shape != numbers.shape:
        raise ValueError(f"similar lists {numbers.shape} for {n_tracks} tracks: not k per track")
    if not tracks["track_id"].is_unique:
        raise ValueError("duplicate track ids in the discover tracks")
    if numbers.size and (numbers.min() < 0 or numbers.max() >= n_tracks):
        raise ValueError("similar tracks name a track that is not among the discover tracks")
    if (numbers == np.arange(n_tracks)[:, None]).any():
        raise ValueError("a track is among its own similar tracks")
    return numbers.astype(np.int32, copy=False), distances.astype(np.float32, copy=False)


def build_similar_tracks(conn: Connection, params: AggregateParams, tracks: pd.DataFrame, similar: Similar) -> int:
    """COPY one row per track into `agg_similar_tracks` for the publication; returns the rows (tracks)."""
    numbers, distances = neighbour_matrices(tracks, similar)
    k, n_tracks = numbers.shape[1], len(numbers)
    copy_columns(conn, params.table("agg_similar_tracks"), COLUMNS, [
        ("int8", np.full(n_tracks, params.publication_id, dtype=np.int64)),
        ("int4", np.arange(n_tracks, dtype=np.int32)),
        (f"int4[{k}]", numbers),
        (f"float4[{k}]", distances),
    ], chunk_rows=CHUNK_TRACKS)  # fmt: skip
    return n_tracks


def publish_builders(discovered: Discovered) -> dict[str, Builder]:
    """The discover stage's publish builders (`jobs.discover.discover_builders`), its tracks numbered
    (`track_no`, what the similar arrays refer to) and its similar tracks written here: COPYed from the frame
    (`build_similar_tracks`), or, when the stage reuses a publication's graph (`sound.similar_from`: identical
    sound inputs), copied from that publication's rows (`reuse_similar_tracks`)."""
    sound = discovered.sound
    tracks = sound.tracks
    if not tracks.empty:
        tracks = tracks.assign(track_no=np.arange(len(tracks), dtype=np.int64))
    builders = discover_builders(replace(discovered, sound=replace(sound, tracks=tracks)))
    source = sound.similar_from

    def build(conn: Connection, params: AggregateParams) -> int:
        if source is not None:
            return reuse_similar_tracks(conn, params, source, sound.tracks, int(discovered.summary["similar"]["rows"]))
        if sound.similar is None or not sound.similar.index.size:
            return 0
        return build_similar_tracks(conn, params, sound.tracks, sound.similar)

    return {**builders, "agg_similar_tracks": build}


# The reused publication's rows renumbered to this publication's tracks (through the track ids), for a source
# whose numbering differs (one converted by migration 0026 numbered its tracks by id).
_REMAPPED = """
    INSERT INTO {table} (publication_id, track_no, similar_nos, distances)
    SELECT :pid, nt.track_no,
           ARRAY(SELECT nn.track_no FROM unnest(s.similar_nos) WITH ORDINALITY AS u (no, i)
                 JOIN agg_discover_tracks so ON so.publication_id = :source AND so.track_no = u.no
                 JOIN agg_discover_tracks nn ON nn.publication_id = :pid AND nn.track_id = so.track_id
                 ORDER BY u.i),
           s.distances
    FROM agg_similar_tracks s
    JOIN agg_discover_tracks st ON st.publication_id = :source AND st.track_no = s.track_no
    JOIN agg_discover_tracks nt ON nt.publication_id = :pid AND nt.track_id = st.track_id
    WHERE s.publication_id = :source
"""


def reuse_similar_tracks(
    conn: Connection, params: AggregateParams, source: int, tracks: pd.DataFrame, expected: int
) -> int:
    """Copy publication `source`'s similar tracks (computed from identical sound inputs: the same tracks in the
    same order) into this one (`params.table`), inside PostgreSQL, after its `agg_discover_tracks` is attached
    (the builders' order). As is
    when both number their tracks alike, else renumbered through the track ids. Refuses (the publication rolls
    back) unless every track got its row and `expected` neighbours in all (the discover summary's count)."""
    values, table = {"pid": params.publication_id, "source": source}, params.table("agg_similar_tracks")
    same = conn.execute(
        text("SELECT count(*) FROM agg_discover_tracks a JOIN agg_discover_tracks b ON b.publication_id = :source"
             " AND b.track_no = a.track_no AND b.track_id = a.track_id WHERE a.publication_id = :pid"),
        values,
    ).scalar_one()  # fmt: skip
    if same == len(tracks):
        sql = (
            f"INSERT INTO {table} (publication_id, track_no, similar_nos, distances)"
            " SELECT :pid, track_no, similar_nos, distances FROM agg_similar_tracks WHERE publication_id = :source"
        )
    else:
        sql = _REMAPPED.format(table=table)
    conn.execute(text(sql), values)
    rows, neighbours = conn.execute(
        text(f"SELECT count(*), coalesce(sum(cardinality(similar_nos)), 0) FROM {table}"
             " WHERE publication_id = :pid AND cardinality(similar_nos) = cardinality(distances)"),
        values,
    ).one()  # fmt: skip
    if rows != len(tracks) or neighbours != expected:
        raise RuntimeError(f"publication {source} gave {rows} tracks / {neighbours} similar tracks, not the"
                           f" {len(tracks)} / {expected} to reuse: run again")  # fmt: skip
    logger.info("similar tracks: %d tracks reused from publication %d (same sound inputs%s)", rows, source,
                "" if same == len(tracks) else ", renumbered")  # fmt: skip
    return int(rows)
