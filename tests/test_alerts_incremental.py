"""Incremental alerts (jobs/alerts.py) against the full 30-day rescan every run did before, on the same data.

A seeded market of artists with ordinary wobble, spikes, missing days (also on the day leaving the window
and the one after it), artists that appear and stop, two sources on some days, a track on the same metric
and a late row that changes a kept day's value (a lookup, a second source) is loaded day by day. After each
day the kept window is advanced by one day, and must equal a rebuild from the 30 days row for row (exact
numerics), and the alerts written must be the rescan's (`RESCAN`, the SQL every run ran before, verbatim
apart from SELECT instead of INSERT).

    pytest tests/test_alerts_incremental.py
"""

from __future__ import annotations

import json
import logging
import random
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text

from jobs import alerts
from jobs.alerts import ALERT_LIMIT, ALERT_METRICS, ALERT_MIN_HISTORY_DAYS, ALERT_MIN_ZSCORE, write_alerts
from jobs.load import load_batch
from jobs.runs import start_run
from jobs.sources.base import SourceBatch
from tests.conftest import start_clean


@pytest.fixture(autouse=True)
def _from_a_migrated_database(engine: Engine) -> None:
    """Each test loads its own market inside a rolled-back transaction: start from no rows, whatever a file run
    before this one in the same process left committed (a load, an import)."""
    start_clean(engine)


FIRST_DAY = date(2026, 3, 1)
DAYS = 48
CHECKED_FROM = FIRST_DAY + timedelta(days=31)  # the kept window is first rebuilt here, then advanced daily
LATE_DAY = FIRST_DAY + timedelta(days=38)  # after its window is kept, a row changes this day's value

RESCAN = """
    WITH daily AS (
        SELECT entity_id AS artist_id, metric, observed_on, value,
               value - lag(value) OVER (PARTITION BY entity_id, metric ORDER BY observed_on) AS change
        FROM (
            SELECT DISTINCT ON (entity_id, metric, observed_on) entity_id, metric, observed_on, value
            FROM raw_observations
            WHERE entity_type = 'artist' AND metric = ANY(:metrics)
              AND observed_on BETWEEN CAST(:day AS date) - 29 AND :day
            ORDER BY entity_id, metric, observed_on, source
        ) one_per_day
    ), stats AS (
        SELECT artist_id, metric,
               avg(change) FILTER (WHERE observed_on < :day) AS mean_change,
               stddev_samp(change) FILTER (WHERE observed_on < :day) AS sd_change,
               count(change) FILTER (WHERE observed_on < :day) AS n_days,
               max(change) FILTER (WHERE observed_on = :day) AS today_change,
               max(value) FILTER (WHERE observed_on = :day) AS today_value
        FROM daily GROUP BY artist_id, metric
    ), scored AS (
        SELECT *, (today_change - mean_change)
                  / greatest(sd_change, 1.0, 0.001 * abs(today_value - today_change)) AS zscore
        FROM stats
        WHERE n_days >= :min_days AND today_change IS NOT NULL
    ), ordinary AS (
        SELECT d.artist_id, d.metric, max(d.observed_on) AS last_ordinary
        FROM daily d JOIN scored s USING (artist_id, metric)
        WHERE s.zscore >= :min_z AND d.observed_on < :day AND d.change IS NOT NULL
          AND (d.change - s.mean_change)
              / greatest(s.sd_change, 1.0, 0.001 * abs(d.value - d.change)) < :min_z
        GROUP BY d.artist_id, d.metric
    )
    SELECT s.artist_id, a.name, coalesce(a.genre, 'unknown') AS genre, s.metric, CAST(:day AS date) AS observed_on,
           s.today_value AS value, s.today_value - s.today_change + s.mean_change AS expected, s.zscore,
           s.today_change AS change, s.mean_change AS usual_change,
           coalesce(o.last_ordinary + 1, CAST(:day AS date) - 28) AS since
    FROM scored s JOIN artists a USING (artist_id)
    LEFT JOIN ordinary o USING (artist_id, metric)
    WHERE s.zscore >= :min_z
    ORDER BY s.zscore DESC
    LIMIT :limit
"""
COLUMNS = "artist_id, name, genre, metric, observed_on, value, expected, zscore, change, usual_change, since"


