"""The aggregates behind the scout's pages, built by the real pipeline on the demo market: seasonality leaves
out releases younger than the hit horizon (and counts them as still open); an alert carries the day's change,
the usual daily change and the day the unusual run began.

    pytest tests/test_aggregate_scout.py
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from tests.conftest import reset_database, start_clean
from tests.dashboard_support import SNAPSHOT, seed_demo

HORIZON = 28


@pytest.fixture(scope="module")
def seeded(engine: Engine) -> Iterator[Engine]:
    start_clean(engine)
    seed_demo(engine)
    yield engine
    reset_database(engine)


def one(engine: Engine, sql: str, **params: object) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).one()


def test_seasonality_leaves_releases_younger_than_the_horizon_out_as_still_open(seeded: Engine) -> None:
    cutoff = SNAPSHOT - timedelta(days=HORIZON)
    observed = (
        "SELECT t.track_id, t.release_date, t.release_date_precision FROM tracks t"
        " WHERE t.release_date <= :day AND EXISTS (SELECT 1 FROM raw_observations o WHERE o.entity_type = 'track'"
        "   AND o.entity_id = t.track_id AND o.metric = 'spotify_popularity' AND o.observed_on <= :day)"
    )
    young, closed = one(
        seeded,
        f"SELECT count(*) FILTER (WHERE release_date > :cutoff), count(*) FILTER (WHERE release_date <= :cutoff)"
        f" FROM ({observed}) o WHERE release_date_precision IN ('day', 'month')",
        day=SNAPSHOT, cutoff=cutoff,
    )  # fmt: skip
    counted, still_open = one(
        seeded,
        "SELECT (SELECT sum(n_tracks) FROM agg_seasonality), (SELECT sum(n_open) FROM agg_seasonality_excluded)",
    )
    assert young > 0 and still_open == young  # the young ones are counted apart...
    assert counted == closed  # ...and only releases that had the horizon's days are in the rates
    latest = one(seeded, "SELECT max(make_date(release_year, release_month, 1)) FROM agg_seasonality")[0]
    assert latest <= cutoff.replace(day=1)


def test_an_alert_says_the_change_the_usual_change_and_since_when(seeded: Engine) -> None:
    with seeded.connect() as conn:
        alerts = conn.execute(
            text("SELECT artist_id, metric, observed_on, value, change, usual_change, since, zscore FROM agg_alerts")
        ).all()
        assert alerts, "the demo market's breakouts give alerts"
        for alert in alerts:
            days = dict(
                conn.execute(
                    text(
                        "SELECT observed_on, value FROM raw_observations WHERE entity_type = 'artist'"
                        " AND entity_id = :a AND metric = :m AND observed_on BETWEEN :d - 29 AND :d"
                    ),
                    {"a": alert.artist_id, "m": alert.metric, "d": alert.observed_on},
                ).all()
            )
            today, yesterday = days[alert.observed_on], days[alert.observed_on - timedelta(days=1)]
            assert alert.change == pytest.approx(today - yesterday) and alert.value == today
            ordered = sorted(days)
            changes = [days[b] - days[a] for a, b in zip(ordered, ordered[1:], strict=False) if b < alert.observed_on]
            assert alert.usual_change == pytest.approx(sum(changes) / len(changes))
            assert alert.observed_on - timedelta(days=HORIZON) <= alert.since <= alert.observed_on
