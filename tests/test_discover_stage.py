"""The discover stage through the real pipeline on PostgreSQL: one publication holds every discover table, the
demo network feeds segments, collaboration ideas skip existing partners, and a TidyTuesday import gets
micro-genres with their silhouette reported."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from jobs import discover, lock, pipeline
from jobs.cli import main
from jobs.discover_extract import read_similar, read_similar_bases, read_tracks
from model.sound import SOUND_FEATURES
from tests.factories import DAY, config, tiny_source

DISCOVER_TABLES = [
    "agg_segments", "agg_segment_drivers", "agg_collab_ideas", "agg_micro_genres", "agg_discover_tracks",
    "agg_similar_tracks", "agg_genre_evolution", "agg_discover_summary",
]  # fmt: skip


def _backfill(engine: Engine) -> pipeline.RunOutcome:
    with lock.exclusive_run(engine):
        return pipeline.backfill(
            engine, tiny_source(n_artists=120), end_date=DAY, days=8, trigger="cli", requested_by="test",
            config=config(),
        )  # fmt: skip


def test_demo_run_publishes_every_discover_table_in_the_same_publication(clean_db: Engine) -> None:
    outcome = _backfill(clean_db)
    with clean_db.connect() as conn:
        for table in DISCOVER_TABLES:
            ids = conn.execute(text(f"SELECT DISTINCT publication_id FROM {table}")).scalars().all()
            assert ids == [outcome.publication_id], table
        basis = conn.execute(text("SELECT DISTINCT basis FROM agg_segments")).scalars().all()
        assert basis == ["demo"]  # the demo's own network, not the sound fallback
        # the published segment is the 2-hop closure of the loaded network (hop 1 = the seed's own list)
        seed = conn.execute(text("SELECT seed_artist_id FROM agg_segments LIMIT 1")).scalar()
        hop1 = set(conn.execute(text("SELECT artist_id FROM agg_segments WHERE seed_artist_id = :s AND hop = 1"),
                                {"s": seed}).scalars())  # fmt: skip
        listed = set(conn.execute(text("SELECT similar_artist_id FROM similar_artists WHERE artist_id = :s"),
                                  {"s": seed}).scalars())  # fmt: skip
        assert hop1 == listed - {seed} and hop1
        partnered = conn.execute(
            text("""
                SELECT count(*) FROM agg_collab_ideas i
                JOIN track_artists a ON a.artist_id = i.seed_artist_id
                JOIN track_artists b ON b.track_id = a.track_id AND b.artist_id = i.artist_id
            """)
        ).scalar()
        ideas = conn.execute(text("SELECT count(*) FROM agg_collab_ideas")).scalar()
        assert ideas > 0 and partnered == 0
        k = conn.execute(text("SELECT (summary ->> 'k')::int FROM agg_discover_summary")).scalar()
        assert conn.execute(text("SELECT count(*) FROM agg_micro_genres")).scalar() == k
        bad = conn.execute(  # a track its own neighbour, no neighbours, or a neighbour not among the tracks
            text(
                "SELECT count(*) FROM agg_similar_tracks s WHERE s.track_no = ANY(s.similar_nos)"
                " OR cardinality(s.similar_nos) < 1 OR EXISTS (SELECT 1 FROM unnest(s.similar_nos) AS u (no)"
                "   LEFT JOIN agg_discover_tracks d ON d.publication_id = s.publication_id AND d.track_no = u.no"
                "   WHERE d.track_no IS NULL)"
            )
        ).scalar()
        assert bad == 0


def test_a_discover_table_copied_in_several_chunks_holds_every_row_once(
    clean_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The discover tables are COPYed `COPY_ROWS` rows at a time (the 1M-track map at once was ~400 MB)."""
    monkeypatch.setattr(discover, "COPY_ROWS", 7)
    outcome = _backfill(clean_db)
    with clean_db.connect() as conn:
        n_tracks = conn.execute(text("SELECT (summary ->> 'n_tracks')::int FROM agg_discover_summary")).scalar()
        numbers = (
            conn.execute(
                text("SELECT track_no FROM agg_discover_tracks WHERE publication_id = :p ORDER BY track_no"),
                {"p": outcome.publication_id},
            )
            .scalars()
            .all()
        )
        ideas = conn.execute(text("SELECT count(*), count(DISTINCT (seed_artist_id, artist_id)) FROM agg_collab_ideas"))
    assert n_tracks > 7 * 3 and numbers == list(range(n_tracks))  # several chunks, each row once, none lost
    assert len(set(ideas.one())) == 1


