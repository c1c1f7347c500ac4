"""The leaderboard and seasonality builders read the narrow coded `observations` (jobs/aggregate.py) and give
exactly what the old queries over the text view `raw_observations` gave (kept here as the oracle), on a demo
history of 36 days (every growth window) with a second and a third source that disagree on some days (the
first source by name wins), an artist seen only in the older weeks, one with only an unpublished metric, and a
"lower wins" chart position of the tracks."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine, text

from core.hit_definition import HitDefinition
from jobs import aggregate, lock, pipeline
from tests.factories import DAY, config, tiny_source

_OLD_METRICS_AT = """
    SELECT entity_id AS artist_id,
           max(value) FILTER (WHERE metric = 'spotify_popularity') AS popularity,
           max(value) FILTER (WHERE metric = 'spotify_followers') AS followers,
           max(value) FILTER (WHERE metric = 'lastfm_listeners') AS listeners
    FROM (
        SELECT DISTINCT ON (entity_id, metric) entity_id, metric, value
        FROM raw_observations
        WHERE entity_type = 'artist' AND observed_on BETWEEN CAST(:day AS date) - {back} - 6
                                                         AND CAST(:day AS date) - {back}
        ORDER BY entity_id, metric, observed_on DESC, source
    ) latest
    GROUP BY entity_id
"""
OLD_LEADERBOARD = f"""
    SELECT :pid AS publication_id, a.artist_id, a.name, coalesce(a.genre, 'unknown') AS genre,
           cur.popularity, cur.popularity - w1.popularity AS popularity_7d,
           cur.popularity - w4.popularity AS popularity_28d,
           cur.followers, 100 * (cur.followers / nullif(w1.followers, 0) - 1) AS followers_7d_pct,
           100 * (cur.followers / nullif(w4.followers, 0) - 1) AS followers_28d_pct,
           cur.listeners, 100 * (cur.listeners / nullif(w1.listeners, 0) - 1) AS listeners_7d_pct,
           100 * (cur.listeners / nullif(w4.listeners, 0) - 1) AS listeners_28d_pct,
           coalesce(n.n_tracks, 0) AS n_tracks
    FROM ({_OLD_METRICS_AT.format(back=0)}) cur
    JOIN artists a USING (artist_id)
    LEFT JOIN ({_OLD_METRICS_AT.format(back=7)}) w1 USING (artist_id)
    LEFT JOIN ({_OLD_METRICS_AT.format(back=28)}) w4 USING (artist_id)
    LEFT JOIN (
        SELECT ta.artist_id, count(*) AS n_tracks
        FROM track_artists ta JOIN tracks t USING (track_id)
        WHERE t.release_date IS NULL OR t.release_date <= :day
        GROUP BY ta.artist_id
    ) n USING (artist_id)
"""
OLD_PEAKS = """
    SELECT t.track_id, t.release_date, t.release_date_precision,
           coalesce(t.genre, a.genre, 'unknown') AS genre, p.peak
    FROM tracks t
    LEFT JOIN track_artists ta ON ta.track_id = t.track_id AND ta.position = 0
    LEFT JOIN artists a ON a.artist_id = ta.artist_id
    LEFT JOIN (
        SELECT entity_id AS track_id, {best}(value) AS peak
        FROM raw_observations
        WHERE entity_type = 'track' AND metric = :metric AND observed_on <= :day
        GROUP BY entity_id
    ) p ON p.track_id = t.track_id
    WHERE t.release_date IS NOT NULL AND t.release_date <= :day
"""
PRECISE = "release_date_precision IN ('day', 'month')"
CLOSED = "release_date <= CAST(:day AS date) - CAST(:horizon AS integer)"
OLD_SEASONALITY = f"""
    SELECT :pid, genre, extract(year FROM release_date), extract(month FROM release_date), count(*),
           count(*) FILTER (WHERE peak {{op}} :threshold), avg(peak)
    FROM ({OLD_PEAKS}) tp WHERE {PRECISE} AND {CLOSED} AND peak IS NOT NULL GROUP BY 2, 3, 4
"""
OLD_EXCLUDED = f"""
    SELECT :pid, genre, extract(year FROM release_date), count(*) FILTER (WHERE NOT coalesce({PRECISE}, false)),
           count(*) FILTER (WHERE {PRECISE} AND NOT {CLOSED})
    FROM ({OLD_PEAKS}) tp WHERE peak IS NOT NULL AND (NOT coalesce({PRECISE}, false) OR NOT {CLOSED}) GROUP BY 2, 3