def market(rng: random.Random, gappy: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Artists and their daily observations: wobble, spikes, gaps, late starters, early stoppers, 2 sources
    (`gappy`: every fifth artist misses 30% of its days, the others 3%; else none misses a day)."""
    artists = pd.DataFrame({"artist_id": [f"t:a{i}" for i in range(40)], "name": [f"A{i}" for i in range(40)],
                            "genre": ["pop", "rock"] * 20, "source": "t"})  # fmt: skip
    rows = []
    for i, artist in enumerate(artists["artist_id"]):
        start, stop = (rng.randrange(0, 25) if i % 7 == 3 else 0), (DAYS - rng.randrange(3, 12) if i % 9 == 4 else DAYS)
        for metric, level, step in (("spotify_popularity", 40, 1), ("spotify_followers", 20_000, 150),
                                    ("lastfm_listeners", 5_000, 40)):  # fmt: skip
            value = float(level)
            for offset in range(start, stop):
                value += step * rng.choice((-1, 0, 1, 1)) + (step * 12 if rng.random() < 0.04 else 0)
                if gappy and rng.random() < (0.3 if i % 5 == 1 else 0.03):
                    continue  # a missing day
                day = FIRST_DAY + timedelta(days=offset)
                rows.append(("artist", artist, metric, day, "z_src", round(value)))
                if rng.random() < 0.1:  # a second source, first by name: its value is the day's
                    rows.append(("artist", artist, metric, day, "a_src", round(value) + step))
    rows += [("track", "t:track", "spotify_popularity", FIRST_DAY + timedelta(days=d), "z_src", 10 * d)
             for d in range(DAYS)]  # fmt: skip
    observations = pd.DataFrame(rows, columns=["entity_type", "entity_id", "metric", "observed_on", "source", "value"])
    return artists, observations


def load(conn: Connection, artists: pd.DataFrame, observations: pd.DataFrame) -> None:
    load_batch(conn=conn, batch=SourceBatch(source="t", artists=artists, observations=observations), run_id=None)


def publication(conn: Connection, day: date) -> int:
    run_id = start_run(conn=conn, kind="refresh", trigger="cli", source="t", snapshot_date=day, requested_by="t")
    sql = "INSERT INTO publications (run_id, snapshot_date, source, is_demo) VALUES (:r, :d, 't', false)"
    return int(conn.execute(text(sql + " RETURNING publication_id"), {"r": run_id, "d": day}).scalar_one())


def written(conn: Connection, pid: int) -> list[tuple]:
    rows = conn.execute(text(f"SELECT {COLUMNS} FROM agg_alerts WHERE publication_id = :p ORDER BY zscore DESC"),
                        {"p": pid})  # fmt: skip
    return [tuple(row) for row in rows]


def rescanned(conn: Connection, day: date) -> list[tuple]:
    values = {"day": day, "metrics": list(ALERT_METRICS), "min_days": ALERT_MIN_HISTORY_DAYS,
              "min_z": ALERT_MIN_ZSCORE, "limit": ALERT_LIMIT}  # fmt: skip
    return [tuple(row) for row in conn.execute(text(RESCAN), values)]


def window_lines(records: list[logging.LogRecord]) -> list[str]:
    """How each write_alerts call brought the window to its day ("alert window advanced (3 artists rebuilt)")."""
    return [r.getMessage().split(" for ")[0] for r in records if r.getMessage().startswith("alert window")]


def kept(conn: Connection) -> list[tuple]:
    return [tuple(r) for r in conn.execute(text("SELECT * FROM alert_windows ORDER BY entity, metric"))]


def rebuilt(conn: Connection, day: date) -> list[tuple]:
    """The kept window rebuilt from the 30 days (in a savepoint, rolled back)."""
    savepoint = conn.begin_nested()
    write_alerts(conn=conn, publication_id=publication(conn, day), day=day, observations_from=date.min)
    rows = kept(conn)
    savepoint.rollback()
    return rows


def same_alerts(got: list[tuple], expected: list[tuple]) -> bool:
    """Equal rows; the float columns (value .. usual_change) to 1e-9 relative: sums are exact numerics here,
    PostgreSQL's avg and stddev_samp float8 there."""
    if len(got) != len(expected):
        return False
    return all(g[:5] == e[:5] and g[10] == e[10] and g[5:10] == pytest.approx(e[5:10], rel=1e-9)
               for g, e in zip(got, expected, strict=True))  # fmt: skip


def test_the_window_advanced_day_by_day_equals_a_rebuild_and_gives_the_rescans_alerts(
    conn: Connection, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(alerts, "REBUILD_SHARE", 1.0)  # always advance, rebuilding only the artists out of step
    artists, observations = market(random.Random(42))
    conn.execute(text("INSERT INTO observation_sources (name) VALUES ('z_src'), ('a_src')"))  # codes != name order
    late = (observations["observed_on"] == LATE_DAY) & (observations["source"] == "a_src")
    observations, late_rows = observations[~late], observations[late]
    assert len(late_rows) > 0
    load(conn, artists, observations[observations["observed_on"] < CHECKED_FROM])
    days, spikes, hows = [], 0, []
    for offset in range((CHECKED_FROM - FIRST_DAY).days, DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        load(conn, artists, observations[observations["observed_on"] == day])
        if day == LATE_DAY + timedelta(days=1):
            load(conn, artists, late_rows)  # after the window of LATE_DAY was kept
        pid = publication(conn, day)
        before = len(caplog.records)  # count this call's lines only (logging may be set up by an earlier test)
        with caplog.at_level("INFO", logger="jobs.alerts"):
            write_alerts(conn=conn, publication_id=pid, day=day, observations_from=day)
        hows += window_lines(caplog.records[before:])
        days.append(conn.execute(text("SELECT day FROM alert_window_day")).scalar_one())
        assert kept(conn) == rebuilt(conn, day), f"the kept window of {day} is not the rebuilt one"
        got, expected = written(conn, pid), rescanned(conn, day)
        assert same_alerts(got, expected), f"alerts of {day}: {got} != {expected}"
        spikes += len(got)
    assert days == [FIRST_DAY + timedelta(days=o) for o in range((CHECKED_FROM - FIRST_DAY).days, DAYS)]
    assert spikes >= 5, "the market should spike now and then"
    assert hows[0] == "alert window rebuilt" and all(h.startswith("alert window advanced") for h in hows[1:])
    assert any(not h.startswith("alert window advanced (0 ") for h in hows[1:]), "some artists were out of step"


def test_the_window_is_advanced_not_rebuilt_on_a_daily_run(conn: Connection, caplog: pytest.LogCaptureFixture) -> None:
    artists, observations = market(random.Random(7), gappy=False)
    day = FIRST_DAY + timedelta(days=40)
    load(conn, artists, observations[observations["observed_on"] < day])
    write_alerts(conn=conn, publication_id=publication(conn, day - timedelta(days=1)), day=day - timedelta(days=1),
                 observations_from=date.min)  # fmt: skip
    load(conn, artists, observations[observations["observed_on"] == day])
    before = len(caplog.records)
    with caplog.at_level("INFO", logger="jobs.alerts"):
        write_alerts(conn=conn, publication_id=publication(conn, day), day=day, observations_from=day)
        write_alerts(conn=conn, publication_id=publication(conn, day), day=day, observations_from=None)
        write_alerts(conn=conn, publication_id=publication(conn, day), day=day, observations_from=day)
    hows = window_lines(caplog.records[before:])
    assert hows[0] == "alert window advanced (0 artists rebuilt)"
    assert hows[1:] == ["alert window kept", "alert window rebuilt"]  # nothing new; then the kept day changed


def test_a_run_that_loaded_without_publishing_makes_the_next_one_rebuild(conn: Connection) -> None:
    from jobs.pipeline import loaded_since_publication

    def run(status: str, observations: int | None) -> int:
        run_id = start_run(conn=conn, kind="refresh", trigger="cli", source="t", snapshot_date=FIRST_DAY,
                           requested_by="t")  # fmt: skip
        counts = {} if observations is None else {"loaded_raw_observations": observations}
        conn.execute(text("UPDATE job_runs SET status = :s, row_counts = CAST(:c AS jsonb) WHERE run_id = :r"),
                     {"s": status, "c": json.dumps(counts), "r": run_id})  # fmt: skip
        return run_id

    published = run("succeeded", 10)
    conn.execute(text("INSERT INTO publications (run_id, snapshot_date, source, is_demo) VALUES (:r, :d, 't', false)"),
                 {"r": published, "d": FIRST_DAY})  # fmt: skip
    this = run("running", None)
    assert not loaded_since_publication(conn=conn, run_id=this)  # the run asking is not counted
    run("succeeded", 0)  # found nothing new, did not republish
    assert not loaded_since_publication(conn=conn, run_id=this)
    run("failed", None)  # its committed batches stay
    assert loaded_since_publication(conn=conn, run_id=this)
