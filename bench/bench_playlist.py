"""The playlist generator's query (dashboard/discover_queries.playlist) against a publication of 30,000 tracks.

    python -m bench playlist [--quick] [--repeats N]

The world: one publication whose `agg_discover_tracks` holds 30,000 tracks (8 genres, 6 micro-genres, sound
drawn like real audio features; the table shape and indexes of migration 0010), analysed. Then N playlist
requests with seeded random ranges (energy, danceability, valence, tempo; a genre or a micro-genre half the time),
each timed from the query to its DataFrame, in one read-only connection as the dashboard uses. Target: p50 under
50 ms. Measured, never asserted.
"""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text

from bench.harness import Options, Report, median, throwaway_engine, verdict
from dashboard.discover_queries import PlaylistRequest, playlist
from jobs.publication_partitions import ensure_partitions

TARGET_P50_MS = 50.0
GENRES = ["pop", "rap", "rock", "latin", "r&b", "edm", "country", "indie"]


def seed_tracks(engine: Any, n_tracks: int) -> int:
    """One run, one publication, `n_tracks` rows of agg_discover_tracks; returns the publication id."""
    rng = np.random.default_rng(14)
    frame = pd.DataFrame(
        {
            "track_id": [f"bench:t{i:07d}" for i in range(n_tracks)],
            "name": [f"Track {i}" for i in range(n_tracks)],
            "artist_id": [f"bench:a{i % (n_tracks // 4):06d}" for i in range(n_tracks)],
            "artist_name": [f"Artist {i % (n_tracks // 4)}" for i in range(n_tracks)],
            "genre": rng.choice(GENRES, n_tracks),
            "release_year": rng.integers(1970, 2021, n_tracks),
            "micro_genre": rng.integers(0, 6, n_tracks),
            "energy": rng.beta(5, 3, n_tracks).round(3),
            "danceability": rng.beta(5, 3, n_tracks).round(3),
            "valence": rng.beta(2, 2, n_tracks).round(3),
            "tempo": rng.normal(120, 28, n_tracks).clip(50, 220).round(2),
            "popularity": rng.integers(0, 100, n_tracks),
            "is_hit": False,
            "pca_x": rng.normal(0, 1, n_tracks).round(3),
            "pca_y": rng.normal(0, 1, n_tracks).round(3),
            "is_outlier": False,
        }
    )
    with engine.begin() as conn:
        run_id = conn.execute(
            text(
                "INSERT INTO job_runs (kind, trigger, source, status) VALUES ('import', 'cli', 'bench', 'succeeded')"
                " RETURNING run_id"
            )  # fmt: skip
        ).scalar_one()
        pid = conn.execute(
            text(
                "INSERT INTO publications (run_id, snapshot_date, source, is_demo) VALUES (:r, current_date,"
                " 'bench', false) RETURNING publication_id"
            ),  # fmt: skip
            {"r": run_id},
        ).scalar_one()
        ensure_partitions(conn=conn, publication_id=pid)  # the publication's partitions, which the COPY fills
        buffer = io.StringIO()
        frame.insert(0, "publication_id", pid)
        frame.to_csv(buffer, index=False, header=False)
        columns = ", ".join(frame.columns)
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY agg_discover_tracks ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE agg_discover_tracks"))
    return int(pid)


def requests(n: int) -> list[PlaylistRequest]:
    rng = np.random.default_rng(7)
    out = []
    for _ in range(n):
        low = rng.uniform(0, 0.6, 3)
        tempo_low = float(rng.uniform(60, 130))
        kind = rng.integers(0, 3)
        out.append(
            PlaylistRequest(
                energy=(float(low[0]), float(low[0] + 0.4)), danceability=(float(low[1]), float(low[1] + 0.4)),
                valence=(float(low[2]), float(low[2] + 0.4)), tempo=(tempo_low, tempo_low + 40),
                genre=str(rng.choice(GENRES)) if kind == 1 else None,
                micro_genre=int(rng.integers(0, 6)) if kind == 2 else None, length=30,
            )
        )  # fmt: skip
    return out


def run(options: Options) -> Report:
    n_tracks = 30_000
    repeats = options.repeats or (30 if options.quick else 300)
    report = Report()
    with throwaway_engine() as engine:
        pid = seed_tracks(engine, n_tracks)
        timings: list[float] = []
        sizes: list[int] = []
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION READ ONLY"))
            playlist(conn=conn, publication_id=pid, request=PlaylistRequest())  # warm the connection and cache
            for request in requests(repeats):
                started = time.perf_counter()
                frame = playlist(conn=conn, publication_id=pid, request=request)
                timings.append((time.perf_counter() - started) * 1000)
                sizes.append(len(frame))
    p50 = median(timings)
    p95 = float(np.percentile(timings, 95))
    report.figures = {
        "n_tracks": n_tracks, "queries": repeats, "p50_ms": round(p50, 2), "p95_ms": round(p95, 2),
        "max_ms": round(max(timings), 2), "median_rows": median([float(s) for s in sizes]),
    }  # fmt: skip
    report.row("playlist query p50 (30k tracks)", f"{p50:.1f} ms", f"< {TARGET_P50_MS:.0f} ms",
               verdict(p50, TARGET_P50_MS, higher_is_better=False))  # fmt: skip
    report.row("playlist query p95 (30k tracks)", f"{p95:.1f} ms")
    report.notes.append("Query plus DataFrame, one read-only connection, seeded random ranges; not a test.")
    return report
