"""Alerts: spikes against an artist's own trend, built incrementally (the `agg_alerts` builder of a publication).

A spike is today's change in a metric against the mean and spread of the artist's daily changes over the
previous four weeks (the 30-day window ending on the publication's day, one value a day, the first source by
name; at least `ALERT_MIN_HISTORY_DAYS` changes; a floor on the spread keeps rounding noise of small numbers
from ringing). What the test needs from the window is kept per (artist, metric) in `alert_windows`
(migration 0020): the newest value, the day's change, and the count, sum and sum of squares of the usual
changes, as exact numerics. A daily run advances it by one day, reading only four days of observations:
the new day, the kept day (to check it still matches), the day leaving the window and the one after it (the
change that stops counting). `write_alerts` (the `agg_alerts` builder, `jobs.aggregate.build_alerts`) then
scores from the kept sums, and reads the 30 days of the few spiking artists only, for the day each spike began.

The window is rebuilt from the 30 days (`rebuild_windows`, what every run did before) when it cannot be
advanced exactly: no kept window, one not for the day before, or observations of a day the window already
covers loaded since (`observations_from`: a backfill, an import, a re-run of the day, or a run that loaded and
failed before publishing, `jobs.pipeline.loaded_since_publication`).
Artists whose kept window no longer matches the observations (a value of the kept day that changed or
appeared since, e.g. from a lookup; a gap after the day leaving the window) are rebuilt one by one. The
window is written in the publication's transaction: it rolls back with a failed run.

    pytest tests/test_alerts_incremental.py      # the advanced window against a rebuild, day by day
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import Connection, text

logger = logging.getLogger(__name__)

ALERT_METRICS = ("spotify_popularity", "spotify_followers", "lastfm_listeners", "lastfm_playcount")
ALERT_MIN_HISTORY_DAYS = 14
ALERT_MIN_ZSCORE = 3.0
ALERT_LIMIT = 200
WINDOW_DAYS = 30  # the window's days, its last one included
REBUILD_SHARE = 0.05  # more artists than this share out of step: rebuild the whole window instead

# One value per (artist, metric, day) in [first, last] (the first source by name wins); `only` narrows it.
_ONE_PER_DAY = """
    SELECT DISTINCT ON (o.entity, o.metric, o.observed_on) o.entity, o.metric, o.observed_on, o.value
    FROM observations o
    JOIN observation_entities e ON e.entity = o.entity
    JOIN observation_sources s ON s.source = o.source
    WHERE e.entity_type = 'artist' AND o.metric = ANY(:metrics) {only}
      AND o.observed_on BETWEEN {first} AND {last}
    ORDER BY o.entity, o.metric, o.observed_on, s.name
"""
_FIRST = f"CAST(:day AS date) - {WINDOW_DAYS - 1}"

# Each day of the window with its change from the day before it in the window (NULL on the first).
_DAILY = f"""
    SELECT entity, metric, observed_on, value, lag(observed_on) OVER w AS prev_on,
           value - lag(value) OVER w AS change, max(observed_on) OVER (PARTITION BY entity, metric) AS last_on
    FROM ({_ONE_PER_DAY.format(first=_FIRST, last=":day", only="{only}")}) p
    WINDOW w AS (PARTITION BY entity, metric ORDER BY observed_on)
"""

_COLUMNS = "entity, metric, last_on, last_value, pending_change, pending_prev_on, n_changes, sum_change, sum_square"

# The kept window of day `:day`, from its 30 days of observations.
_BUILD = f"""
    INSERT INTO alert_windows ({_COLUMNS})
    SELECT entity, metric, max(last_on), max(value) FILTER (WHERE observed_on = last_on),
           max(change) FILTER (WHERE observed_on = :day), max(prev_on) FILTER (WHERE observed_on = :day),
           count(change) FILTER (WHERE observed_on < :day),
           coalesce(sum(CAST(change AS numeric)) FILTER (WHERE observed_on < :day), 0),
           coalesce(sum(CAST(change AS numeric) * CAST(change AS numeric)) FILTER (WHERE observed_on < :day), 0)
    FROM ({_DAILY.format(only="{only}")}) d
    GROUP BY entity, metric
"""


def _day(first: str) -> str:
    return _ONE_PER_DAY.format(first=first, last=first, only="")


_NEW, _KEPT_DAY = _day("CAST(:day AS date)"), _day("CAST(:day AS date) - 1")
_LEAVING, _AFTER_LEAVING = _day(f"CAST(:day AS date) - {WINDOW_DAYS}"), _day(f"CAST(:day AS date) - {WINDOW_DAYS - 1}")

# Artists the one-day step cannot advance exactly: the kept day's value changed, appeared or went since the
# window was kept, or the day leaving the window is not followed by the next day (the change that stops
# counting is further on).
_OUT_OF_STEP = f"""
    SELECT coalesce(w.entity, k.entity) FROM (
        SELECT entity, metric, last_value FROM alert_windows WHERE last_on = CAST(:day AS date) - 1
    ) w FULL JOIN ({_KEPT_DAY}) k ON k.entity = w.entity AND k.metric = w.metric
    WHERE w.entity IS NULL OR k.entity IS NULL OR k.value <> w.last_value
    UNION
    SELECT g.entity FROM ({_LEAVING}) g LEFT JOIN ({_AFTER_LEAVING}) a USING (entity, metric) WHERE a.entity IS NULL
