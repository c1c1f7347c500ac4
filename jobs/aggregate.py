"""The aggregate stage: build the tables the dashboard reads, for one publication.

Each builder takes the publication id and the run's parameters and writes only rows of that publication,
so the whole set becomes visible at once when `publish` commits. The SQL builders (`BUILDERS`) aggregate
inside PostgreSQL (INSERT ... SELECT); the score stage's frames are COPYed into `agg_track_scores` and
`agg_feature_importance` here too (`build_aggregates`), and `headline_counts` gives the publication summary's
headline-card figures. The discover stage brings its own builders (`jobs.discover.discover_builders`).
A builder writes into `params.table(name)`: for a table with a partition per publication
(`jobs.publication_partitions`) that is the bare table `build_aggregates` attaches after the builder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Connection, text

from core.hit_definition import HitDefinition
from jobs.alerts import write_alerts
from jobs.errors import DataQualityError
from jobs.load import copy_frame
from jobs.parallel_select import insert_selected, selected
from jobs.publication_partitions import attach, create_bare, ensure_partitions, partitioned_tables

if TYPE_CHECKING:
    from jobs.score import Scored


@dataclass(frozen=True)
class AggregateParams:
    publication_id: int
    snapshot_date: date
    # What a hit is, as the publication stores it (the active model's definition). Releases younger than its
    # horizon have not had the horizon's days: "still open".
    hit: HitDefinition = HitDefinition()
    # The oldest day whose observations changed since the last publication (None: none did). The alert window
    # kept for that publication is advanced by a day only when this is the new day; by default it is rebuilt.
    observations_from: date | None = date.min
    # Where a builder writes a table's rows when not into the table itself: the bare partition being built.
    targets: Mapping[str, str] = field(default_factory=dict)

    def table(self, name: str) -> str:
        """The table a builder writes `name`'s rows into (see `build_aggregates`)."""
        return self.targets.get(name, name)


# Each artist's latest value of each metric in the week ending on the day, 7 days and 28 days before it (the
# first source by name on a tie), pivoted to one row per artist, with `cur`: whether the artist has any
# observation in the current week. One scan of the three weeks of the narrow `observations` (integer codes; the
# month partitions outside them pruned), joined to the artists of the entity dictionary once, in one hash
# aggregate and no sort: the latest row of a week is the max of [day, -source rank, value], an array compared
# element by element; (day, source) is unique per entity and metric (the primary key), so the max is one row.
# A source's rank (its place by name, names are unique) is counted by a self-join, not row_number(): a window
# function is parallel-restricted and kept the whole scan and aggregate on one process.
_LATEST = (
    "(max(ARRAY[o.observed_on - CAST(:day AS date), -s.rank, o.value])"
    " FILTER (WHERE {week} AND o.metric = {metric}))[3]"
)
_WEEKS = {
    "": "o.observed_on >= CAST(:day AS date) - 6",
    "_w1": "o.observed_on BETWEEN CAST(:day AS date) - 13 AND CAST(:day AS date) - 7",
    "_w4": "o.observed_on <= CAST(:day AS date) - 28",
}
_METRICS = {"popularity": "spotify_popularity", "followers": "spotify_followers", "listeners": "lastfm_listeners"}
_ARTIST_WEEKS = f"""
    SELECT e.entity_id AS artist_id, bool_or({_WEEKS[""]}) AS cur,
           {
    ", ".join(
        _LATEST.format(week=week, metric=f"(SELECT metric FROM observation_metrics WHERE name = '{name}')")
        + f" AS {column}{suffix}"
        for column, name in _METRICS.items()
        for suffix, week in _WEEKS.items()
    )
}
    FROM observations o
    JOIN observation_entities e ON e.entity = o.entity
    JOIN (SELECT s1.source, CAST(count(*) AS double precision) AS rank
          FROM observation_sources s1 JOIN observation_sources s2 ON s2.name <= s1.name GROUP BY s1.source) s
      ON s.source = o.source
    WHERE e.entity_type = 'artist' AND o.observed_on BETWEEN CAST(:day AS date) - 34 AND CAST(:day AS date)
      AND o.observed_on NOT BETWEEN CAST(:day AS date) - 27 AND CAST(:day AS date) - 14
    GROUP BY e.entity
"""