@pytest.mark.shared_data
def test_tidytuesday_import_then_discover_reports_micro_genres_and_silhouette(
    clean_db: Engine, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings

    source = shared_data / "tidytuesday-spotify-songs" / "spotify_songs.csv.gz"
    if not source.exists():
        pytest.skip(f"{source} is missing")
    head = tmp_path / "spotify_songs.csv.gz"  # the first 2,500 songs keep the test quick; bench/ runs them all
    with gzip.open(source, "rt", encoding="utf-8") as full, gzip.open(head, "wt", encoding="utf-8") as part:
        for number, line in enumerate(full):
            if number > 2500:
                break
            part.write(line)
    monkeypatch.setenv("DATABASE_URL", clean_db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("DISCOVER_SEEDS", "5")
    get_settings.cache_clear()
    try:
        assert main(["import", str(head)]) == 0
    finally:
        get_settings.cache_clear()
    with clean_db.connect() as conn:
        summary = conn.execute(text("SELECT summary FROM agg_discover_summary")).scalar()
        clusters = conn.execute(text("SELECT label, n_tracks, top_genres FROM agg_micro_genres")).all()
        mapped = conn.execute(text("SELECT count(*) FROM agg_discover_tracks WHERE pca_x IS NOT NULL")).scalar()
    assert 4 <= summary["k"] <= 12 and len(clusters) == summary["k"]
    assert -1 < summary["silhouette"] <= 1 and str(summary["k"]) in summary["silhouettes"]
    assert summary["silhouette"] == max(summary["silhouettes"].values())
    assert sum(n for _, n, _ in clusters) == mapped > 2000
    assert all(top for _, _, top in clusters)  # each cluster names its top genres (TidyTuesday's playlist genres)
    assert summary["regression"]["model"]["rmse"] > 0


# The stage's one read of every similar-artist list before it read only those its segments reach.
EVERY_LIST = """
    WITH newest AS (
        SELECT s.*, max(observed_on) OVER (PARTITION BY artist_id) AS newest_on
        FROM similar_artists s WHERE observed_on <= :day
    ), names AS (
        SELECT DISTINCT ON (lower(name)) lower(name) AS key, artist_id FROM artists ORDER BY lower(name), artist_id
    )
    SELECT n.artist_id, coalesce(n.similar_artist_id, names.artist_id) AS similar_artist_id,
           coalesce(n.match, 0) AS match, n.source
    FROM newest n LEFT JOIN names ON names.key = lower(n.similar_name)
    WHERE n.observed_on = n.newest_on AND coalesce(n.similar_artist_id, names.artist_id) IS NOT NULL
    ORDER BY n.artist_id, n.match DESC
"""


def test_lists_read_for_some_artists_are_those_of_every_list(clean_db: Engine) -> None:
    """The stage reads only the similar-artist lists its segments reach (`read_similar` for some artists) and,
    for every artist, only which source its list has (`read_similar_bases`): both are what the one read of every
    list gave (`EVERY_LIST`), row for row, a Last.fm name resolved to the catalogue artist of that name."""
    _backfill(clean_db)
    with clean_db.begin() as conn:  # a Last.fm list naming a catalogue artist, and one naming nobody
        conn.execute(text("""
            INSERT INTO similar_artists (artist_id, similar_name, match, observed_on, source)
            SELECT a.artist_id, upper(b.name), 0.5, :day, 'lastfm' FROM artists a, artists b
            WHERE a.artist_id = (SELECT min(artist_id) FROM artists)
              AND b.artist_id = (SELECT max(artist_id) FROM artists)
            UNION ALL SELECT max(artist_id), 'Nobody Of That Name', 0.9, :day, 'lastfm' FROM artists
        """), {"day": DAY})  # fmt: skip
        # a list of two sources whose strongest entry is the later source by name (Last.fm, beside the demo's)
        conn.execute(text("""
            INSERT INTO similar_artists (artist_id, similar_name, match, observed_on, source)
            SELECT s.artist_id, b.name, 2.0, max(s.observed_on), 'lastfm' FROM similar_artists s, artists b
            WHERE s.artist_id = (SELECT artist_id FROM artists ORDER BY artist_id OFFSET 2 LIMIT 1)
              AND b.artist_id = (SELECT min(artist_id) FROM artists)
            GROUP BY s.artist_id, b.name
        """))  # fmt: skip
        # an artist whose newest list names nobody in the catalogue, and whose older list did: no list now
        conn.execute(text("""
            WITH one AS (SELECT artist_id FROM artists ORDER BY artist_id OFFSET 1 LIMIT 1), older AS (
                INSERT INTO similar_artists (artist_id, similar_name, match, observed_on, source, similar_artist_id)
                SELECT s.artist_id, s.similar_name, s.match, s.observed_on - 30, 'lastfm', s.similar_artist_id
                FROM similar_artists s JOIN one USING (artist_id)
            )
            UPDATE similar_artists s SET similar_artist_id = NULL, similar_name = 'ghost ' || s.similar_name
            FROM one WHERE s.artist_id = one.artist_id
        """))  # fmt: skip
    with clean_db.connect() as conn:
        every = pd.DataFrame(conn.execute(text(EVERY_LIST), {"day": DAY}).all(), columns=list(read_similar(
            conn=conn, day=DAY, artists=[]).columns)).astype({"match": float})  # fmt: skip
        artists = conn.execute(text("SELECT artist_id FROM artists ORDER BY artist_id")).scalars().all()
        some = [*artists[::7], artists[0], artists[-1], "no-such-artist"]
        part = read_similar(conn=conn, day=DAY, artists=some)
        bases = read_similar_bases(conn=conn, day=DAY)
    assert "lastfm" in set(every["source"]) and len(every) > len(part) > 0
    key = ["artist_id", "similar_artist_id", "match", "source"]
    expected = every[every["artist_id"].isin(some)].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(part.sort_values(key).reset_index(drop=True), expected, check_dtype=False)
    first = every.drop_duplicates("artist_id").set_index("artist_id")["source"]
    assert artists[1] not in first.index and first[artists[2]] == "lastfm"
    pd.testing.assert_series_equal(bases.sort_index(), first.sort_index(), check_names=False, check_dtype=False)


def test_read_tracks_gives_float_sound_and_nan_where_a_track_has_none(clean_db: Engine) -> None:
    """`read_tracks` reads the sound the stage uses as float64 straight from Arrow (no per-column conversion
    after), a track without audio features NaN there, and no unused feature (key, mode, time_signature)."""
    _backfill(clean_db)
    with clean_db.begin() as conn:
        gone = conn.execute(text("DELETE FROM track_audio_features WHERE track_id = (SELECT min(track_id)"
                                 " FROM track_audio_features) RETURNING track_id")).scalar_one()  # fmt: skip
    with clean_db.connect() as conn:
        tracks = read_tracks(conn=conn, day=DAY, hit_metric="spotify_popularity")
    numeric = [*SOUND_FEATURES, "duration_ms", "popularity"]
    assert all(tracks[c].dtype == np.float64 for c in numeric), tracks.dtypes
    assert tracks["has_audio"].dtype == bool and tracks["explicit"].dtype == "boolean"
    assert not {"key", "mode", "time_signature"} & set(tracks.columns)
    row = tracks.set_index("track_id").loc[gone]
    assert not row["has_audio"] and row[SOUND_FEATURES].isna().all()
    assert tracks.loc[tracks["has_audio"], SOUND_FEATURES].notna().all().all()
