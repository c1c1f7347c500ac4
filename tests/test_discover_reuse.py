"""Similar tracks reused across runs: a run whose sound inputs are unchanged copies the previous publication's
graph, which must equal a recomputation; a changed audio feature must make the run recompute.

    python -m pytest -n 0 tests/test_discover_reuse.py -q
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine, text

from jobs import lock, pipeline
from jobs.discover import DiscoverConfig
from jobs.discover_extract import read_tracks
from jobs.discover_sound import discover_sound
from tests.factories import DAY, config, tiny_source

SOURCE = tiny_source(n_artists=120)
COLUMNS = ["track_id", "rank", "similar_track_id", "distance"]


def _backfill(engine: Engine) -> pipeline.RunOutcome:
    """Three days up to the day before DAY, published."""
    with lock.exclusive_run(engine):
        return pipeline.backfill(
            engine, SOURCE, end_date=DAY - timedelta(days=1), days=3, trigger="cli", requested_by="test",
            config=config(),
        )  # fmt: skip


def _refresh(engine: Engine) -> pipeline.RunOutcome:
    """The next day's run (no track of the tiny market is released on DAY: the same catalogue)."""
    with lock.exclusive_run(engine):
        return pipeline.refresh(engine, SOURCE, snapshot_date=DAY, trigger="cli", requested_by="test", config=config())


def _published(engine: Engine, publication_id: int | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(  # one row a track, its neighbours as arrays (migration 0026), unnested
            text("SELECT t.track_id, CAST(u.rank AS integer), n.track_id, u.distance FROM agg_similar_tracks s"
                 " JOIN agg_discover_tracks t ON t.publication_id = s.publication_id AND t.track_no = s.track_no"
                 " CROSS JOIN LATERAL unnest(s.similar_nos, s.distances) WITH ORDINALITY AS u (no, distance, rank)"
                 " JOIN agg_discover_tracks n ON n.publication_id = s.publication_id AND n.track_no = u.no"
                 " WHERE s.publication_id = :p ORDER BY t.track_id, u.rank"),
            {"p": publication_id},
        ).all()  # fmt: skip
        summary = conn.execute(
            text("SELECT summary -> 'similar' FROM agg_discover_summary WHERE publication_id = :p"),
            {"p": publication_id},
        ).scalar_one()
    return pd.DataFrame(rows, columns=COLUMNS), summary


def _recomputed(engine: Engine) -> pd.DataFrame:
    """The similar tracks computed from scratch (no reuse) from what the database holds now, as published
    (distance is a PostgreSQL real)."""
    settings = DiscoverConfig()
    with engine.connect() as conn:
        tracks = read_tracks(conn=conn, day=DAY, hit_metric=config().hit_metric)
    sound = discover_sound(
        tracks, hit_metric=config().hit_metric, hit_threshold=config().hit_threshold,
        k_range=(settings.k_min, settings.k_max), neighbours=settings.neighbours, seed=settings.seed,
    )  # fmt: skip
    assert sound.similar_from is None and sound.similar is not None and sound.similar.index.size
    frame = sound.similar.frame(sound.tracks["track_id"].to_numpy())[COLUMNS]
    frame = frame.sort_values(["track_id", "rank"]).reset_index(drop=True)
    return frame.astype({"track_id": object, "similar_track_id": object, "rank": int}).assign(
        distance=frame["distance"].astype("float32").astype(float)
    )


def _same(published: pd.DataFrame, recomputed: pd.DataFrame) -> None:
    published = published.astype({"rank": int, "distance": "float32"}).astype({"distance": float})
    pd.testing.assert_frame_equal(published, recomputed, check_dtype=False)


def test_unchanged_sound_reuses_the_graph_and_it_equals_a_recomputation(clean_db: Engine) -> None:
    first = _backfill(clean_db)
    graph, summary = _published(clean_db, first.publication_id)
    assert summary["reused_from"] is None and len(graph) == summary["rows"] > 0

    second = _refresh(clean_db)  # a new day: popularity moves, the sound does not
    reused, again = _published(clean_db, second.publication_id)
    assert second.publication_id != first.publication_id
    assert again["reused_from"] == first.publication_id and again["key"] == summary["key"]
    _same(reused, _recomputed(clean_db))
    _same(graph, _recomputed(clean_db))


def test_a_changed_audio_feature_triggers_recomputation(clean_db: Engine) -> None:
    first = _backfill(clean_db)
    before, summary = _published(clean_db, first.publication_id)
    with clean_db.begin() as conn:
        # Move one track's sound next to another's: its neighbours (and theirs) must change.
        conn.execute(
            text("""
                UPDATE track_audio_features t SET energy = o.energy, danceability = o.danceability,
                    valence = o.valence, tempo = o.tempo, loudness = o.loudness
                FROM (SELECT * FROM track_audio_features ORDER BY track_id OFFSET 1 LIMIT 1) o
                WHERE t.track_id = (SELECT min(track_id) FROM track_audio_features)
            """)
        )  # fmt: skip
    second = _refresh(clean_db)
    after, again = _published(clean_db, second.publication_id)
    assert again["reused_from"] is None and again["key"] != summary["key"]
    _same(after, _recomputed(clean_db))
    assert not after.equals(before)


def test_a_reused_graph_numbered_otherwise_is_renumbered_through_the_track_ids(clean_db: Engine) -> None:
    """A source publication whose tracks are numbered unlike the new run's (one converted by migration 0026)
    still gives the recomputed graph: its rows are renumbered through the track ids."""
    first = _backfill(clean_db)
    with clean_db.begin() as conn:  # every number n becomes -1 - n in the source publication
        conn.execute(text("UPDATE agg_discover_tracks SET track_no = -1 - track_no WHERE publication_id = :p"),
                     {"p": first.publication_id})  # fmt: skip
        conn.execute(
            text("UPDATE agg_similar_tracks SET track_no = -1 - track_no,"
                 " similar_nos = ARRAY(SELECT -1 - n FROM unnest(similar_nos) WITH ORDINALITY AS u (n, i) ORDER BY i)"
                 " WHERE publication_id = :p"),
            {"p": first.publication_id},
        )  # fmt: skip
    second = _refresh(clean_db)
    reused, again = _published(clean_db, second.publication_id)
    assert again["reused_from"] == first.publication_id
    _same(reused, _recomputed(clean_db))