# Artist level and 7/28-day growth (points for popularity, percent for followers and listeners), as
# agg_artist_leaderboard stores them (`:pid`, `:day`). Also run live, per request, by the dashboard bench's naive
# app (bench/naive_app.py): the same numbers without a precomputed table.
ARTIST_LEADERBOARD_SELECT = f"""
    SELECT :pid AS publication_id, a.artist_id, a.name, coalesce(a.genre, 'unknown') AS genre,
           w.popularity, w.popularity - w.popularity_w1 AS popularity_7d,
           w.popularity - w.popularity_w4 AS popularity_28d,
           w.followers, 100 * (w.followers / nullif(w.followers_w1, 0) - 1) AS followers_7d_pct,
           100 * (w.followers / nullif(w.followers_w4, 0) - 1) AS followers_28d_pct,
           w.listeners, 100 * (w.listeners / nullif(w.listeners_w1, 0) - 1) AS listeners_7d_pct,
           100 * (w.listeners / nullif(w.listeners_w4, 0) - 1) AS listeners_28d_pct,
           coalesce(n.n_tracks, 0) AS n_tracks
    FROM ({_ARTIST_WEEKS}) w
    JOIN artists a USING (artist_id)
    LEFT JOIN (
        SELECT ta.artist_id, count(*) AS n_tracks
        FROM track_artists ta JOIN tracks t USING (track_id)
        WHERE t.release_date IS NULL OR t.release_date <= :day
        GROUP BY ta.artist_id
    ) n USING (artist_id)
    WHERE w.cur
"""


LEADERBOARD_COLUMNS = (
    "publication_id, artist_id, name, genre, popularity, popularity_7d, popularity_28d, followers, followers_7d_pct,"
    " followers_28d_pct, listeners, listeners_7d_pct, listeners_28d_pct, n_tracks"
)


def build_artist_leaderboard(conn: Connection, params: AggregateParams) -> int:
    """Artist level and 7/28-day growth (`ARTIST_LEADERBOARD_SELECT`) into agg_artist_leaderboard: selected
    into a temporary table first, then inserted in artist order. PostgreSQL runs no part of an INSERT ... SELECT
    in parallel; a CREATE TABLE AS may, so the three weeks' scan and aggregate run on the parallel workers
    (`jobs.parallel_select`)."""
    values = {"pid": params.publication_id, "day": params.snapshot_date}
    return insert_selected(conn, params.table("agg_artist_leaderboard"), LEADERBOARD_COLUMNS,
                           ARTIST_LEADERBOARD_SELECT, values, order_by="artist_id")  # fmt: skip


# Each released track's genre (its own, else its main artist's) and its peak hit metric up to the day: the
# narrow `observations` of the metric's code aggregated per integer entity (month partitions after the day
# pruned), then joined to the track dictionary once per track.
_TRACK_PEAKS = """
    SELECT t.track_id, t.release_date, t.release_date_precision,
           coalesce(t.genre, a.genre, 'unknown') AS genre, p.peak
    FROM tracks t
    LEFT JOIN track_artists ta ON ta.track_id = t.track_id AND ta.position = 0
    LEFT JOIN artists a ON a.artist_id = ta.artist_id
    LEFT JOIN (
        SELECT e.entity_id AS track_id, o.peak
        FROM (
            SELECT entity, {best}(value) AS peak
            FROM observations
            WHERE metric = (SELECT metric FROM observation_metrics WHERE name = :metric) AND observed_on <= :day
            GROUP BY entity
        ) o
        JOIN observation_entities e ON e.entity = o.entity AND e.entity_type = 'track'
    ) p ON p.track_id = t.track_id
    WHERE t.release_date IS NOT NULL AND t.release_date <= :day
"""


def build_seasonality(conn: Connection, params: AggregateParams) -> int:
    """Hit rate and mean peak by genre, release year and month, over tracks with the hit metric observed (a hit
    cannot be known otherwise) and released at least the hit horizon ago (a younger release has not had the
    horizon's days to become a hit, so counting it would make every recent month look bad). Tracks whose
    release date is known to the year only, and the younger ("still open") ones, are counted apart, into
    agg_seasonality_excluded by the same statement."""
    values = {
        "pid": params.publication_id, "day": params.snapshot_date,
        "metric": params.hit.metric, "threshold": params.hit.threshold, "horizon": params.hit.horizon_days,
    }  # fmt: skip
    peaks, is_hit = _TRACK_PEAKS.format(best=params.hit.best), f"peak {params.hit.operator} :threshold"
    precise = "release_date_precision IN ('day', 'month')"
    closed = "release_date <= CAST(:day AS date) - CAST(:horizon AS integer)"
    with selected(conn, peaks, values) as tp:  # the peaks read once, in parallel (`jobs.parallel_select`)
        result = conn.execute(
            text(f"""
            WITH excluded AS (
                INSERT INTO agg_seasonality_excluded (publication_id, genre, release_year, n_tracks, n_open)
                SELECT :pid, genre, extract(year FROM release_date),
                       count(*) FILTER (WHERE NOT coalesce({precise}, false)),
                       count(*) FILTER (WHERE {precise} AND NOT {closed})
                FROM {tp}
                WHERE peak IS NOT NULL AND (NOT coalesce({precise}, false) OR NOT {closed})
                GROUP BY 2, 3
            )
            INSERT INTO agg_seasonality (publication_id, genre, release_year, release_month, n_tracks, n_hits,
                                         mean_popularity)
            SELECT :pid, genre, extract(year FROM release_date), extract(month FROM release_date), count(*),
                   count(*) FILTER (WHERE {is_hit}), avg(peak)
            FROM {tp}
            WHERE {precise} AND {closed} AND peak IS NOT NULL
            GROUP BY 2, 3, 4
        """),
            values,
        )
    return int(result.rowcount or 0)


