"""The discover stage through the real pipeline on PostgreSQL: one publication holds every discover table, the
demo network feeds segments, collaboration ideas skip existing partners, and a TidyTuesday import gets
micro-genres with their silhouette reported."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from jobs import lock, pipeline
from jobs.cli import main
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