"""

# The kept window of `:day` - 1 advanced to `:day`, for the artists in step. The day's change from the newest
# value joins the usual changes the next day if the value before it stays in the window; the change after the
# day leaving the window stops counting.
_ADVANCE = f"""
    INSERT INTO _alert_next ({_COLUMNS})
    SELECT coalesce(w.entity, n.entity), coalesce(w.metric, n.metric),
           CASE WHEN n.entity IS NULL THEN w.last_on ELSE CAST(:day AS date) END, coalesce(n.value, w.last_value),
           CASE WHEN w.last_on >= {_FIRST} THEN n.value - w.last_value END,
           CASE WHEN w.last_on >= {_FIRST} AND n.entity IS NOT NULL THEN w.last_on END,
           coalesce(w.n_changes, 0) + CAST(joining IS NOT NULL AS integer) - CAST(leaving IS NOT NULL AS integer),
           coalesce(w.sum_change, 0) + coalesce(joining, 0) - coalesce(leaving, 0),
           coalesce(w.sum_square, 0) + coalesce(joining * joining, 0) - coalesce(leaving * leaving, 0)
    FROM alert_windows w
    FULL JOIN ({_NEW}) n ON n.entity = w.entity AND n.metric = w.metric
    LEFT JOIN ({_LEAVING}) g ON g.entity = w.entity AND g.metric = w.metric
    LEFT JOIN ({_AFTER_LEAVING}) a ON a.entity = w.entity AND a.metric = w.metric,
    LATERAL (
        SELECT CASE WHEN w.pending_prev_on >= {_FIRST} THEN CAST(w.pending_change AS numeric) END AS joining,
               CASE WHEN a.entity IS NOT NULL THEN CAST(a.value - g.value AS numeric) END AS leaving
    ) l
    WHERE (n.entity IS NOT NULL OR w.last_on >= {_FIRST})
      AND coalesce(w.entity, n.entity) <> ALL(CAST(:out_of_step AS integer[]))
"""


def metric_codes(conn: Connection) -> list[int]:
    rows = conn.execute(text("SELECT metric FROM observation_metrics WHERE name = ANY(:names)"),
                        {"names": list(ALERT_METRICS)})  # fmt: skip
    return [int(code) for (code,) in rows]


def rebuild_windows(conn: Connection, day: date, metrics: list[int], entities: list[int] | None = None) -> None:
    """Build the kept window of `day` from its 30 days of observations: every artist's (after emptying the table),
    or only `entities`' (their rows must not be in the table)."""
    if entities is None:
        conn.execute(text("TRUNCATE alert_windows"))
    elif not entities:
        return
    only = "" if entities is None else "AND o.entity = ANY(:entities)"
    conn.execute(text(_BUILD.format(only=only)), {"day": day, "metrics": metrics, "entities": entities})


def advance_windows(conn: Connection, day: date, metrics: list[int]) -> int:
    """Advance the kept window of the day before `day` to `day` (reading three days); return the artists that
    were out of step and rebuilt from their 30 days, or -1 when so many were that the whole window was rebuilt."""
    values = {"day": day, "metrics": metrics}
    out_of_step = [int(e) for (e,) in conn.execute(text(_OUT_OF_STEP), values)]
    kept = int(conn.execute(text("SELECT count(DISTINCT entity) FROM alert_windows")).scalar_one())
    if len(out_of_step) > REBUILD_SHARE * max(kept, 1):
        rebuild_windows(conn, day, metrics)
        return -1
    conn.execute(text("CREATE TEMP TABLE _alert_next (LIKE alert_windows) ON COMMIT DROP"))
    conn.execute(text(_ADVANCE), {**values, "out_of_step": out_of_step})
    conn.execute(text("TRUNCATE alert_windows"))
    conn.execute(text(f"INSERT INTO alert_windows ({_COLUMNS}) SELECT {_COLUMNS} FROM _alert_next"))
    conn.execute(text("DROP TABLE _alert_next"))
    rebuild_windows(conn, day, metrics, out_of_step)
    return len(out_of_step)


