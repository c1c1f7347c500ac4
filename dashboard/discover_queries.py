"""Every SELECT of the Discover page and the similar-tracks panel (published agg_* tables of one publication).

Each takes a keyword-only `conn` and the publication id from `queries.current_publication`, so one view never
mixes two runs. The playlist query is one indexed range filter over `agg_discover_tracks` (bench/bench_playlist.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, text

from core.columnar import read_frame as _frame

PLAYLIST_MAX = 200


def discover_summary(*, conn: Connection, publication_id: int) -> dict[str, Any]:
    """What the discover stage found and what it could not do (empty when the publication has no discover run)."""
    value = conn.execute(
        text("SELECT summary FROM agg_discover_summary WHERE publication_id = :pid"), {"pid": publication_id}
    ).scalar()
    return dict(value or {})


def seed_artists(*, conn: Connection, publication_id: int) -> pd.DataFrame:
    """(artist_id, name, popularity) of the artists with a precomputed segment, most popular first."""
    return _frame(
        conn,
        """
        SELECT s.seed_artist_id AS artist_id, coalesce(l.name, s.seed_artist_id) AS name, l.popularity
        FROM (SELECT DISTINCT seed_artist_id FROM agg_segments WHERE publication_id = :pid) s
        LEFT JOIN agg_artist_leaderboard l ON l.publication_id = :pid AND l.artist_id = s.seed_artist_id
        ORDER BY l.popularity DESC NULLS LAST, 2
        """,
        {"pid": publication_id},
    )


def segment(*, conn: Connection, publication_id: int, artist_id: str) -> pd.DataFrame:
    return _frame(
        conn,
        "SELECT artist_id, name, hop, closeness, popularity, basis FROM agg_segments"
        " WHERE publication_id = :pid AND seed_artist_id = :a ORDER BY hop, closeness DESC, artist_id",
        {"pid": publication_id, "a": artist_id},
    )


def drivers(*, conn: Connection, publication_id: int, artist_id: str) -> pd.DataFrame:
    return _frame(
        conn,
        "SELECT feature, importance, curve, n_tracks FROM agg_segment_drivers"
        " WHERE publication_id = :pid AND seed_artist_id = :a ORDER BY importance DESC, feature",
        {"pid": publication_id, "a": artist_id},
    )


def underperformers(*, conn: Connection, publication_id: int, artist_id: str) -> pd.DataFrame:
    return _frame(
        conn,
        "SELECT rank, track_id, name, popularity, expected, gap FROM agg_underperformers"
        " WHERE publication_id = :pid AND seed_artist_id = :a ORDER BY rank",
        {"pid": publication_id, "a": artist_id},
    )


def collab_ideas(*, conn: Connection, publication_id: int, artist_id: str) -> pd.DataFrame:
    return _frame(
        conn,
        "SELECT rank, artist_id, name, via_artist_id, via_name, closeness, popularity, score FROM agg_collab_ideas"
        " WHERE publication_id = :pid AND seed_artist_id = :a ORDER BY rank",
        {"pid": publication_id, "a": artist_id},
    )


def micro_genres(*, conn: Connection, publication_id: int) -> pd.DataFrame:
    return _frame(
        conn,
        "SELECT cluster, label, description, top_genres, n_tracks, n_hits, hit_rate, n_outliers"
        " FROM agg_micro_genres WHERE publication_id = :pid ORDER BY cluster",
        {"pid": publication_id},
    )


def map_points(*, conn: Connection, publication_id: int, limit: int = 4000) -> pd.DataFrame:
    """A stable sample of the map (every track up to `limit`, else an evenly hashed subset), outliers always in."""
    return _frame(
        conn,
        """
        SELECT track_id, name, artist_name, genre, micro_genre, pca_x, pca_y, is_hit, is_outlier
        FROM agg_discover_tracks WHERE publication_id = :pid
        ORDER BY is_outlier DESC, md5(track_id) LIMIT :limit
        """,
        {"pid": publication_id, "limit": limit},
    )


def genre_evolution(*, conn: Connection, publication_id: int, kind: str) -> pd.DataFrame:
    return _frame(
        conn,
        "SELECT label, release_year, n_hits, share FROM agg_genre_evolution"
        " WHERE publication_id = :pid AND kind = :kind ORDER BY release_year, label",
        {"pid": publication_id, "kind": kind},
    )


def playlist_genres(*, conn: Connection, publication_id: int) -> list[str]:
    rows = conn.execute(
        text("SELECT DISTINCT genre FROM agg_discover_tracks WHERE publication_id = :pid ORDER BY 1"),
        {"pid": publication_id},
    )
    return [r[0] for r in rows]


@dataclass(frozen=True)
class PlaylistRequest:
    energy: tuple[float, float] = (0.0, 1.0)
    danceability: tuple[float, float] = (0.0, 1.0)
    valence: tuple[float, float] = (0.0, 1.0)
    tempo: tuple[float, float] = (0.0, 250.0)
    genre: str | None = None
    micro_genre: int | None = None
    length: int = 30


def playlist(*, conn: Connection, publication_id: int, request: PlaylistRequest) -> pd.DataFrame:
    """Tracks whose sound falls in every range (and the genre / micro-genre if set), most popular first.
    The genre and micro-genre conditions are written only when set, so each filter set gets its own plan (and
    the index on its column) rather than one plan for `(:genre IS NULL OR genre = :genre)`."""
    chosen = ("" if request.genre is None else " AND genre = :genre") + (
        "" if request.micro_genre is None else " AND micro_genre = :micro"
    )
    return _frame(
        conn,
        f"""
        SELECT track_id, name, artist_id, artist_name, genre, micro_genre, round(CAST(energy AS numeric), 2) AS energy,
               round(CAST(danceability AS numeric), 2) AS danceability, round(CAST(valence AS numeric), 2) AS valence,
               round(CAST(tempo AS numeric)) AS tempo, popularity
        FROM agg_discover_tracks
        WHERE publication_id = :pid
          AND energy BETWEEN :e0 AND :e1 AND danceability BETWEEN :d0 AND :d1
          AND valence BETWEEN :v0 AND :v1 AND tempo BETWEEN :t0 AND :t1{chosen}
        ORDER BY popularity DESC NULLS LAST, track_id
        LIMIT :n
        """,
        {
            "pid": publication_id,
            "e0": request.energy[0],
            "e1": request.energy[1],
            "d0": request.danceability[0],
            "d1": request.danceability[1],
            "v0": request.valence[0],
            "v1": request.valence[1],
            "t0": request.tempo[0],
            "t1": request.tempo[1],
            "genre": request.genre,
            "micro": request.micro_genre,
            "n": max(1, min(request.length, PLAYLIST_MAX)),
        },  # fmt: skip
    )


def similar_tracks(*, conn: Connection, publication_id: int, track_id: str) -> pd.DataFrame:
    """The published nearest tracks in sound of one track, nearest first, with names."""
    return _frame(
        conn,
        """
        SELECT CAST(u.rank AS integer) AS rank, d.track_id, d.name, d.artist_id, d.artist_name, d.genre,
               u.distance, d.popularity
        FROM agg_discover_tracks t
        JOIN agg_similar_tracks s ON s.publication_id = t.publication_id AND s.track_no = t.track_no
        CROSS JOIN LATERAL unnest(s.similar_nos, s.distances) WITH ORDINALITY AS u (similar_no, distance, rank)
        JOIN agg_discover_tracks d ON d.publication_id = s.publication_id AND d.track_no = u.similar_no
        WHERE t.publication_id = :pid AND t.track_id = :t ORDER BY u.rank
        """,
        {"pid": publication_id, "t": track_id},
    )
