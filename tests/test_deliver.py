"""Alert delivery against a real local SMTP server (aiosmtpd) and a local HTTP webhook receiver.

    pytest tests/test_deliver.py

Every alert goes out once per channel however often the worker runs; a failing receiver is retried with
backoff (a fake clock: `now` is passed in) and every attempt is recorded in `alert_deliveries`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from jobs.deliver import DeliveryConfig, alert_events, deliver
from tests.ops_support import publish_alerts, smtp_receiver, webhook_receiver

DAY = date(2026, 6, 30)
T0 = datetime(2026, 6, 30, 7, 0, tzinfo=UTC)
ALERTS = [
    ("demo:a1", "Ana Lua", "latin", "spotify_followers", 5.0),
    ("demo:a1", "Ana Lua", "latin", "lastfm_listeners", 4.0),  # the same spike seen in a second metric
    ("demo:a2", "Bo Drift", "EDM", "spotify_popularity", 3.5),
]


def config(**overrides: Any) -> DeliveryConfig:
    return DeliveryConfig(**{"smtp_tls": "none", "smtp_to": ("scouts@example.test",), "backoff_seconds": 60.0,
                             "max_attempts": 5, "timeout": 5.0, **overrides})  # fmt: skip


def deliveries(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT delivery_key, channel, status, attempts, last_error, sent_at, next_attempt_at"
                " FROM alert_deliveries ORDER BY delivery_key, channel"
            )
        )
        return [dict(row._mapping) for row in rows]


def test_each_alert_reaches_smtp_and_webhook_exactly_once_across_two_runs(clean_db: Engine) -> None:
    publish_alerts(clean_db, DAY, ALERTS)
    with smtp_receiver() as inbox, webhook_receiver() as hook:
        settings = config(smtp_host="127.0.0.1", smtp_port=inbox.port, webhook_url=hook.url)
        first = deliver(clean_db, settings)
        second = deliver(clean_db, settings)  # the worker's next round: nothing new
        publish_alerts(clean_db, DAY, ALERTS)  # a republication of the same day: the same alerts
        third = deliver(clean_db, settings)
    assert (first.recorded, first.sent, second.recorded, second.sent, third.recorded, third.sent) == (4, 4, 0, 0, 0, 0)
    assert sorted(m["Subject"] for m in inbox.messages) == [
        "Hitscope alert: Ana Lua is spiking", "Hitscope alert: Bo Drift is spiking",
    ]  # fmt: skip
    assert {m["To"] for m in inbox.messages} == {"scouts@example.test"}
    ana = next(m for m in inbox.messages if "Ana" in m["Subject"]).get_payload()
    assert "lastfm_listeners, spotify_followers" in ana and "since 2026-06-30" in ana
    assert sorted(post["text"].splitlines()[0] for post in hook.posts) == [
        "*Hitscope alert: Ana Lua is spiking*", "*Hitscope alert: Bo Drift is spiking*",
    ]  # fmt: skip
    recorded = deliveries(clean_db)
    assert [(r["delivery_key"], r["channel"], r["status"], r["attempts"]) for r in recorded] == [
        ("alert:demo:a1:2026-06-30", "email", "sent", 1), ("alert:demo:a1:2026-06-30", "webhook", "sent", 1),
        ("alert:demo:a2:2026-06-30", "email", "sent", 1), ("alert:demo:a2:2026-06-30", "webhook", "sent", 1),
    ]  # fmt: skip
    assert all(r["sent_at"] is not None and r["last_error"] is None for r in recorded)


def test_a_spike_keyed_by_its_since_date_goes_out_once_over_the_days_it_lasts() -> None:
    """The reshaped alerts (one row per artist and spike, with `since`) key on the spike's first day."""
    day1 = [{"artist_id": "demo:a1", "name": "Ana", "genre": "pop", "metrics": ["spotify_followers"],
             "since": "2026-06-28", "observed_on": "2026-06-29"}]  # fmt: skip
    day2 = [{**day1[0], "observed_on": "2026-06-30", "metrics": ["spotify_followers", "lastfm_listeners"]}]
    assert [key for key, _, _ in alert_events(day1, {})] == ["alert:demo:a1:2026-06-28"]
    assert [key for key, _, _ in alert_events(day2, {})] == ["alert:demo:a1:2026-06-28"]