def build_alerts(conn: Connection, params: AggregateParams) -> int:
    """Spikes against an artist's own trend (`jobs.alerts`: kept per artist, advanced a day at a time)."""
    return write_alerts(conn=conn, publication_id=params.publication_id, day=params.snapshot_date,
                        observations_from=params.observations_from)  # fmt: skip


Builder = Callable[[Connection, AggregateParams], int]

BUILDERS: dict[str, Builder] = {
    "agg_artist_leaderboard": build_artist_leaderboard,
    "agg_seasonality": build_seasonality,
    "agg_alerts": build_alerts,
}

SCORE_COLUMNS = [
    "publication_id", "track_id", "name", "artist_id", "artist_name", "genre", "release_date",
    "days_since_release", "popularity", "momentum_7d", "is_hit", "probability",
    "contributions", "feature_values", "model_version_id",
]  # fmt: skip
IMPORTANCE_COLUMNS = ["publication_id", "feature", "gain", "mean_abs_contribution"]


def build_track_scores(conn: Connection, params: AggregateParams, scores: pd.DataFrame) -> int:
    """COPY the score stage's per-track frame into `agg_track_scores` for this publication; refuses rows of a
    model version that does not exist, and locks those it refers to against deletion until the commit (what
    the foreign key did before migration 0027; deleting a version published scores refer to is refused by a
    trigger on `model_versions`)."""
    frame = scores.assign(publication_id=params.publication_id)
    table = params.table("agg_track_scores")
    copy_frame(conn=conn, table=table, frame=frame, columns=SCORE_COLUMNS)
    missing = conn.execute(text(
        f"SELECT v.model_version_id FROM (SELECT DISTINCT model_version_id FROM {table}) v"
        " LEFT JOIN (SELECT model_version_id FROM model_versions WHERE model_version_id IN"
        f"  (SELECT model_version_id FROM {table}) FOR KEY SHARE) m USING (model_version_id)"
        " WHERE v.model_version_id IS NOT NULL AND m.model_version_id IS NULL"
    )).scalars().all()  # fmt: skip
    if missing:
        raise DataQualityError(f"agg_track_scores: scores of model versions that do not exist: {missing}")
    return len(frame)


def build_feature_importance(conn: Connection, params: AggregateParams, importance: pd.DataFrame) -> int:
    """COPY the score stage's feature importance into `agg_feature_importance` for this publication."""
    frame = importance.assign(publication_id=params.publication_id)
    copy_frame(conn=conn, table="agg_feature_importance", frame=frame, columns=IMPORTANCE_COLUMNS)
    return len(frame)


def build_aggregates(
    conn: Connection, params: AggregateParams, scored: Scored | None, extra: Mapping[str, Builder]
) -> dict[str, int]:
    """Every table of one publication: the SQL builders, the scores (when a model scored), then `extra`, in
    that order. A table with a partition per publication is written into a bare table, which is attached
    right after its builder (its indexes built then), so a later builder reads it through the table; those no
    builder wrote get an empty partition."""
    builders = dict(BUILDERS)
    if scored is not None:
        builders["agg_track_scores"] = lambda c, p: build_track_scores(c, p, scored.scores)
        builders["agg_feature_importance"] = lambda c, p: build_feature_importance(c, p, scored.importance)
    builders.update(extra)
    partitioned, pid = partitioned_tables(conn=conn), params.publication_id
    counts = {}
    for name, build in builders.items():
        if name not in partitioned:
            counts[name] = build(conn, params)
            continue
        bare = create_bare(conn=conn, table=name, publication_id=pid)
        counts[name] = build(conn, replace(params, targets={name: bare}))
        attach(conn=conn, table=name, publication_id=pid)
    ensure_partitions(conn=conn, publication_id=pid)
    return counts


def headline_counts(conn: Connection, snapshot_date: date) -> dict[str, Any]:
    """The headline cards' figures for the publication summary: artists, released tracks, the day's
    observations and which metrics they cover."""
    row = conn.execute(
        text(
            "SELECT (SELECT count(*) FROM artists) AS n_artists,"
            " (SELECT count(*) FROM tracks WHERE release_date IS NULL OR release_date <= :day) AS n_tracks,"
            " (SELECT count(*) FROM raw_observations WHERE observed_on = :day) AS n_observations,"
            " (SELECT coalesce(json_agg(DISTINCT metric), '[]') FROM raw_observations"
            "   WHERE observed_on = :day) AS metrics"
        ),
        {"day": snapshot_date},
    ).one()
    return dict(row._mapping)