"""


@pytest.fixture
def history(clean_db: Engine) -> Engine:
    """36 days of a tiny market, then two more sources: "aaa" (first by name) disagrees on some artist days,
    "zzz" (last) on others; one artist keeps only its observations older than two weeks, another only one
    metric that no column shows."""
    with lock.exclusive_run(clean_db):
        pipeline.backfill(clean_db, tiny_source(), end_date=DAY, days=36, trigger="cli", requested_by="test",
                          config=config())  # fmt: skip
    with clean_db.begin() as conn:
        conn.execute(text("INSERT INTO observation_sources (name) VALUES ('aaa'), ('zzz')"))
        conn.execute(text("INSERT INTO observation_metrics (name) VALUES ('lastfm_playcount'), ('chart_position')"))
        conn.execute(
            text("""
            INSERT INTO observations (entity, metric, source, observed_on, value)
            SELECT o.entity, (SELECT metric FROM observation_metrics WHERE name = 'chart_position'), o.source,
                   o.observed_on, 101 - o.value
            FROM observations o JOIN observation_entities e ON e.entity = o.entity AND e.entity_type = 'track'
        """)
        )
        artists = [e for (e,) in conn.execute(text(
            "SELECT entity FROM observation_entities WHERE entity_type = 'artist' ORDER BY entity_id"))]  # fmt: skip
        for name, share, shift in (("aaa", 3, 5.0), ("zzz", 2, -7.0)):
            conn.execute(
                text("""
                    INSERT INTO observations (entity, metric, source, observed_on, value)
                    SELECT o.entity, o.metric, (SELECT source FROM observation_sources WHERE name = :name),
                           o.observed_on, o.value + :shift
                    FROM observations o
                    WHERE o.entity = ANY(:artists)
                      AND (o.entity + o.metric + o.observed_on - DATE '2000-01-01') % :share = 0
                      AND o.source NOT IN (SELECT source FROM observation_sources WHERE name IN ('aaa', 'zzz'))
                """),
                {"name": name, "share": share, "shift": shift, "artists": artists},
            )  # fmt: skip
        conn.execute(text("DELETE FROM observations WHERE entity = :e AND observed_on > CAST(:day AS date) - 14"),
                     {"e": artists[0], "day": DAY})  # fmt: skip
        conn.execute(
            text("DELETE FROM observations WHERE entity = :e AND observed_on >= CAST(:day AS date) - 6"),
            {"e": artists[1], "day": DAY},
        )
        conn.execute(
            text("INSERT INTO observations (entity, metric, source, observed_on, value) SELECT :e,"
                 " (SELECT metric FROM observation_metrics WHERE name = 'lastfm_playcount'), 1, :day, 12345"),
            {"e": artists[1], "day": DAY},
        )  # fmt: skip
    return clean_db


def _rows(conn: Connection, sql: str, values: dict) -> list[tuple]:
    return sorted(tuple(row) for row in conn.execute(text(sql), values))


def test_leaderboard_over_the_narrow_storage_is_the_old_view_query(history: Engine) -> None:
    values = {"pid": 0, "day": DAY}
    with history.connect() as conn:
        old, new = _rows(conn, OLD_LEADERBOARD, values), _rows(conn, aggregate.ARTIST_LEADERBOARD_SELECT, values)
        ties = conn.execute(text("SELECT count(*) FROM raw_observations WHERE source = 'aaa'")).scalar()
    assert ties and len(new) == len(old) > 50
    assert new == old
    assert any(row[4] is None and row[7] is None and row[10] is None for row in new)  # only the playcount today


@pytest.mark.parametrize(
    "hit", [HitDefinition("spotify_popularity", 40.0, 7), HitDefinition("chart_position", 30.0, 14)]
)
def test_seasonality_over_the_narrow_storage_is_the_old_view_query(history: Engine, hit: HitDefinition) -> None:
    values = {"pid": 0, "day": DAY, "metric": hit.metric, "threshold": hit.threshold, "horizon": hit.horizon_days}
    with history.connect() as conn, conn.begin() as transaction:
        pid = conn.execute(
            text("INSERT INTO publications (run_id, snapshot_date, source, is_demo, hit_definition)"
                 " SELECT run_id, snapshot_date, source, is_demo, hit_definition FROM publications LIMIT 1"
                 " RETURNING publication_id"),
        ).scalar_one()  # fmt: skip
        aggregate.build_seasonality(conn, aggregate.AggregateParams(pid, DAY, hit))
        columns = "publication_id, genre, release_year, release_month, n_tracks, n_hits, mean_popularity"
        new = _rows(conn, f"SELECT {columns} FROM agg_seasonality WHERE publication_id = :p", {"p": pid})
        excluded = _rows(conn, "SELECT publication_id, genre, release_year, n_tracks, n_open"
                               " FROM agg_seasonality_excluded WHERE publication_id = :p", {"p": pid})  # fmt: skip
        old = _rows(conn, OLD_SEASONALITY.format(op=hit.operator, best=hit.best), {**values, "pid": pid})
        old_excluded = _rows(conn, OLD_EXCLUDED.format(best=hit.best), {**values, "pid": pid})
        transaction.rollback()
    assert new and len(new) == len(old)
    assert [row[:6] for row in new] == [row[:6] for row in old]
    assert [row[6] for row in new] == pytest.approx([row[6] for row in old], rel=1e-12)  # avg: summation order
    assert excluded == old_excluded and excluded