def test_a_receiver_failing_twice_is_retried_with_backoff_and_recorded(clean_db: Engine) -> None:
    publish_alerts(clean_db, DAY, ALERTS[2:])
    with webhook_receiver(fail_first=2) as hook:
        settings = config(webhook_url=hook.url)
        first = deliver(clean_db, settings, now=T0)
        after_first = deliveries(clean_db)[0]
        early = deliver(clean_db, settings, now=T0 + timedelta(seconds=59))  # backoff not over: no attempt
        second = deliver(clean_db, settings, now=T0 + timedelta(seconds=60))
        after_second = deliveries(clean_db)[0]
        third = deliver(clean_db, settings, now=T0 + timedelta(seconds=60 + 120))
    assert (first.retrying, early.retrying + early.sent, second.retrying, third.sent) == (1, 0, 1, 1)
    assert len(hook.posts) == 3  # two failures, one success, nothing after
    assert (after_first["status"], after_first["attempts"]) == ("pending", 1)
    assert after_first["next_attempt_at"] == T0 + timedelta(seconds=60)
    assert "HTTP 500" in after_first["last_error"]
    assert after_second["next_attempt_at"] == T0 + timedelta(seconds=60 + 120)  # the backoff doubled
    final = deliveries(clean_db)[0]
    assert (final["status"], final["attempts"], final["sent_at"]) == ("sent", 3, T0 + timedelta(seconds=180))
    assert "secret-token" not in after_first["last_error"] and "secret-token" not in final["last_error"]


def test_delivery_gives_up_after_the_attempt_cap(clean_db: Engine) -> None:
    publish_alerts(clean_db, DAY, ALERTS[2:])
    with webhook_receiver(fail_first=100) as hook:
        settings = config(webhook_url=hook.url, max_attempts=2, backoff_seconds=0.0)
        first = deliver(clean_db, settings, now=T0)
        later = deliver(clean_db, settings, now=T0 + timedelta(days=1))
    assert (first.failed, later.failed + later.retrying + later.sent) == (1, 0)
    assert len(hook.posts) == 2
    row = deliveries(clean_db)[0]
    assert (row["status"], row["attempts"]) == ("failed", 2) and "HTTP 500" in row["last_error"]


def test_no_channel_configured_records_and_sends_nothing(clean_db: Engine) -> None:
    publish_alerts(clean_db, DAY, ALERTS)
    assert deliver(clean_db, DeliveryConfig()).recorded == 0
    assert deliveries(clean_db) == []


def test_a_watched_track_that_is_a_hit_is_announced_once(clean_db: Engine) -> None:
    publication = publish_alerts(clean_db, DAY, [])
    with clean_db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agg_track_scores (publication_id, track_id, name, artist_id, artist_name, genre,"
                " popularity, is_hit, probability) VALUES"
                " (:pid, 'demo:t1', 'Night Drive', 'demo:a1', 'Ana Lua', 'pop', 74, true, 0.9),"
                " (:pid, 'demo:t2', 'Not Yet', 'demo:a1', 'Ana Lua', 'pop', 40, false, 0.4),"
                " (:pid, 'demo:t3', 'Unwatched Hit', 'demo:a1', 'Ana Lua', 'pop', 80, true, 0.95)"
            ),
            {"pid": publication},
        )
        conn.execute(
            text(
                "INSERT INTO user_watchlist (username, entity_type, entity_id) VALUES"
                " ('bo', 'track', 'demo:t1'), ('ana', 'track', 'demo:t1'), ('bo', 'track', 'demo:t2')"
            )
        )
    with webhook_receiver() as hook:
        deliver(clean_db, config(webhook_url=hook.url))
        deliver(clean_db, config(webhook_url=hook.url))
    assert [post["text"] for post in hook.posts] == [
        "*Hitscope watchlist: Night Drive is a hit*\nNight Drive by Ana Lua is a hit now (popularity 74)."
        " On the watchlist of ana, bo."
    ]