def keep_window(conn: Connection, day: date, metrics: list[int], observations_from: date | None) -> str:
    """Bring `alert_windows` to `day` (`observations_from`: the oldest day whose observations changed since the
    last publication, None when none did): kept as is, advanced by a day, or rebuilt; return which, for the log."""
    kept = conn.execute(text("SELECT day FROM alert_window_day")).scalar()
    changed_kept = observations_from is not None and kept is not None and observations_from <= kept
    if kept == day and not changed_kept:
        how = "kept"
    elif kept == day - timedelta(days=1) and not changed_kept:
        rebuilt = advance_windows(conn, day, metrics)
        how = "rebuilt (too many out of step)" if rebuilt < 0 else f"advanced ({rebuilt} artists rebuilt)"
    else:
        rebuild_windows(conn, day, metrics)
        how = "rebuilt"
    conn.execute(
        text("INSERT INTO alert_window_day (day) VALUES (:day) ON CONFLICT (only_row) DO UPDATE SET day = :day"),
        {"day": day},
    )
    return how


# Today's spikes from the kept window, with the artist (which must be in the catalogue), strongest first.
_SPIKES = """
    WITH stats AS (
        SELECT entity, metric, last_value AS today_value, pending_change AS today_change,
               CAST(sum_change / n_changes AS double precision) AS mean_change,
               CASE WHEN n_changes > 1 THEN CAST(sqrt(greatest(
                   (sum_square - sum_change * sum_change / n_changes) / (n_changes - 1), 0)) AS double precision)
               END AS sd_change
        FROM alert_windows
        WHERE last_on = :day AND pending_change IS NOT NULL AND n_changes >= :min_days AND n_changes > 0
    ), scored AS (
        SELECT *, (today_change - mean_change)
                  / greatest(sd_change, 1.0, 0.001 * abs(today_value - today_change)) AS zscore
        FROM stats
    )
    SELECT s.*, e.entity_id AS artist_id FROM scored s
    JOIN observation_entities e ON e.entity = s.entity
    JOIN artists a ON a.artist_id = e.entity_id
    WHERE s.zscore >= :min_z
    ORDER BY s.zscore DESC
    LIMIT :limit
"""

# The spikes written for the publication, each with the day its unusual run began: after the last day before
# today whose change was not unusual (read from the 30 days of the spiking artists only).
_INSERT = f"""
    WITH spikes AS (
        SELECT * FROM unnest(CAST(:entity AS integer[]), CAST(:metric AS smallint[]), CAST(:z AS float8[]),
                             CAST(:mean AS float8[]), CAST(:sd AS float8[]))
                 AS t(entity, metric, zscore, mean_change, sd_change)
    ), ordinary AS (
        SELECT d.entity, d.metric, max(d.observed_on) AS last_ordinary
        FROM ({_DAILY.format(only="AND o.entity = ANY(:entity)")}) d JOIN spikes s USING (entity, metric)
        WHERE d.observed_on < :day AND d.change IS NOT NULL
          AND (d.change - s.mean_change) / greatest(s.sd_change, 1.0, 0.001 * abs(d.value - d.change)) < :min_z
        GROUP BY d.entity, d.metric
    )
    INSERT INTO agg_alerts (publication_id, artist_id, name, genre, metric, observed_on, value, expected,
                            zscore, change, usual_change, since)
    SELECT :pid, a.artist_id, a.name, coalesce(a.genre, 'unknown'), m.name, :day, w.last_value,
           w.last_value - w.pending_change + s.mean_change, s.zscore, w.pending_change, s.mean_change,
           coalesce(o.last_ordinary + 1, {_FIRST} + 1)
    FROM spikes s
    JOIN alert_windows w ON w.entity = s.entity AND w.metric = s.metric
    JOIN observation_entities e ON e.entity = s.entity
    JOIN artists a ON a.artist_id = e.entity_id
    JOIN observation_metrics m ON m.metric = s.metric
    LEFT JOIN ordinary o ON o.entity = s.entity AND o.metric = s.metric
"""


def write_alerts(*, conn: Connection, publication_id: int, day: date, observations_from: date | None) -> int:
    """Bring the kept window to `day`, then write its spikes into `agg_alerts` for the publication."""
    metrics = metric_codes(conn)
    how = keep_window(conn, day, metrics, observations_from)
    values = {"day": day, "min_days": ALERT_MIN_HISTORY_DAYS, "min_z": ALERT_MIN_ZSCORE, "limit": ALERT_LIMIT,
              "metrics": metrics}  # fmt: skip
    spikes = conn.execute(text(_SPIKES), values).all()
    logger.info("alert window %s for %s: %d spikes", how, day, len(spikes))
    if not spikes:
        return 0
    columns = {"entity": "entity", "metric": "metric", "z": "zscore", "mean": "mean_change", "sd": "sd_change"}
    arrays = {key: [getattr(row, name) for row in spikes] for key, name in columns.items()}
    result = conn.execute(text(_INSERT), {**values, **arrays, "pid": publication_id})
    return int(result.rowcount or 0)
